"""Demand regions, links and the network that ties them to sites."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import model_validator

from shulu import units
from shulu.model.schema import Record, quantity, text
from shulu.model.site import Site


def great_circle_km(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Great-circle (haversine) distance between two points [km].

    Examples
    --------
    >>> round(great_circle_km(0.0, 0.0, 0.0, 1.0), 3)
    111.195
    """
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dphi = p2 - p1
    dlmb = np.radians(lon2_deg - lon1_deg)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return float(2 * units.EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)))


def fibre_latency_ms(distance_km: float, *, route_factor: float, fibre_km_per_ms: float) -> float:
    """One-way latency over fibre: distance x route factor / propagation speed [ms].

    Parameters
    ----------
    distance_km : float
        Great-circle distance [km].
    route_factor : float
        Fibre route length over great-circle distance [-].
    fibre_km_per_ms : float
        Propagation speed in fibre [km/ms] (about 200).

    Examples
    --------
    >>> fibre_latency_ms(1000.0, route_factor=1.5, fibre_km_per_ms=200.0)
    7.5
    """
    return distance_km * route_factor / fibre_km_per_ms


class DemandRegion(Record):
    """A place work comes from (a city or metropolitan area)."""

    id: str = text("Unique region id", pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: str = text("Display name")
    lat_deg: float = quantity("degree", "Latitude (WGS84)", ge=-90, le=90)
    lon_deg: float = quantity("degree", "Longitude (WGS84)", ge=-180, le=180)
    weight_frac: float = quantity("fraction 0..1", "Relative share of the network's demand (normalised)", gt=0)
    tz: str = text("IANA time zone of the region's daily rhythm", "Asia/Shanghai")
    sources: dict[str, str] = text("Source and year of each number, or 'EST'", {})


class Link(Record):
    """A network path between two endpoints (demand region or site ids); symmetric."""

    a: str = text("One endpoint: a region or site id")
    b: str = text("The other endpoint: a region or site id")
    latency_ms: float = quantity("ms", "One-way latency", ge=0)
    bandwidth_gbps: float = quantity("Gbit/s", "Bandwidth available for transfers", 100.0, gt=0)
    transfer_energy_kwh_per_gb: float = quantity("kWh/GB", "Network energy intensity of moving data", 0.006, ge=0)
    source: str = text("Where the latency comes from (a source, or 'EST: great-circle x route factor')", "EST")


class Network(Record):
    """Sites, demand regions and the links between them."""

    sites: tuple[Site, ...] = text("Data-center sites")
    demand_regions: tuple[DemandRegion, ...] = text("Where work comes from")
    links: tuple[Link, ...] = text("Latency and bandwidth between regions and sites", ())

    @model_validator(mode="after")
    def _check_ids(self) -> Network:
        if not self.sites:
            raise ValueError("expected at least one site")
        ids: dict[str, str] = {}
        groups: tuple[tuple[str, tuple[Site | DemandRegion, ...]], ...] = (
            ("sites", self.sites), ("demand_regions", self.demand_regions))
        for kind, items in groups:
            for i, obj in enumerate(items):
                if obj.id in ids:
                    raise ValueError(f"{kind}[{i}].id: duplicate id {obj.id!r} (already used in {ids[obj.id]})")
                ids[obj.id] = kind
        seen: set[tuple[str, str]] = set()
        for i, link in enumerate(self.links):
            for end in ("a", "b"):
                ref = getattr(link, end)
                if ref not in ids:
                    raise ValueError(f"links[{i}].{end}: unknown site or region {ref!r}; "
                                     f"expected one of {sorted(ids)}")
            key = (min(link.a, link.b), max(link.a, link.b))
            if key in seen:
                raise ValueError(f"links[{i}]: duplicate link between {link.a!r} and {link.b!r}")
            seen.add(key)
        return self

    @property
    def site_ids(self) -> list[str]:
        """Site ids in network order."""
        return [s.id for s in self.sites]

    @property
    def region_ids(self) -> list[str]:
        """Demand region ids in network order."""
        return [r.id for r in self.demand_regions]

    def site(self, site_id: str) -> Site:
        """The site with this id."""
        for s in self.sites:
            if s.id == site_id:
                return s
        raise KeyError(site_id)

    def latency_matrix_ms(self, default_ms: float = np.inf) -> pd.DataFrame:
        """One-way latency from each demand region (rows) to each site (columns) [ms].

        Pairs without a link get ``default_ms`` (unreachable by default).
        """
        m = pd.DataFrame(default_ms, index=pd.Index(self.region_ids, name="region"),
                         columns=pd.Index(self.site_ids, name="site"), dtype=float)
        regions, sites = set(self.region_ids), set(self.site_ids)
        for link in self.links:
            for r, s in ((link.a, link.b), (link.b, link.a)):
                if r in regions and s in sites:
                    m.loc[r, s] = link.latency_ms
        return m

    def link_between(self, a: str, b: str) -> Link | None:
        """The link joining ``a`` and ``b`` (either order), if any."""
        for link in self.links:
            if {link.a, link.b} == {a, b}:
                return link
        return None
