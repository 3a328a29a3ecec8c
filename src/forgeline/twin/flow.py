"""How work moves: trays walk their routing, batch equipment fills and runs, outcomes follow.

A step handler runs one operation for a tray of pieces and returns where each piece goes next.
Handlers are registered by station type, falling back to the station mode (`piece`, `batch`),
so a new domain (handset provisioning, shipping, returns) adds its own handlers to `HANDLERS`
without touching these.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import Any

import simpy

from forgeline.plant.definition import Limits
from forgeline.twin import capacity
from forgeline.twin.chemistry import Visit
from forgeline.twin.model import OpModel, Piece, Twin
from forgeline.twin.quality import INSPECTION_TYPES, REWORK_SHARE, Plan, generic_value
from forgeline.twin.stations import Station

TRANSPORT_S = 180.0  # a tray's trip to the next station
PIECE_SIGMA = 0.1  # lognormal spread of piece cycle times
Process = Generator[simpy.Event, Any, None]
StepHandler = Callable[[Twin, OpModel, list[Piece]], Process]


# -- releasing work ---------------------------------------------------------------------------


def release(twin: Twin) -> Process:
    """Start trays of new pieces evenly through the day, a product per tray."""
    size = twin.scenario.tray_size
    interval = capacity.DAY_S * size / twin.starts_per_day
    products = list(twin.products.values())
    while twin.env.now < twin.horizon:
        product = products[int(twin.rng.integers(len(products)))]
        day = int(twin.env.now // capacity.DAY_S)
        lot = twin.lot_code("SHEET", day, product.code)
        order = twin.work_order_code(day, product.code)
        pieces = []
        for _ in range(size):
            piece = Piece(twin.ledger.started, twin.new_uid(product), product)
            twin.ledger.started += 1
            twin.stream.emit("start", twin.env.now, {"uid": piece.uid, "product": product.code,
                                                     "kind": "glass", "lot": lot,
                                                     "work_order": order})  # fmt: skip
            pieces.append(piece)
        forward(twin, pieces)
        yield twin.env.timeout(interval * float(twin.rng.uniform(0.9, 1.1)))


def forward(twin: Twin, pieces: Iterable[Piece]) -> None:
    """Send pieces on to their next operations, grouped into trays."""
    by_op: dict[str, list[Piece]] = {}
    for piece in twin.moving(list(pieces)):
        nxt = piece.next_op()
        if nxt is None:
            twin.finish(piece)
            continue
        by_op.setdefault(nxt, []).append(piece)
    size = twin.scenario.tray_size
    for code, group in by_op.items():
        for i in range(0, len(group), size):
            tray = group[i : i + size]
            op = twin.op_of(tray[0], code)
            handler = twin.handlers.get(op.op.station_type) or twin.handlers[op.mode]
            twin.env.process(handler(twin, op, tray))


# -- outcomes ---------------------------------------------------------------------------------


def decide(
    twin: Twin, op: OpModel, pieces: list[Piece], visit: Visit, inspection: bool
) -> list[tuple[str, str | None, tuple[str, str | None, float | None, float | None] | None]]:
    """Per piece: (result, rework target, defect found). Each piece is judged by its own
    routing's operation (a basket may mix routings)."""
    draws = twin.rng.random(len(pieces))
    code = op.op.code
    out: list[Any] = []
    for i, piece in enumerate(pieces):
        q = twin.op_of(piece, code).quality
        failed = draws[i] < q.fail_p
        defect = visit.forced.get(i)
        if defect is None and inspection and piece.latent is not None:
            defect, piece.latent = piece.latent, None
        if defect is None and failed and q.mix:
            kind = q.mix[int(twin.rng.choice(len(q.mix), p=q.weights))]
            zone = kind.zones[int(twin.rng.integers(len(kind.zones)))] if kind.zones else None
            # On the outline as the defect map draws it: x along the 152.4 mm length, y across
            # the 70.5 mm width (the worn CNC fixture's spot is x 18, y 6.5).
            x = round(float(twin.rng.uniform(2, 150)), 2)
            y = round(float(twin.rng.uniform(2, 68)), 2)
            defect = (kind.code, zone, x, y)
        elif defect is None and failed:
            defect = ("DIM", None, None, None)
        if defect is None:
            out.append(("pass", None, None))
            continue
        loop = q.loop_for(defect[0])
        taken = (piece.counts or {}).get(f"{code}>{loop.to}", 0) if loop else 0
        if loop is not None and taken < loop.max_count and twin.rng.random() < REWORK_SHARE:
            out.append(("rework", loop.to, defect))
        else:
            out.append(("scrap", None, defect))
    return out


def apply(twin: Twin, op: OpModel, piece: Piece, result: str, target: str | None) -> bool:
    """Move the piece's routing state; True if it goes on."""
    code = op.op.code
    index = piece.product.route.index(code)
    counts = piece.counts
    ledger = twin.ledger_of(piece)
    if piece.position < index and (counts is None or not _reworked_from(counts, code)):
        ledger.visit(code, result == "pass")
    if result == "pass":
        piece.position, piece.target = index, None
        return True
    if result == "rework" and target is not None:
        counts = dict(counts or {})
        key = f"{code}>{target}"
        counts[key] = counts.get(key, 0) + 1
        piece.counts, piece.target = counts, target
        return True
    ledger.scrapped += 1
    return False


def _reworked_from(counts: dict[str, int], code: str) -> bool:
    prefix = code + ">"
    return any(k.startswith(prefix) for k in counts)


# -- measurements -----------------------------------------------------------------------------


def measure(
    twin: Twin,
    op: OpModel,
    station: Station,
    pieces: list[Piece],
    visit: Visit,
    t: float,
    run: int,
) -> None:
    """Sampled measurements of the visit, after its track-outs and before anything moves on."""
    if not pieces:
        return
    shift = twin.shift_at(t)[0]
    for plan in op.plans:
        if not _due(twin, plan, station, run, shift):
            continue
        size = len(pieces) if plan.per == "piece" else min(plan.size, len(pieces))
        chosen = twin.rng.choice(len(pieces), size=size, replace=False)
        code = plan.characteristic.code
        values = visit.values.get(code)
        for k in sorted(int(i) for i in chosen):
            piece = pieces[k]
            if values is not None:
                value = values[k]
            else:
                lsl, target, usl = piece.product.limit3(code)
                value = round(
                    generic_value(twin.rng, plan.characteristic, _limits(lsl, target, usl)), 5
                )
            twin.stream.emit(
                "measurement",
                t,
                {"uid": piece.uid, "station": station.code, "characteristic": code, "value": value},
            )


def _limits(lsl: float | None, target: float | None, usl: float | None) -> Limits:
    return Limits(lsl=lsl, target=target, usl=usl)


def _due(twin: Twin, plan: Plan, station: Station, run: int, shift: int) -> bool:
    if plan.per == "shift":
        key = (station.code, plan.characteristic.code)
        if twin.shift_seen.get(key) == shift:
            return False
        twin.shift_seen[key] = shift
        return True
    return run % plan.every == 0


# -- piece stations ---------------------------------------------------------------------------


# What a step adds to a tray's visit (handset assembly, provisioning): `before(station, pieces,
# results, start)` once before the tray's events, `during(piece, result, t)` between a piece's
# track-in and track-out.
Before = Callable[[Station, list[Piece], list[str], float], None]
During = Callable[[Piece, str, float], None]
# A piece's outcome as `decide` gives it: (result, rework target, defect found).
Outcome = tuple[str, str | None, tuple[str, str | None, float | None, float | None] | None]
# An inspection that judges a piece outside the twin (AOI images, `aoi_images.py`):
# `inspect(op, station, piece, outcome, track_out_time)` sends the piece's result itself and
# returns it as (result, rework target), or (HELD, None) for a piece put on hold meanwhile, or
# None to leave the piece to the twin's own defect and track-out events.
Inspect = Callable[[OpModel, Station, Piece, Outcome, float], tuple[str, str | None] | None]
HELD = "held"


def piece_step(
    twin: Twin,
    op: OpModel,
    pieces: list[Piece],
    before: Before | None = None,
    during: During | None = None,
    inspect: Inspect | None = None,
) -> Process:
    """Each piece on the station's first free slot; track-in, track-out, defects, samples."""
    env, stream, rng = twin.env, twin.stream, twin.rng
    pieces = twin.moving(pieces)
    if not pieces:
        return
    station = min(op.stations, key=lambda s: s.slots[0])
    cycle = station.spec.ideal_cycle_s * capacity.PIECE_SLOWDOWN
    mu = -(PIECE_SIGMA**2) / 2
    durations = (cycle * rng.lognormal(mu, PIECE_SIGMA, len(pieces))).tolist()
    times = station.schedule(env.now, durations)
    station.runs += 1
    physics = twin.physics_for(station)
    visit = physics.visit(twin, station, pieces, env.now, {})
    inspection = station.spec.station_type in INSPECTION_TYPES
    outcomes = decide(twin, op, pieces, visit, inspection)
    lots = (
        {"ink": twin.lot_code("INK", int(env.now // capacity.DAY_S))}
        if op.op.code == ("PRINT")
        else None
    )
    if before is not None:
        before(station, pieces, [o[0] for o in outcomes], min(t for t, _ in times))
    onward = []
    for piece, (start, end), (result, target, defect) in zip(pieces, times, outcomes,
                                                              strict=True):  # fmt: skip
        fields: dict[str, Any] = {"uid": piece.uid, "station": station.code,
                                  "operator": twin.operator(station, start)}  # fmt: skip
        if lots:
            fields["lots"] = lots
        stream.emit("track_in", start, fields)
        if during is not None:
            during(piece, result, start + 0.5)
        judged = inspect(op, station, piece, (result, target, defect), end) if inspect else None
        if judged is None:
            if defect is not None:
                _defect(twin, piece, station, defect, end - 0.5)
            out: dict[str, Any] = {"uid": piece.uid, "station": station.code, "result": result}
            if target is not None:
                out["rework_to"] = target
            stream.emit("track_out", end, out)
            judged = (result, target)
        elif judged[0] == HELD:
            twin.ledger_of(piece).held += 1
            continue
        if apply(twin, op, piece, *judged):
            onward.append(piece)
    last = max(end for _, end in times)
    measure(twin, op, station, pieces, visit, last + 1.0, station.runs)
    yield env.timeout(last - env.now + TRANSPORT_S)
    forward(twin, onward)


def _defect(
    twin: Twin,
    piece: Piece,
    station: Station,
    defect: tuple[str, str | None, float | None, float | None],
    t: float,
) -> None:
    code, zone, x, y = defect
    fields: dict[str, Any] = {"uid": piece.uid, "station": station.code, "code": code}
    if zone is not None:
        fields["zone"] = zone
    if x is not None and y is not None:
        fields.update(x_mm=x, y_mm=y, size_mm=round(float(twin.rng.uniform(0.05, 1.5)), 3))
    origin = _origin(twin, piece, code)
    if origin is not None:
        fields["origin"] = origin
    twin.stream.emit("defect", t, fields)


def _origin(twin: Twin, piece: Piece, code: str) -> str | None:
    codes = piece.product.route.codes
    for candidate in twin.plant.defect_code(code).likely_origins:
        if candidate in codes:
            return candidate
    return None
