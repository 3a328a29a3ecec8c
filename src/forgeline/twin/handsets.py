"""The handset line: finished cover glass assembled into handsets, provisioned and tested.

Built from the plant's handset models and their routing (`HS-SEC`: PCBA-IN, DISP-ASM, FLASH,
FT with REPAIR, HS-PACK) when the scenario's `handset_share` is above zero. Every four hours
the line starts, per model, that share of the cover glass of the model's `cover_glass` product
finished since the last release: one tray of handsets, each with its glass piece reserved
(finished, passed, not on hold) and an intended territory. The steps are the piece-station
steps with three additions, registered by station type in `steps.py`:

- `display_assembly`: between track-in and track-out the `assemble` event consumes the glass
  piece and the day's PCBA and battery lots (a piece held meanwhile is swapped for another);
- `flash_provision`: the handsets that pass are flashed and provisioned through the security
  domain's services, an `Action` the driver performs (flash report, device key and CSR, IMEIs,
  licence unit);
- `final_test`: the provisioned handsets that pass get the end-of-line security check, another
  `Action`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from forgeline.production.gs1 import to_gtin14
from forgeline.production.routing import Route
from forgeline.twin import capacity
from forgeline.twin.flow import Process, forward, piece_step
from forgeline.twin.model import OpModel, Piece, ProductModel, Twin
from forgeline.twin.quality import op_quality, sampling_plans
from forgeline.twin.stations import Station

RELEASE_EVERY_S = 4 * 3600.0
# Territory mix of the licensee's four markets (est.): most handsets are sold in India.
TERRITORY_WEIGHTS = {"IN": 0.7, "LK": 0.1, "NP": 0.1, "BD": 0.1}
LOT_KINDS = {"PCBA": "pcba", "BATT": "battery"}


class Handset(Piece):
    """A handset in the simulation: its reserved glass piece and intended territory."""

    __slots__ = ("assembled", "checked", "glass", "provisioned", "territory")

    def __init__(
        self, n: int, uid: str, product: ProductModel, glass: Piece, territory: str
    ) -> None:
        super().__init__(n, uid, product)
        self.glass = glass
        self.territory = territory
        self.assembled = False
        self.provisioned = False
        self.checked = False


@dataclass
class HandsetModel:
    product: ProductModel
    cover_glass: str
    territories: tuple[str, ...]
    weights: tuple[float, ...]
    credit: float = 0.0
    seen: int = 0


@dataclass
class HandsetLine:
    share: float
    models: list[HandsetModel]
    serial: int = 0
    assembled: int = 0
    provisioned: int = 0
    eol_checked: int = 0
    waiting_for_glass: int = 0
    glass_of: dict[str, str] = field(default_factory=dict)  # handset uid -> glass uid
    # model -> its signed release (`provisioning.Release`), made when the driver prepares
    releases: dict[str, Any] = field(default_factory=dict)

    def counts(self, twin: Twin) -> dict[str, int]:
        ledger = twin.handset_ledger
        return {
            "started": ledger.started, "assembled": self.assembled,
            "provisioned": self.provisioned, "eol_checked": self.eol_checked,
            "good": ledger.good, "scrapped": ledger.scrapped,
            "in_process": ledger.started - ledger.good - ledger.scrapped,
            "waiting_for_glass": self.waiting_for_glass,
        }  # fmt: skip


def line_of(twin: Twin) -> HandsetLine:
    line = twin.handset_line
    assert isinstance(line, HandsetLine), "the twin has no handset line"
    return line


def attach(twin: Twin) -> None:
    """Add the handset line to a twin built already, if its scenario asks for one."""
    share = twin.scenario.handset_share
    plant = twin.plant
    handsets = [h for h in plant.products.handsets if h.cover_glass in twin.products]
    if share <= 0 or not handsets:
        return
    models = []
    for h in handsets:
        routing = plant.routing(h.routing)
        limits = {}
        for c in plant.characteristics:
            lim = plant.limits_for(c.code, h.code)
            limits[c.code] = (lim.lsl, lim.target, lim.usl)
        product = ProductModel(h.code, to_gtin14(h.gtin), Route.from_definition(routing),
                               routing.code, 0.0, False, limits, kind="handset")  # fmt: skip
        weights = [TERRITORY_WEIGHTS.get(t, 0.1) for t in h.territories]
        total = sum(weights)
        models.append(HandsetModel(product, str(h.cover_glass), tuple(h.territories),
                                   tuple(w / total for w in weights)))  # fmt: skip
        twin.glass_stock[str(h.cover_glass)] = deque()
        twin.glass_finished[str(h.cover_glass)] = 0
    glass_share = len(models) / max(1, len(twin.products))
    per_day = twin.starts_per_day * glass_share * share
    for routing_code in {m.product.routing_code for m in models}:
        _operations(twin, routing_code, per_day)
    for day in range(math.ceil(twin.scenario.days) + 1):
        for prefix, kind in LOT_KINDS.items():
            twin.lots.append({"code": twin.lot_code(prefix, day), "kind": kind})
    twin.handset_line = HandsetLine(share, models)


def _operations(twin: Twin, routing_code: str, per_day: float) -> None:
    """The routing's operations, staffing as many placed stations as the handset load needs."""
    ops = list(twin.plant.routing(routing_code).operations)
    for i, op in enumerate(ops):
        group = capacity.group_of(twin.plant, op)
        if group.key not in twin.groups:
            members = [twin.stations[c] for c in group.stations]
            spec = members[0].spec
            load = per_day * capacity.piece_seconds(spec) * 1.1
            available = capacity.DAY_S * twin.scenario.target_utilisation
            available *= capacity.availability(twin.plant, spec)
            count = min(len(members), max(1, math.ceil(load / available)))
            for station in members[:count]:
                station.in_use = True
            twin.groups[group.key] = members[:count]
        quality = op_quality(twin.plant, ops, i, twin.multiplier)
        mode = twin.plant.station_type(op.station_type).mode
        twin.ops[(routing_code, op.code)] = OpModel(
            op, group, quality, sampling_plans(twin.plant, op), mode, twin.groups[group.key]
        )


# -- releasing handsets -----------------------------------------------------------------------


def _take_glass(twin: Twin, cover_glass: str) -> Piece | None:
    """The oldest finished piece of the product that Forgeline has not put on hold."""
    stock = twin.glass_stock[cover_glass]
    while stock:
        piece = stock.popleft()
        if piece.uid not in twin.withdrawn:
            return piece
    return None


def release_handsets(twin: Twin) -> Process:
    """Every few hours, per model, a tray of handsets for its share of the glass finished."""
    line = line_of(twin)
    while twin.env.now + RELEASE_EVERY_S < twin.horizon:
        yield twin.env.timeout(RELEASE_EVERY_S)
        for model in line.models:
            finished = twin.glass_finished[model.cover_glass]
            model.credit += line.share * (finished - model.seen)
            model.seen = finished
            tray: list[Piece] = []
            while len(tray) < int(model.credit):
                glass = _take_glass(twin, model.cover_glass)
                if glass is None:
                    break
                tray.append(_start(twin, line, model, glass))
            model.credit -= len(tray)
            forward(twin, tray)


def _start(twin: Twin, line: HandsetLine, model: HandsetModel, glass: Piece) -> Handset:
    line.serial += 1
    ledger = twin.handset_ledger
    territory = model.territories[int(twin.rng.choice(len(model.territories), p=model.weights))]
    uid = f"HS{twin.tag}{line.serial:07d}"
    handset = Handset(ledger.started, uid, model.product, glass, territory)
    ledger.started += 1
    twin.stream.emit("start", twin.env.now, {"uid": uid, "product": model.product.code,
                                             "kind": "handset"})  # fmt: skip
    return handset


# -- the two steps the handset line adds -------------------------------------------------------


def assemble_step(twin: Twin, op: OpModel, pieces: list[Piece]) -> Process:
    """Display and cover-glass assembly: each handset consumes its glass piece and lots."""
    line = line_of(twin)
    ready: list[Piece] = []
    for handset in twin.moving(pieces):
        assert isinstance(handset, Handset)
        if not handset.assembled and handset.glass.uid in twin.withdrawn:
            glass = _take_glass(twin, handset.glass.product.code)
            if glass is None:
                line.waiting_for_glass += 1  # stays before assembly, in process
                continue
            handset.glass = glass
        ready.append(handset)
    day = int(twin.env.now // capacity.DAY_S)
    lots = {kind: twin.lot_code(prefix, day) for prefix, kind in LOT_KINDS.items()}

    def during(piece: Piece, result: str, t: float) -> None:
        assert isinstance(piece, Handset)
        if piece.assembled:
            return
        piece.assembled = True
        line.assembled += 1
        line.glass_of[piece.uid] = piece.glass.uid
        twin.stream.emit("assemble", t, {"handset": piece.uid, "glass": piece.glass.uid,
                                         "lots": dict(lots)})  # fmt: skip

    return piece_step(twin, op, ready, during=during)


def provision_step(twin: Twin, op: OpModel, pieces: list[Piece]) -> Process:
    """Flash and provision: the handsets that pass get their identity through the security
    domain's issuance service (the driver performs the `provision` action)."""
    line = line_of(twin)

    def before(station: Station, tray: list[Piece], results: list[str], t: float) -> None:
        devices: list[list[Any]] = []
        for piece, result in zip(tray, results, strict=True):
            assert isinstance(piece, Handset)
            if result == "pass" and not piece.provisioned:
                piece.provisioned = True
                devices.append([piece.uid, piece.product.code, piece.territory])
        if devices:
            line.provisioned += len(devices)
            twin.stream.action("provision", t, station=station.code, devices=devices)

    return piece_step(twin, op, pieces, before=before)


def final_test_step(twin: Twin, op: OpModel, pieces: list[Piece]) -> Process:
    """Final test: the provisioned handsets that pass are given the end-of-line security check
    (the driver performs the `eol_check` action with what each device attests)."""
    line = line_of(twin)

    def before(station: Station, tray: list[Piece], results: list[str], t: float) -> None:
        devices = []
        for piece, result in zip(tray, results, strict=True):
            assert isinstance(piece, Handset)
            if result == "pass" and piece.provisioned and not piece.checked:
                piece.checked = True
                devices.append(piece.uid)
        if devices:
            line.eol_checked += len(devices)
            twin.stream.action("eol_check", t, station=station.code, devices=devices)

    return piece_step(twin, op, pieces, before=before)
