"""`forgeline plant load FILE` and `forgeline plant show`: the plant definition from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.text import Text
from rich.tree import Tree

from forgeline.cli.context import (
    CLI_ACTOR,
    JsonOption,
    console,
    err_console,
    fail,
    print_json,
    unit_of_work,
)
from forgeline.errors import DomainError
from forgeline.plant import queries, service
from forgeline.plant.definition import ERROR_CODE, parse_definition
from forgeline.plant.schemas import PlantSummary, RoutingOut, plant_summary

app = typer.Typer(help="Load and inspect the plant definition.", no_args_is_help=True)


@app.command("load")
def load(
    file: Path = typer.Argument(..., help="plant definition YAML", dir_okay=False),
    as_json: bool = JsonOption,
) -> None:
    """Validate FILE and load it as the next revision (nothing changes if it is the current)."""
    try:
        text = service.read_definition_file(file)
        definition = parse_definition(text, str(file))
    except DomainError as exc:
        _fail_listing_problems(exc)
    with unit_of_work() as session:
        result = service.load_revision(session, definition, text, CLI_ACTOR)
        number, digest = result.revision.number, result.revision.content_sha256
    if as_json:
        print_json({"revision": number, "created": result.created, "content_sha256": digest})
    elif result.created:
        console.print(f"Loaded {file} as plant revision {number} (new).")
    else:
        console.print(f"{file} is unchanged: plant revision {number} stays current (not new).")


@app.command("show")
def show(
    as_json: bool = JsonOption,
    revision: int | None = typer.Option(
        None, "--revision", help="a revision number; default: current"
    ),
) -> None:
    """The plant: site > areas > lines > stations, products and routings."""
    with unit_of_work(write=False) as session:
        row = (
            service.current_revision(session)
            if revision is None
            else service.get_revision(session, revision)
        )
        summary = plant_summary(
            row,
            queries.lines_with_stations(session, row.number),
            queries.products(session, row.number),
            queries.routings(session, row.number),
        )
    if as_json:
        print_json(summary.model_dump(mode="json"))
        return
    console.print(_tree(summary))


def _fail_listing_problems(exc: DomainError) -> NoReturn:
    if exc.code != ERROR_CODE:
        fail(exc)
    err_console.print(Text.assemble(("error", "bold red"), f" [{exc.code}] {exc.message}"))
    source = exc.details.get("source", "")
    for problem in exc.details.get("problems", [])[1:]:
        field = f"{problem['field']}: " if problem["field"] else ""
        err_console.print(Text(f"  {source}:{problem['line']}: {field}{problem['problem']}"))
    raise typer.Exit(code=1)


def _tree(summary: PlantSummary) -> Tree:
    rev = summary.revision
    root = Tree(
        Text.assemble(
            (rev.name, "bold"),
            f" {rev.definition_version}  revision {rev.number}, loaded "
            f"{rev.loaded_at:%Y-%m-%d %H:%M} UTC by {rev.loaded_by}",
        )
    )
    site = root.add(Text(f"Site {summary.site.code} {summary.site.name} ({summary.site.timezone})"))
    for area in summary.site.areas:
        area_node = site.add(Text.assemble(("Area ", "dim"), (area.code, "bold"), f" {area.name}"))
        for line in area.lines:
            line_node = area_node.add(
                Text.assemble(("Line ", "dim"), (line.code, "bold"), f" {line.name}")
            )
            for s in line.stations:
                batch = f", batch {s.batch_size}" if s.batch_size else ""
                line_node.add(
                    Text.assemble(
                        (s.code, "cyan"),
                        f" {s.name}  ",
                        (s.station_type, "magenta"),
                        f"  capacity {s.capacity}, cycle {s.ideal_cycle_s:g} s{batch}",
                    )
                )
    products = root.add(Text("Products", style="bold"))
    for p in summary.products:
        products.add(
            Text.assemble(
                (p.code, "cyan"),
                f" {p.name}  {p.kind}, customer {p.customer_code}, "
                f"GTIN {p.gtin}, routing {p.routing_code}",
            )
        )
    routings = root.add(Text("Routings", style="bold"))
    for routing in summary.routings:
        _add_routing(routings, routing)
    return root


def _add_routing(parent: Tree, routing: RoutingOut) -> None:
    node = parent.add(
        Text.assemble((routing.code, "cyan"), f" {routing.name} ({routing.product_kind})")
    )
    for op in routing.operations:
        parts: list[str | tuple[str, str]] = [
            f"{op.position + 1}. ",
            (op.code, "bold"),
            f" {op.name}  ",
            (op.station_type, "magenta"),
        ]
        if op.rework_only:
            parts.append(("  rework only", "yellow"))
        if op.measurements:
            parts.append(f"  measures {', '.join(op.measurements)}")
        for loop in op.rework:
            parts.append((f"  rework -> {loop['to']} (max {loop['max_count']})", "yellow"))
        node.add(Text.assemble(*parts))
