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

# --- data -------------------------------------------------------------------
BITS_PER_BYTE: Final[float] = 8.0
GBIT_PER_GB: Final[float] = BITS_PER_BYTE  # 1 GB = 8 Gbit

# --- geometry ---------------------------------------------------------------
#: Mean Earth radius [km] (IUGG).
EARTH_RADIUS_KM: Final[float] = 6371.0088

# --- temperature ------------------------------------------------------------
ZERO_CELSIUS_K: Final[float] = 273.15


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
