"""Every conversion factor used by shulu, in one place.

Quantity names elsewhere carry their unit (``power_kw``, ``energy_kwh``,
``intensity_g_per_kwh``); converting between them uses only the factors below.
No bare ``3600`` or ``1000`` appears anywhere else in the package.

Examples
--------
>>> from shulu import units
>>> 2.0 * units.KWH_PER_MWH
2000.0
>>> round(1000.0 * units.LBS_PER_MWH_TO_G_PER_KWH, 4)
453.5924
"""

from __future__ import annotations

from typing import Final

# --- time -------------------------------------------------------------------
SECONDS_PER_MINUTE: Final[float] = 60.0
MINUTES_PER_HOUR: Final[float] = 60.0
SECONDS_PER_HOUR: Final[float] = 3600.0
HOURS_PER_DAY: Final[float] = 24.0
SECONDS_PER_DAY: Final[float] = SECONDS_PER_HOUR * HOURS_PER_DAY
DAYS_PER_WEEK: Final[int] = 7
DAYS_PER_YEAR: Final[float] = 365.0
HOURS_PER_YEAR: Final[float] = HOURS_PER_DAY * DAYS_PER_YEAR
MS_PER_S: Final[float] = 1000.0

# --- power and energy -------------------------------------------------------
W_PER_KW: Final[float] = 1000.0
KW_PER_MW: Final[float] = 1000.0
MW_PER_GW: Final[float] = 1000.0
KWH_PER_MWH: Final[float] = 1000.0
MWH_PER_GWH: Final[float] = 1000.0
KWH_PER_TWH: Final[float] = 1.0e9

# --- mass and emissions -----------------------------------------------------
G_PER_KG: Final[float] = 1000.0
KG_PER_T: Final[float] = 1000.0
G_PER_LB: Final[float] = 453.59237  # international avoirdupois pound, exact
#: 1 lb/MWh expressed in g/kWh (WattTime's unit -> ours).
LBS_PER_MWH_TO_G_PER_KWH: Final[float] = G_PER_LB / KWH_PER_MWH
#: 1 kg/kWh (= t/MWh, the MEE/NBS factor unit) expressed in g/kWh.
KG_PER_KWH_TO_G_PER_KWH: Final[float] = G_PER_KG
#: 1 kg/MWh expressed in g/kWh (numerically equal).
KG_PER_MWH_TO_G_PER_KWH: Final[float] = G_PER_KG / KWH_PER_MWH
#: 1 t/MWh expressed in g/kWh.
T_PER_MWH_TO_G_PER_KWH: Final[float] = KG_PER_T * G_PER_KG / KWH_PER_MWH
#: 1 g/kWh expressed in lb/MWh (ours -> WattTime's unit).
G_PER_KWH_TO_LBS_PER_MWH: Final[float] = 1.0 / LBS_PER_MWH_TO_G_PER_KWH

#: Carbon-intensity units as providers and files spell them (lower case, spaces removed) -> factor to g/kWh.
#: ``CO2``, ``CO2e``, ``CO2eq`` and ``CO₂eq`` are the same quantity here (shulu keeps gCO2-equivalent per kWh).
INTENSITY_UNITS_TO_G_PER_KWH: Final[dict[str, float]] = {
    "g/kwh": 1.0, "gco2/kwh": 1.0, "gco2e/kwh": 1.0, "gco2eq/kwh": 1.0, "gco₂/kwh": 1.0, "gco₂eq/kwh": 1.0,
    "g_per_kwh": 1.0, "gco2_per_kwh": 1.0, "kg/mwh": KG_PER_MWH_TO_G_PER_KWH, "kg_per_mwh": KG_PER_MWH_TO_G_PER_KWH,
    "kgco2/mwh": KG_PER_MWH_TO_G_PER_KWH, "kg/kwh": KG_PER_KWH_TO_G_PER_KWH, "kg_per_kwh": KG_PER_KWH_TO_G_PER_KWH,
    "kgco2/kwh": KG_PER_KWH_TO_G_PER_KWH, "t/mwh": T_PER_MWH_TO_G_PER_KWH, "t_per_mwh": T_PER_MWH_TO_G_PER_KWH,
    "tco2/mwh": T_PER_MWH_TO_G_PER_KWH, "lb/mwh": LBS_PER_MWH_TO_G_PER_KWH, "lbs/mwh": LBS_PER_MWH_TO_G_PER_KWH,
    "lbs_per_mwh": LBS_PER_MWH_TO_G_PER_KWH, "lbs_co2_per_mwh": LBS_PER_MWH_TO_G_PER_KWH,
    "lbco2/mwh": LBS_PER_MWH_TO_G_PER_KWH,
}

# --- data -------------------------------------------------------------------
BITS_PER_BYTE: Final[float] = 8.0
GBIT_PER_GB: Final[float] = BITS_PER_BYTE  # 1 GB = 8 Gbit

# --- ratios and fine time -----------------------------------------------------
#: Percent per unit fraction (50 % = 0.5); also "100 is 1 core / 1 GPU" in the Alibaba traces.
PERCENT_PER_FRAC: Final[float] = 100.0
#: Microseconds per second (Google cluster trace timestamps).
US_PER_S: Final[float] = 1.0e6
#: Nanoseconds per second (pandas' time unit).
NS_PER_S: Final[int] = 1_000_000_000

# --- geometry ---------------------------------------------------------------
#: Mean Earth radius [km] (IUGG).
EARTH_RADIUS_KM: Final[float] = 6371.0088

# --- temperature ------------------------------------------------------------
ZERO_CELSIUS_K: Final[float] = 273.15


def intensity_factor(unit: str) -> float:
    """Factor that converts a carbon intensity in ``unit`` to g/kWh.

    Parameters
    ----------
    unit : str
        A unit as a provider or file writes it (``lbs_co2_per_mwh``, ``gCO₂eq/kWh``, ``kg/kWh``, ...); case and
        spaces are ignored.

    Returns
    -------
    float
        Multiply a value in ``unit`` by this to get [g/kWh].

    Raises
    ------
    KeyError
        If the unit is not known (callers turn this into an input error naming the field).

    Examples
    --------
    >>> intensity_factor("lbs_co2_per_mwh") == LBS_PER_MWH_TO_G_PER_KWH
    True
    >>> intensity_factor("kg CO2 / kWh")
    1000.0
    """
    key = "".join(unit.split()).lower()
    return INTENSITY_UNITS_TO_G_PER_KWH[key]


def hours(step_s: float) -> float:
    """Length of a step in hours.

    Parameters
    ----------
    step_s : float
        Step length [s].

    Returns
    -------
    float
        Step length [h].

    Examples
    --------
    >>> hours(300.0)
    0.08333333333333333
    """
    return step_s / SECONDS_PER_HOUR


def energy_kwh(power_kw: float, step_s: float) -> float:
    """Energy of a constant power held over one step: energy = power x step.

    Parameters
    ----------
    power_kw : float
        Power [kW].
    step_s : float
        Step length [s].

    Returns
    -------
    float
        Energy [kWh].

    Examples
    --------
    >>> energy_kwh(12.0, 900.0)
    3.0
    """
    return power_kw * step_s / SECONDS_PER_HOUR
