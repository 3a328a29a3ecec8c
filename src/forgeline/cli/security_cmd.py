"""`forgeline pki|imei|licence|royalty ...`: the secure handset program from the shell.

Refusals that the API audits are audited here too: the command's transaction commits the
``*.refused`` entry, then the command prints the error and exits 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from forgeline.cli.context import (
    CLI_ACTOR,
    JsonOption,
    console,
    fail,
    print_json,
    settings,
    unit_of_work,
)
from forgeline.security import identity, ledger, licences, statements
from forgeline.security.authority import chain_pem, init_pki, publish_crl
from forgeline.security.eol import set_minimum_patch
from forgeline.security.handsets import handset_unit, model_named
from forgeline.security.pki import csr_common_name
from forgeline.security.refusals import RefusalError, attempt
from forgeline.security.releases import add_release_key
from forgeline.security.royalty import statement_csv

pki_app = typer.Typer(
    help="Factory PKI: CAs, device certificates, CRLs, release keys.", no_args_is_help=True
)
imei_app = typer.Typer(help="The IMEI ledger: allocate, check, void.", no_args_is_help=True)
licence_app = typer.Typer(help="Licence entitlement pools.", no_args_is_help=True)
royalty_app = typer.Typer(help="Royalty terms and quarterly statements.", no_args_is_help=True)
T = TypeVar("T")


def register(app: typer.Typer) -> None:
    app.add_typer(pki_app, name="pki")
    app.add_typer(imei_app, name="imei")
    app.add_typer(licence_app, name="licence")
    app.add_typer(royalty_app, name="royalty")


@contextmanager
def refusable() -> Iterator[Session]:
    """A write unit of work that commits an audited refusal, then reports it and exits 1."""
    refused: list[RefusalError] = []
    with unit_of_work() as session:
        try:
            yield session
        except RefusalError as error:
            refused.append(error)
    if refused:
        fail(refused[0])


def audited(
    session: Session, action: str, unit: str, asked: dict[str, Any], work: Callable[[], T]
) -> T:
    with attempt(
        session, actor=CLI_ACTOR, action=action, object_type="unit", object_id=unit, asked=asked
    ):
        return work()


# --- pki ---------------------------------------------------------------------------------------


@pki_app.command("init")
def pki_init(
    root_passphrase: str = typer.Option(
        "", "--root-passphrase", envvar="FORGELINE_ROOT_PASSPHRASE",
        help="encrypts the root key (12+ chars); empty: derived from the secret key (demo only)",
    ),
) -> None:  # fmt: skip
    """Create the root CA and the factory device CA (once)."""
    with unit_of_work() as session:
        root, intermediate = init_pki(
            session, settings(), CLI_ACTOR, root_passphrase=root_passphrase or None
        )
    console.print(f"root CA: {root.subject} (key protected by {root.key_protection})")
    console.print(f"device CA: {intermediate.subject}")


@pki_app.command("issue")
def pki_issue(
    csr: Path = typer.Option(..., "--csr", exists=True, dir_okay=False, help="device CSR (PEM)"),
    territory: str = typer.Option(..., "--territory", help="IN, LK, NP or BD"),
    unit: str = typer.Option("", "--unit", help="handset serial; default: the CSR's CN"),
    out: Path | None = typer.Option(None, "--out", help="write the certificate here"),
    as_json: bool = JsonOption,
) -> None:
    """Issue a device identity certificate for a CSR (IMEIs and licence unit included)."""
    pem = csr.read_text(encoding="ascii", errors="replace")
    serial = unit or csr_common_name(pem)
    with refusable() as session:
        issued = identity.issue_one(
            session, settings(), identity.IdentityRequest(serial, pem, territory.upper()),
            actor=CLI_ACTOR,
        )  # fmt: skip
    if out is not None:
        out.write_text(issued.certificate_pem, encoding="ascii")
    if as_json:
        print_json({k: getattr(issued, k) for k in issued.__slots__})
        return
    console.print(f"issued {issued.serial_hex} to {issued.unit}: IMEI {' '.join(issued.imeis)}")
    if out is None:
        console.print(issued.certificate_pem, highlight=False, markup=False)


@pki_app.command("revoke")
def pki_revoke(
    unit: str, reason: str = typer.Option("unspecified", "--reason", help="e.g. key_compromise")
) -> None:
    """Revoke a handset's certificate and publish a new CRL."""
    with refusable() as session:
        row = identity.revoke(session, settings(), unit, reason, CLI_ACTOR)
    console.print(f"revoked {row.serial_hex} of {unit}")


@pki_app.command("crl")
def pki_crl(
    out: Path = typer.Option(..., "--out", help="where to write the CRL (PEM)"),
    root: bool = typer.Option(False, "--root", help="the root CA's CRL (needs its passphrase)"),
    passphrase: str = typer.Option("", "--passphrase", envvar="FORGELINE_ROOT_PASSPHRASE"),
) -> None:
    """Sign and publish a fresh CRL."""
    with unit_of_work() as session:
        pem = publish_crl(
            session, settings(), CLI_ACTOR, kind="root" if root else "intermediate",
            passphrase=passphrase or None,
        )  # fmt: skip
    out.write_text(pem, encoding="ascii")
    console.print(f"CRL written to {out}")


@pki_app.command("chain")
def pki_chain(
    out: Path = typer.Option(..., "--out", help="where to write root + device CA"),
) -> None:
    """Write the CA certificates (device CA, then root) as PEM."""
    with unit_of_work(write=False) as session:
        root, intermediate = chain_pem(session)
    out.write_text(intermediate + root, encoding="ascii")
    console.print(f"chain written to {out}")


@pki_app.command("release-key")
def pki_release_key(name: str, public_key_hex: str) -> None:
    """Trust an Ed25519 public key (hex) to sign release manifests."""
    with unit_of_work() as session:
        row = add_release_key(session, name, public_key_hex, CLI_ACTOR)
    console.print(f"release key {row.key_id} ({name}) trusted")


@pki_app.command("min-patch")
def pki_min_patch(model: str, minimum: str) -> None:
    """Set a model's minimum Android security patch level (YYYY-MM-DD) for end of line."""
    try:
        day = date.fromisoformat(minimum)
    except ValueError as exc:
        raise typer.BadParameter(f"not a date: {minimum!r}", param_hint="MINIMUM") from exc
    with unit_of_work() as session:
        set_minimum_patch(session, model_named(session, model).code, day, CLI_ACTOR)
    console.print(f"{model}: minimum patch level {day}")


# --- imei --------------------------------------------------------------------------------------


@imei_app.command("allocate")
def imei_allocate(unit: str, as_json: bool = JsonOption) -> None:
    """Allocate a handset's IMEI (or consecutive pair); a retry answers the same IMEIs."""
    with refusable() as session:
        result = audited(
            session, "imei.allocate", unit, {},
            lambda: ledger.allocate_for_units(session, [handset_unit(session, unit)], CLI_ACTOR),
        )  # fmt: skip
    imeis = list(result.imeis[unit])
    if as_json:
        print_json({"unit": unit, "imeis": imeis, "warnings": result.warnings})
        return
    console.print(f"{unit}: {' '.join(imeis)}")
    for warning in result.warnings:
        console.print(f"[yellow]warning[/] TAC {warning['tac']} is {warning['level']}")


@imei_app.command("check")
def imei_check(number: str, as_json: bool = JsonOption) -> None:
    """Check an IMEI: check digit, TAC, and whether (and to whom) it was issued."""
    with refusable() as session:
        found = audited(
            session,
            "imei.check",
            number,
            {"imei": number},
            lambda: ledger.check_imei(session, number),
        )
    if as_json:
        print_json(found)
        return
    owner = f" to {found['unit']}" if found["unit"] else ""
    console.print(
        f"{found['imei']}: valid, TAC {found['tac']} ({found['model']}), {found['status']}{owner}"
    )


@imei_app.command("void")
def imei_void(unit: str, reason: str = typer.Option(..., "--reason")) -> None:
    """Void a scrapped handset's IMEIs (never reissued)."""
    with refusable() as session:
        voided = audited(
            session, "imei.void", unit, {"reason": reason},
            lambda: ledger.void_unit(session, handset_unit(session, unit), reason, CLI_ACTOR),
        )  # fmt: skip
    console.print(f"voided {' '.join(voided)}")


@imei_app.command("void-scrapped")
def imei_void_scrapped() -> None:
    """Void the IMEIs of every scrapped handset that still holds some."""
    with unit_of_work() as session:
        voided = ledger.void_scrapped(session, CLI_ACTOR)
    console.print(f"voided the IMEIs of {len(voided)} scrapped handset(s)")


@imei_app.command("ranges")
def imei_ranges(as_json: bool = JsonOption) -> None:
    """TAC range use per model."""
    with unit_of_work(write=False) as session:
        rows = ledger.range_usage(session)
    if as_json:
        print_json(rows)
        return
    table = Table("model", "TAC", "used", "left", "level")
    for r in rows:
        table.add_row(r["model"], r["tac"], str(r["used"]), str(r["remaining"]), r["level"])
    console.print(table)


# --- licence -----------------------------------------------------------------------------------


def _day(text: str, hint: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {text!r}", param_hint=hint) from exc


@licence_app.command("grant")
def licence_grant(
    code: str = typer.Option(..., "--code"),
    licensor: str = typer.Option(..., "--licensor"),
    model: str = typer.Option(..., "--model"),
    territory: str = typer.Option(..., "--territory", help="IN, LK, NP or BD"),
    valid_from: str = typer.Option(..., "--from", help="first valid day"),
    valid_until: str = typer.Option(..., "--until", help="last valid day"),
    units: int = typer.Option(..., "--units", min=1),
) -> None:
    """Record a licensor's grant of units for a model and territory."""
    start, end = _day(valid_from, "--from"), _day(valid_until, "--until")
    with unit_of_work() as session:
        pool = licences.grant_pool(
            session, code=code, licensor=licensor, model=model_named(session, model),
            territory=territory.upper(), valid_from=start, valid_until=end, units=units,
            actor=CLI_ACTOR,
        )  # fmt: skip
    console.print(f"pool {pool.code}: {units} units of {model} for {pool.territory}")


@licence_app.command("status")
def licence_status(as_json: bool = JsonOption) -> None:
    """Every pool: granted, consumed, remaining, validity."""
    with unit_of_work(write=False) as session:
        rows = licences.pools_status(session)
    if as_json:
        print_json(rows)
        return
    table = Table("pool", "licensor", "model", "territory", "valid", "consumed", "left")
    for p in rows:
        window = f"{p['valid_from']}..{p['valid_until']}" + (
            "" if p["valid_today"] else " (not today)"
        )
        table.add_row(
            p["code"], p["licensor"], p["model"], p["territory"], window,
            f"{p['consumed']}/{p['granted']}", str(p["remaining"]),
        )  # fmt: skip
    console.print(table)


# --- royalty -----------------------------------------------------------------------------------


def _money(text: str, hint: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise typer.BadParameter(f"not a decimal amount: {text!r}", param_hint=hint) from exc


@royalty_app.command("terms")
def royalty_terms(
    licensor: str = typer.Option(..., "--licensor"),
    name: str = typer.Option(..., "--name"),
    currency: str = typer.Option("USD", "--currency"),
    rate: str = typer.Option(..., "--rate", help="per unit, e.g. 1.25"),
    minimum: str = typer.Option("0", "--minimum", help="minimum guarantee per quarter"),
) -> None:
    """Set a licensor's per-unit rate and quarterly minimum guarantee."""
    with unit_of_work() as session:
        statements.set_terms(
            session, licensor=licensor, name=name, currency=currency,
            rate=_money(rate, "--rate"), minimum=_money(minimum, "--minimum"), actor=CLI_ACTOR,
        )  # fmt: skip
    console.print(f"{licensor}: {rate} {currency.upper()} per unit, minimum {minimum} per quarter")


@royalty_app.command("statement")
def royalty_statement(
    quarter: str = typer.Option(..., "--quarter", help="e.g. 2026Q3"),
    licensor: str = typer.Option("", "--licensor", help="default: the only licensor with terms"),
    csv_out: Path | None = typer.Option(None, "--csv", help="write the CSV here"),
    pdf_out: Path | None = typer.Option(None, "--pdf", help="write the PDF here"),
    as_json: bool = JsonOption,
) -> None:
    """A licensor's royalty statement for a quarter: units, rate, minimum, true-up."""
    with unit_of_work(write=False) as session:
        result = statements.statement(
            session, licensor or statements.default_licensor(session), quarter
        )
    if csv_out is not None:
        csv_out.write_text(statement_csv(result), encoding="utf-8")
    if pdf_out is not None:
        pdf_out.write_bytes(statements.statement_pdf(result))
    if as_json:
        print_json(
            {
                "licensor": result.licensor, "quarter": str(result.quarter),
                "currency": result.currency, "total_units": result.total_units,
                "earned": str(result.earned), "minimum": str(result.minimum),
                "true_up": str(result.true_up), "payable": str(result.payable),
                "lines": [vars(line) for line in result.lines],  # Decimals print as strings
            }
        )  # fmt: skip
        return
    table = Table("model", "territory", "units", "rate", "amount")
    for line in result.lines:
        table.add_row(line.model, line.territory, str(line.units), str(line.rate), str(line.amount))
    console.print(table)
    console.print(
        f"units {result.total_units}  earned {result.earned}  minimum {result.minimum}  "
        f"true-up {result.true_up}  payable {result.payable} {result.currency}"
    )
