"""The physics that matter for quality: ion-exchange baths age, polisher pads wear, and
occasionally something goes wrong for a reason (a special cause) that SPC and inspection catch.

Ion exchange (est., after the reference's figures): compressive stress falls as sodium leached
from the glass builds up in the KNO3 bath and collapses when calcium blocks the exchange; depth of
layer follows diffusion, sqrt(time) with an Arrhenius temperature factor; central tension follows
from the force balance of a triangular stress profile, CT = CS x DOL / (2 (t - 2 DOL)).
Baths are topped up when sodium passes TOP_UP_NA and replaced when contaminated or worn out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forgeline.twin.model import Piece, Twin
    from forgeline.twin.stations import Station

# Ion exchange: CS = CS_FRESH - NA_SLOPE x Na - CA_SLOPE x (Ca - CA_BASE)+ - ...
CS_FRESH = 880.0  # MPa, fresh bath, 450 C, 6 h
NA_SLOPE = 380.0  # MPa per wt % Na
CA_SLOPE = 4.5  # MPa per ppm Ca above CA_BASE
CA_BASE = 5.0
NA_PER_CYCLE = 0.02  # wt % Na leached per full basket
NA_PER_HOT_CYCLE = 0.012  # wt % Na-equivalent per cycle at temperature, however full (est.)
DOL_REF = 45.0  # um at 450 C, 6 h
ACTIVATION_K = 6615.0  # Q / 2R for K+/Na+ interdiffusion (Q ~ 110 kJ/mol), kelvin
LITHIUM = {"cs": 0.88, "dol": 1.6}  # lithium aluminosilicate: shallower CS, deeper layer
TOP_UP_NA = 0.30
TOP_UP_KEEPS = 0.55  # share of the sodium left after a top-up (dilution)
MAX_CYCLES = 180
CONTAMINATED_CA = 48.0


def cs_mpa(na: float, ca: float, temp_c: float, hours: float, lithium: bool) -> float:
    """Expected compressive stress of a cycle (MPa)."""
    cs = CS_FRESH - NA_SLOPE * na - CA_SLOPE * max(0.0, ca - CA_BASE)
    cs -= 3.0 * (temp_c - 450.0) + 6.0 * (hours - 6.0)  # stress relaxes hotter and longer
    return cs * (LITHIUM["cs"] if lithium else 1.0)


def dol_um(temp_c: float, hours: float, lithium: bool) -> float:
    """Expected depth of layer (um): diffusion, sqrt(t), Arrhenius in temperature."""
    kelvin = temp_c + 273.15
    dol = DOL_REF * math.sqrt(hours / 6.0) * math.exp(-ACTIVATION_K * (1 / kelvin - 1 / 723.15))
    return dol * (LITHIUM["dol"] if lithium else 1.0)


def ct_mpa(cs: float, dol: float, thickness_mm: float) -> float:
    core = thickness_mm * 1000.0 - 2 * dol
    return cs * dol / (2 * core) if core > 0 else float("inf")


@dataclass
class Visit:
    """What physics says about one visit: measured values per piece, forced failures, a hold."""

    values: dict[str, list[float]] = field(default_factory=dict)
    forced: dict[int, tuple[str, str | None, float | None, float | None]] = field(
        default_factory=dict
    )  # piece index -> (defect code, zone, x, y)
    hold: str | None = None


class Physics:
    """Default: nothing beyond the generic quality model."""

    def __init__(self, twin: Twin) -> None:
        return None

    def batch_parameters(self, twin: Twin, station: Station, t: float) -> dict[str, Any]:
        return {}

    def bath(self, station: Station) -> str | None:
        return None

    def visit(
        self, twin: Twin, station: Station, pieces: list[Piece], t: float, params: dict[str, Any]
    ) -> Visit:
        return Visit()


@dataclass
class Bath:
    code: str
    na: float = 0.03
    ca: float = 3.0
    cycles: int = 0
    analysed_day: int = -1


class IonExchange(Physics):
    """Per-furnace bath state; a cycle's CS, DOL and CT per piece; top-ups and replacements."""

    def __init__(self, twin: Twin) -> None:
        super().__init__(twin)
        self.baths: dict[str, Bath] = {}
        self.contaminate: dict[str, float] = {}  # station -> when its bath is contaminated

    def bath_for(self, twin: Twin, station: Station) -> Bath:
        bath = self.baths.get(station.code)
        if bath is None:
            bath = self.baths[station.code] = Bath(twin.bath_code(station.code, 0))
        return bath

    def bath(self, station: Station) -> str | None:
        found = self.baths.get(station.code)
        return None if found is None else found.code

    def batch_parameters(self, twin: Twin, station: Station, t: float) -> dict[str, Any]:
        bath = self.bath_for(twin, station)
        when = self.contaminate.get(station.code)
        if when is not None and t >= when:
            bath.ca = CONTAMINATED_CA  # a contaminated salt delivery: Ca blocks the exchange
            del self.contaminate[station.code]
        day = int(t // 86400)
        if day != bath.analysed_day:  # the lab analyses each bath once a day
            bath.analysed_day = day
            twin.stream.action(
                "bath_analysis", t, bath=bath.code, na_wt_pct=round(bath.na, 4),
                ca_ppm=round(bath.ca, 1), temperature_c=450.0,
            )  # fmt: skip
        temp = float(twin.rng.normal(450.0, 1.2))
        hours = float(twin.rng.normal(6.0, 0.04))
        return {"temperature_c": round(temp, 2), "hours": round(hours, 3), "salt": "KNO3"}

    def visit(
        self, twin: Twin, station: Station, pieces: list[Piece], t: float, params: dict[str, Any]
    ) -> Visit:
        bath = self.bath_for(twin, station)
        temp, hours = params.get("temperature_c", 450.0), params.get("hours", 6.0)
        rng, n = twin.rng, len(pieces)
        offset = float(rng.normal(0.0, 6.0))  # cycle-to-cycle variation
        cs_noise, dol_noise = rng.normal(0.0, 12.0, n).tolist(), rng.normal(0.0, 1.2, n).tolist()
        out = Visit()
        cs_v, dol_v, ct_v = [], [], []
        for i, piece in enumerate(pieces):
            li = piece.product.lithium
            cs = cs_mpa(bath.na, bath.ca, temp, hours, li) + offset + cs_noise[i]
            dol = dol_um(temp, hours, li) + dol_noise[i]
            ct = ct_mpa(cs, dol, piece.product.thickness_mm)
            cs_v.append(round(cs, 1))
            dol_v.append(round(dol, 2))
            ct_v.append(round(ct, 2))
            lsl_cs = piece.product.limit("CS")[0]
            lsl_dol = piece.product.limit("DOL")[0]
            usl_ct = piece.product.limit("CT")[1]
            if (
                (lsl_cs is not None and cs < lsl_cs)
                or (lsl_dol is not None and dol < lsl_dol)
                or (usl_ct is not None and ct > usl_ct)
            ):
                out.forced[i] = ("STR-LOW", None, None, None)
        out.values = {"CS": cs_v, "DOL": dol_v, "CT": ct_v, "IOX-TEMP": [temp] * n,
                      "IOX-TIME": [hours] * n, "BATH-NA": [round(bath.na, 4)] * n,
                      "BATH-CA": [round(bath.ca, 1)] * n}  # fmt: skip
        if bath.ca > 30.0:
            out.hold = f"bath {bath.code} contaminated: Ca {bath.ca:.0f} ppm, CS below limit"
        self._age(twin, station, bath, n / station.batch_size, t)
        return out

    def _age(self, twin: Twin, station: Station, bath: Bath, fill: float, t: float) -> None:
        bath.na += (NA_PER_HOT_CYCLE + NA_PER_CYCLE * fill) * float(twin.rng.uniform(0.85, 1.15))
        bath.ca += float(twin.rng.uniform(0.0, 0.15))
        bath.cycles += 1
        if bath.ca > 30.0 or bath.cycles >= MAX_CYCLES:
            generation = int(bath.code.rsplit("-", 1)[1]) + 1
            new = Bath(twin.bath_code(station.code, generation))
            twin.stream.action("bath_replace", t, bath=bath.code, new_bath=new.code)
            self.baths[station.code] = new
        elif bath.na > TOP_UP_NA:
            twin.stream.action("bath_top_up", t, bath=bath.code, salt_kg=800.0)
            bath.na *= TOP_UP_KEEPS


class Polishing(Physics):
    """Pads wear: removal slows, so thickness creeps up until the pad is changed."""

    WEAR_MM_PER_LOAD = 0.00028
    PAD_LIFE_LOADS = 70

    def __init__(self, twin: Twin) -> None:
        super().__init__(twin)
        self.loads: dict[str, int] = {}

    def visit(
        self, twin: Twin, station: Station, pieces: list[Piece], t: float, params: dict[str, Any]
    ) -> Visit:
        loads = self.loads.get(station.code, 0)
        older = station.batch_size < 240  # the older, smaller machine wears faster
        drift = self.WEAR_MM_PER_LOAD * loads * (1.5 if older else 1.0) - 0.004
        self.loads[station.code] = 0 if loads + 1 >= self.PAD_LIFE_LOADS else loads + 1
        noise = twin.rng.normal(0.0, 0.0025, len(pieces)).tolist()
        values, out = [], Visit()
        for i, piece in enumerate(pieces):
            lsl, target, usl = piece.product.limit3("THK")
            value = (target if target is not None else piece.product.thickness_mm) + drift
            value = round(value + noise[i], 4)
            values.append(value)
            if (usl is not None and value > usl) or (lsl is not None and value < lsl):
                out.forced[i] = ("DIM", None, None, None)
        out.values["THK"] = values
        return out


class CncFixture(Physics):
    """Special cause: one cell's worn fixture scratches the same spot (found later, at AOI)."""

    SHARE = 0.07
    SPOT = (18.0, 6.5)

    def __init__(self, twin: Twin) -> None:
        super().__init__(twin)
        self.worn: dict[str, float] = {}  # station -> from when

    def visit(
        self, twin: Twin, station: Station, pieces: list[Piece], t: float, params: dict[str, Any]
    ) -> Visit:
        since = self.worn.get(station.code)
        if since is not None and t >= since:
            hits = twin.rng.random(len(pieces)) < self.SHARE
            x, y = self.SPOT
            for piece, hit in zip(pieces, hits, strict=True):
                if hit:
                    piece.latent = ("SCR", "A", x + float(twin.rng.normal(0, 0.2)), y)
        return Visit()


PHYSICS: dict[str, type[Physics]] = {
    "ion_exchange": IonExchange,
    "polishing": Polishing,
    "cnc": CncFixture,
}
