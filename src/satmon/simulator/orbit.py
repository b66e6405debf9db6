"""Orbital mechanics for the simulator: Kepler orbit with J2 drift, ground track, eclipse.

Units: distances in km, speeds in km/s, angles in radians unless a name ends in ``_deg``,
time as seconds (``t`` is POSIX seconds, UTC). The Earth is a sphere of equatorial radius
``R_EARTH``; latitude is geocentric, so it never exceeds the inclination (51.6°).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

MU_EARTH = 398_600.4418  # km³/s², gravitational parameter
R_EARTH = 6_378.137  # km, equatorial radius
J2 = 1.082_63e-3  # Earth's oblateness coefficient
INCLINATION_DEG = 51.6
ELEMENTS_EPOCH = datetime(2026, 1, 1, tzinfo=UTC).timestamp()  # s, elements are given here
FLEET_RAAN_DEG = 300.0  # node of satellite 0 at ELEMENTS_EPOCH
PENUMBRA_KM = 30.0  # width of the soft shadow edge across the orbit
_J2000_JD = 2_451_545.0
_UNIX_EPOCH_JD = 2_440_587.5

FloatArray = np.ndarray


@dataclass(frozen=True)
class OrbitElements:
    """Mean orbital elements at ``ELEMENTS_EPOCH`` (km and radians)."""

    a_km: float  # semi-major axis
    e: float  # eccentricity
    inc: float  # inclination
    raan: float  # right ascension of the ascending node
    argp: float  # argument of perigee
    m0: float  # mean anomaly

    @property
    def mean_motion(self) -> float:
        """n in rad/s."""
        return float(np.sqrt(MU_EARTH / self.a_km**3))

    @property
    def period_s(self) -> float:
        return 2.0 * np.pi / self.mean_motion


def elements_for(index: int) -> OrbitElements:
    """The fixed orbit of satellite ``index`` (0-based): ISS-like, each in its own plane.

    Planes are spread by the golden angle so any number of satellites stays well apart;
    the mean altitude 418–432 km and e ≤ 0.0009 keep the altitude inside 400–450 km.
    ``FLEET_RAAN_DEG`` puts the three default satellites in eclipse-seeing seasons in late
    2026; like the ISS, each plane also has weeks of high sun-beta angle without eclipses.
    """
    golden = np.deg2rad(137.507_764)
    a_km = R_EARTH + 418.0 + (index * 5.3) % 14.0
    return OrbitElements(
        a_km=a_km,
        e=0.0004 + (index * 0.000_23) % 0.0005,
        inc=np.deg2rad(INCLINATION_DEG),
        raan=float((np.deg2rad(FLEET_RAAN_DEG) + index * golden) % (2 * np.pi)),
        argp=float((0.7 + index * 2.1) % (2 * np.pi)),
        m0=float((index * 1.9 + 0.3) % (2 * np.pi)),
    )


@dataclass
class OrbitState:
    """Position-derived series for sample times ``t`` (all arrays of the same length)."""

    r_km: FloatArray  # distance from Earth's centre
    speed_kms: FloatArray  # inertial speed (vis-viva)
    latitude_deg: FloatArray  # geocentric, in [-inc, inc]
    longitude_deg: FloatArray  # in [-180, 180)
    illumination: FloatArray  # 0 in umbra, 1 in full sun, linear across the penumbra
    sun_elevation: FloatArray  # cos of the angle between the local zenith and the sun


def propagate(el: OrbitElements, t: FloatArray) -> OrbitState:
    """Propagate ``el`` to POSIX times ``t`` (s): Kepler motion plus J2 node/perigee drift."""
    dt = np.asarray(t, dtype=np.float64) - ELEMENTS_EPOCH
    n = el.mean_motion
    p = el.a_km * (1.0 - el.e**2)
    j2k = 1.5 * n * J2 * (R_EARTH / p) ** 2
    raan = el.raan - j2k * np.cos(el.inc) * dt
    argp = el.argp + 0.5 * j2k * (5.0 * np.cos(el.inc) ** 2 - 1.0) * dt
    mean_anomaly = np.mod(el.m0 + n * dt, 2.0 * np.pi)
    ecc_anomaly = _solve_kepler(mean_anomaly, el.e)
    r = el.a_km * (1.0 - el.e * np.cos(ecc_anomaly))
    true_anomaly = 2.0 * np.arctan2(
        np.sqrt(1.0 + el.e) * np.sin(ecc_anomaly / 2.0),
        np.sqrt(1.0 - el.e) * np.cos(ecc_anomaly / 2.0),
    )
    u = argp + true_anomaly  # argument of latitude
    cos_u, sin_u = np.cos(u), np.sin(u)
    cos_o, sin_o = np.cos(raan), np.sin(raan)
    ci, si = np.cos(el.inc), np.sin(el.inc)
    pos = (
        np.stack(
            [cos_o * cos_u - sin_o * sin_u * ci, sin_o * cos_u + cos_o * sin_u * ci, sin_u * si]
        )
        * r
    )  # [3, T] ECI, km
    lat = np.rad2deg(np.arcsin(np.clip(sin_u * si, -1.0, 1.0)))
    lon = np.rad2deg(np.arctan2(pos[1], pos[0])) - gmst_deg(t)
    speed = np.sqrt(MU_EARTH * (2.0 / r - 1.0 / el.a_km))
    illum, sun_elev = _illumination(pos, r, sun_direction(t))
    return OrbitState(r, speed, lat, wrap_longitude(lon), illum, sun_elev)


def wrap_longitude(lon_deg: FloatArray) -> FloatArray:
    """Wrap degrees into [-180, 180) (guards the float edge where mod returns 360)."""
    out = np.mod(np.asarray(lon_deg, dtype=np.float64) + 180.0, 360.0) - 180.0
    return np.where(out >= 180.0, out - 360.0, out)


def gmst_deg(t: FloatArray) -> FloatArray:
    """Greenwich mean sidereal angle (degrees) at POSIX times ``t`` (IAU 1982, linear term)."""
    days = np.asarray(t, dtype=np.float64) / 86_400.0 + (_UNIX_EPOCH_JD - _J2000_JD)
    return np.mod(280.460_618_37 + 360.0 * np.mod(days, 1.0) + 0.985_647_366_29 * days, 360.0)


def sun_direction(t: FloatArray) -> FloatArray:
    """Unit vector to the Sun in ECI, ``[3, T]`` (Astronomical Almanac low-precision model)."""
    days = np.asarray(t, dtype=np.float64) / 86_400.0 + (_UNIX_EPOCH_JD - _J2000_JD)
    mean_lon = np.deg2rad(280.460 + 0.985_647_4 * days)
    g = np.deg2rad(357.528 + 0.985_600_3 * days)
    ecl_lon = mean_lon + np.deg2rad(1.915) * np.sin(g) + np.deg2rad(0.020) * np.sin(2 * g)
    obliquity = np.deg2rad(23.439 - 4.0e-7 * days)
    return np.stack(
        [np.cos(ecl_lon), np.cos(obliquity) * np.sin(ecl_lon), np.sin(obliquity) * np.sin(ecl_lon)]
    )


def _illumination(pos: FloatArray, r: FloatArray, sun: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Cylindrical Earth shadow: dark when behind the Earth and within R_EARTH of the axis."""
    along = np.einsum("ij,ij->j", pos, sun)  # km towards the Sun
    off_axis = np.sqrt(np.maximum(r**2 - along**2, 0.0))
    edge = np.clip((off_axis - R_EARTH) / PENUMBRA_KM + 0.5, 0.0, 1.0)
    illum = np.where(along >= 0.0, 1.0, edge)
    return illum, along / r


def _solve_kepler(mean_anomaly: FloatArray, e: float) -> FloatArray:
    """Eccentric anomaly E from M = E − e·sin E (Newton; e ≪ 1 converges in a few steps)."""
    ecc = np.array(mean_anomaly, dtype=np.float64)
    for _ in range(6):
        ecc = ecc - (ecc - e * np.sin(ecc) - mean_anomaly) / (1.0 - e * np.cos(ecc))
    return ecc
