"""`forgeline quality ...`: certificates of conformance, Q-DAS export, sampling plans.

    forgeline quality coc issue --customer AURORA --work-order WO-1 [--out FILE.pdf]
    forgeline quality coc verify FILE.pdf
    forgeline quality qdas export --work-order WO-1 [--characteristic CS ...] --out FILE.dfq
    forgeline quality sampling plan --lot-size 1000 --aql 1.0 [--level II] [--found N]

Commands that write are audited as "system:cli", like every command run on the server's shell.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from forgeline.cli.context import CLI_ACTOR, JsonOption, console, fail, print_json, unit_of_work
from forgeline.errors import DomainError
from forgeline.quality import coc, qdas, sampling

app = typer.Typer(help="Quality: certificates, Q-DAS export, sampling plans.", no_args_is_help=True)
coc_app = typer.Typer(help="Certificates of conformance.", no_args_is_help=True)
qdas_app = typer.Typer(help="Q-DAS AQDEF (K-field) export.", no_args_is_help=True)
sampling_app = typer.Typer(help="ISO 2859-1 sampling plans.", no_args_is_help=True)
app.add_typer(coc_app, name="coc")
app.add_typer(qdas_app, name="qdas")
app.add_typer(sampling_app, name="sampling")
UnitOption = typer.Option(None, "--unit", help="a unit identifier (repeat for several)")


def _units(file: Path | None, units: list[str] | None) -> list[str]:
    found = list(units or [])
    if file is not None:
        found += [line.strip() for line in file.read_text().splitlines() if line.strip()]
    return found


@coc_app.command("issue")
def coc_issue(
    customer: str = typer.Option(..., "--customer", help="the brand customer's code"),
    work_order: str | None = typer.Option(None, "--work-order", help="certify its finished units"),
    unit: list[str] | None = UnitOption,
    units_file: Path | None = typer.Option(
        None, "--units-file", help="unit identifiers, one per line", exists=True, dir_okay=False
    ),
    out: Path | None = typer.Option(None, "--out", help="write the PDF here"),
    as_json: bool = JsonOption,
) -> None:
    """Issue a certificate of conformance; its SHA-256 goes into the audit log."""
    with unit_of_work() as session:
        certificate = coc.issue_certificate(
            session,
            customer=customer,
            work_order=work_order,
            units=_units(units_file, unit),
            actor=CLI_ACTOR,
        )
        code, digest, pdf = certificate.code, certificate.sha256, bytes(certificate.pdf)
        count = certificate.unit_count
    target = out or Path(f"{code}.pdf")
    target.write_bytes(pdf)
    if as_json:
        print_json({"certificate": code, "sha256": digest, "units": count, "pdf": str(target)})
    else:
        console.print(f"Issued [bold]{code}[/] for {count} units: {escape(str(target))}")
        console.print(f"SHA-256 {digest}")


@coc_app.command("verify")
def coc_verify(
    file: Path = typer.Argument(..., help="the certificate PDF", exists=True, dir_okay=False),
    as_json: bool = JsonOption,
) -> None:
    """Does FILE match, byte for byte, a certificate we issued? Exit 0 only if it does."""
    with unit_of_work(write=False) as session:
        answer = coc.verify_pdf(session, file.read_bytes())
    if as_json:
        print_json(answer)
    elif answer["valid"]:
        console.print(
            f"[green]valid[/] {answer['certificate']} for {answer['customer']}, "
            f"{answer['units']} units of {answer['product']}, issued {answer['issued_at']} "
            f"by {escape(answer['issued_by'])} (audit entry {answer['audit_seq']})"
        )
    else:
        console.print(f"[bold red]not valid[/] {escape(str(answer['reason']))}")
        console.print(f"SHA-256 {answer['sha256']}")
    if not answer["valid"]:
        raise typer.Exit(code=2)


@qdas_app.command("export")
def qdas_export(
    out: Path = typer.Option(..., "--out", help="the .dfq file to write"),
    work_order: str | None = typer.Option(None, "--work-order"),
    certificate: str | None = typer.Option(None, "--certificate", help="a certificate's units"),
    unit: list[str] | None = UnitOption,
    characteristic: list[str] | None = typer.Option(
        None, "--characteristic", help="repeat for several; default: all measured"
    ),
) -> None:
    """Write the measurements as Q-DAS AQDEF (K-field) text."""
    with unit_of_work(write=False) as session:
        export = qdas.export_qdas(
            session,
            characteristics=characteristic or [],
            work_order=work_order,
            certificate=certificate,
            units=unit or [],
        )
    out.write_bytes(export.encoded())
    console.print(
        f"{export.values} values of {', '.join(export.characteristics)} for {export.product}: "
        f"{escape(str(out))}"
    )


@sampling_app.command("plan")
def sampling_plan(
    lot_size: int = typer.Option(..., "--lot-size", help="items in the lot"),
    aql: str = typer.Option(..., "--aql", help="e.g. 0.65, 1.0, 2.5"),
    level: str = typer.Option("II", "--level", help="I, II, III or S-1 .. S-4"),
    found: int | None = typer.Option(None, "--found", help="nonconforming found: decide"),
    as_json: bool = JsonOption,
) -> None:
    """ISO 2859-1 single sampling plan, normal inspection."""
    try:
        plan = sampling.plan(lot_size, aql, level)
        decision = None if found is None else plan.decide(found).value
    except DomainError as exc:
        fail(exc)
    data = {
        "lot_size": plan.lot_size,
        "level": plan.level.value,
        "aql": str(plan.aql),
        "code_letter": plan.code_letter,
        "plan_letter": plan.plan_letter,
        "sample_size": plan.sample_size,
        "accept": plan.accept,
        "reject": plan.reject,
        "hundred_percent": plan.hundred_percent,
        "decision": decision,
    }
    if as_json:
        print_json(data)
        return
    arrow = "" if plan.plan_letter == plan.code_letter else f" (arrow to {plan.plan_letter})"
    console.print(
        f"Lot {lot_size}, level {plan.level.value}: code letter {plan.code_letter}{arrow}; "
        f"AQL {plan.aql}: inspect {plan.sample_size}"
        f"{' (every item)' if plan.hundred_percent else ''}, accept on {plan.accept}, "
        f"reject on {plan.reject}"
    )
    if decision is not None:
        console.print(f"{found} found: [bold]{decision}[/]")
