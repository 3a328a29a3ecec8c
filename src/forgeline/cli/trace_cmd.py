"""`forgeline trace ID`: the device history record as a tree, or with --forward the recall set."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from forgeline.cli.context import JsonOption, console, print_json, unit_of_work
from forgeline.trace import service
from forgeline.trace.schemas import (
    BackwardTrace,
    BatchRunOut,
    ForwardTrace,
    OperationOut,
    UnitTrace,
)

TIME = "%Y-%m-%d %H:%M:%S"
# A terminal table of thousands of rows helps nobody; the counts and --json cover the rest.
MAX_LISTED = 200


def _when(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time; one without a zone is refused by the service (`trace.naive_time`)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint=name) from exc


def trace(
    identifier: str = typer.Argument(..., help="glass ID, handset serial, lot, carrier, ..."),
    forward: bool = typer.Option(False, "--forward", help="what it touched (the recall set)"),
    since: str | None = typer.Option(None, "--since", help="window start (ISO 8601, UTC)"),
    until: str | None = typer.Option(None, "--until", help="window end, exclusive"),
    as_json: bool = JsonOption,
) -> None:
    """Trace IDENTIFIER backward (where it came from) or --forward (what it went into)."""
    start, end = _when(since, "--since"), _when(until, "--until")
    with unit_of_work(write=False) as session:
        result = (
            service.forward(session, identifier, since=start, until=end)
            if forward
            else service.backward(session, identifier)
        )
    if as_json:
        print_json(result.model_dump(mode="json"))
    elif isinstance(result, ForwardTrace):
        _print_forward(result)
    else:
        console.print(_backward_tree(result))


def _print_forward(result: ForwardTrace) -> None:
    subject = result.subject
    window = ""
    if result.since or result.until:
        since = f"{result.since:{TIME}}" if result.since else "the start"
        until = f"{result.until:{TIME}}" if result.until else "now"
        window = f" from {since} until {until} UTC"
    console.print(
        Text.assemble(
            ("Forward trace of ", "bold"), f"{subject.kind} ", (subject.code, "cyan"), window
        )
    )
    counts = Table(title="Affected units by status")
    counts.add_column("status")
    counts.add_column("pieces", justify="right")
    counts.add_column("handsets", justify="right")
    for status in sorted(result.piece_counts.keys() | result.handset_counts.keys()):
        counts.add_row(
            status,
            str(result.piece_counts.get(status, 0)),
            str(result.handset_counts.get(status, 0)),
        )
    counts.add_row(Text("total", "bold"), str(len(result.pieces)), str(len(result.handsets)))
    console.print(counts)
    units = Table(title="Units")
    for name in ("role", "uid", "kind", "status", "station", "handset"):
        units.add_column(name)
    listed = [("piece", u) for u in result.pieces] + [("handset", u) for u in result.handsets]
    for role, u in listed[:MAX_LISTED]:
        units.add_row(role, u.uid, u.kind, u.status, u.current_station or "", u.handset_uid or "")
    console.print(units)
    if len(listed) > MAX_LISTED:
        console.print(f"... and {len(listed) - MAX_LISTED} more: use --json for all of them")


def _backward_tree(result: BackwardTrace) -> Tree:
    subject = result.subject
    if result.unit is not None:
        root = Tree(Text.assemble(("Device history record of ", "bold"), (subject.code, "cyan")))
        _add_unit(root, result.unit)
        return root
    root = Tree(Text.assemble((f"{subject.kind} ", "bold"), (subject.code, "cyan")))
    if result.lot is not None:
        lot = result.lot
        root.add(
            Text(
                f"{lot.kind} lot from {lot.supplier} ({lot.supplier_lot}), received "
                f"{lot.received_at:{TIME}}, quantity {lot.quantity}"
            )
        )
    if result.carrier is not None:
        root.add(Text(f"{result.carrier.kind}, capacity {result.carrier.capacity}"))
    if result.batch_run is not None:
        _add_batch_run(root, result.batch_run)
    if result.bath is not None:
        bath = result.bath
        node = root.add(
            Text(
                f"bath on {bath.station_code}, {bath.salt}, since "
                f"{bath.started_at:{TIME}}, {bath.cycles} cycles"
            )
        )
        for analysis in result.bath_analyses:
            node.add(Text(f"{analysis.at:{TIME}} analysis {_values(analysis.values)}"))
    for hold in result.holds:
        root.add(_hold_text(hold.reason, hold.placed_at, hold.released_at))
    root.add(Text("use --forward for the pieces it touched", style="dim"))
    return root


def _add_unit(parent: Tree, unit: UnitTrace) -> None:
    node = parent.add(
        Text.assemble(
            (unit.uid, "bold cyan"), f"  {unit.kind} {unit.product_code}  status {unit.status}"
        )
    )
    if unit.assembled_into:
        node.add(Text(f"assembled into {unit.assembled_into}"))
    if unit.lot is not None:
        node.add(Text.assemble(("lot ", "dim"), (unit.lot.code, "magenta"), f" {unit.lot.kind}"))
    if unit.operations:
        ops = node.add(Text("operations", style="bold"))
        for op in unit.operations:
            _add_operation(ops, op)
    for m in unit.other_measurements:
        node.add(Text(f"{m.measured_at:{TIME}} {m.characteristic_code} = {m.value:g} (no record)"))
    for d in unit.other_defects:
        node.add(Text(f"{d.found_at:{TIME}} defect {d.defect_code} (no record)", style="red"))
    for use in unit.lots_used:
        node.add(Text.assemble(("uses ", "dim"), f"{use.role} lot ", (use.lot.code, "magenta")))
    for hold in unit.holds:
        node.add(
            _hold_text(
                f"{hold.reason} ({hold.target_type} {hold.target_code})",
                hold.placed_at,
                hold.released_at,
            )
        )
    if unit.components:
        components = node.add(Text("components", style="bold"))
        for component in unit.components:
            _add_unit(components, component)
    if unit.split_from is not None:
        _add_unit(node.add(Text("cut from", style="bold")), unit.split_from)


def _add_operation(parent: Tree, op: OperationOut) -> None:
    style = {"pass": "green", "fail": "red", "scrap": "red", "rework": "yellow"}
    node = parent.add(
        Text.assemble(
            f"{op.track_in_at:{TIME}} ",
            (op.operation_code, "bold"),
            f" @ {op.station_code} by {op.operator} ",
            (op.result or "open", style.get(op.result or "", "dim")),
        )
    )
    if op.carrier is not None:
        node.add(Text(f"carrier {op.carrier.code} ({op.carrier.kind})"))
    if op.batch_run is not None:
        _add_batch_run(node, op.batch_run)
    for m in op.measurements:
        mark = "" if m.in_spec else "  OUT OF SPEC"
        node.add(Text(f"{m.characteristic_code} = {m.value:g} [{m.lsl}, {m.usl}]{mark}"))
    for d in op.defects:
        node.add(Text(f"defect {d.defect_code} zone {d.zone or '-'} {d.size_mm or ''}", "red"))


def _add_batch_run(parent: Tree, run: BatchRunOut) -> None:
    node = parent.add(Text(f"cycle {run.code} on {run.station_code}, {run.started_at:{TIME}}"))
    if run.bath is not None:
        node.add(Text(f"bath {run.bath.code} ({run.bath.salt})"))
    if run.chemistry is not None:
        node.add(Text(f"chemistry at {run.chemistry.at:{TIME}}: {_values(run.chemistry.values)}"))


def _values(values: dict[str, object]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(values.items()))


def _hold_text(reason: str, placed_at: datetime, released_at: datetime | None) -> Text:
    state = f"released {released_at:{TIME}}" if released_at else "active"
    return Text(f"hold {placed_at:{TIME}}: {reason} ({state})", style="yellow")
