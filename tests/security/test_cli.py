"""The pki / imei / licence / royalty commands against a real database of their own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from forgeline.audit.tables import AuditEntry
from forgeline.cli.main import app
from forgeline.db.base import utcnow
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.plant.service import DEFAULT_PLANT
from tests.cli_kit import cli_environment
from tests.security.kit import DUAL, add_handsets, csr_for


@pytest.fixture
def cli_db(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with cli_environment(monkeypatch, tmp_path, db_url):
        yield db_url


def run(*args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_provisioning_from_the_shell(cli_db: str, tmp_path: Path) -> None:
    run("plant", "load", str(DEFAULT_PLANT))
    engine = make_engine(cli_db)
    with session_scope(make_session_factory(engine), write=True) as session:
        add_handsets(session, 1, ["H1", "H2"], DUAL)
    run("pki", "init", "--root-passphrase", "correct horse battery staple")
    run(
        "licence", "grant", "--code", "P1", "--licensor", "SECVENDOR", "--model", DUAL,
        "--territory", "IN", "--from", "2020-01-01", "--until", "2099-12-31", "--units", "5",
    )  # fmt: skip
    csr = tmp_path / "h1.csr"
    csr.write_text(csr_for("H1"))
    issued = json.loads(
        run("pki", "issue", "--csr", str(csr), "--territory", "IN", "--json").stdout
    )
    assert issued["unit"] == "H1" and len(issued["imeis"]) == 2
    again = run("pki", "issue", "--csr", str(csr), "--territory", "IN", ok=False)
    assert again.exit_code == 1 and "identity.exists" in again.output
    outside = run("licence", "grant", "--code", "P2", "--licensor", "SECVENDOR", "--model", DUAL,
                  "--territory", "PK", "--from", "2020-01-01", "--until", "2099-12-31",
                  "--units", "5", ok=False)  # fmt: skip
    assert "licence.territory_not_licensed" in outside.output

    checked = run("imei", "check", issued["imeis"][1])
    assert "issued to H1" in checked.output
    wrong = run("imei", "check", issued["imeis"][1][:14] + "0", ok=False)
    if issued["imeis"][1][14] != "0":
        assert "imei.bad_check_digit" in wrong.output
    pair = json.loads(run("imei", "allocate", "H2", "--json").stdout)["imeis"]
    assert int(pair[0][8:14]) == int(issued["imeis"][1][8:14]) + 1

    run("royalty", "terms", "--licensor", "SECVENDOR", "--name", "Vendor", "--rate", "2.50",
        "--minimum", "1000")  # fmt: skip
    today = utcnow()
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    pdf, csv_file = tmp_path / "s.pdf", tmp_path / "s.csv"
    statement = json.loads(
        run("royalty", "statement", "--quarter", quarter, "--json",
            "--pdf", str(pdf), "--csv", str(csv_file)).stdout
    )  # fmt: skip
    assert statement["total_units"] == 1 and statement["payable"] == "1000.00"
    assert pdf.read_bytes().startswith(b"%PDF") and "true_up" in csv_file.read_text()
    bad_quarter = run("royalty", "statement", "--quarter", "2026-3", "--licensor", "X", ok=False)
    assert "royalty.bad_quarter" in bad_quarter.output

    with session_scope(make_session_factory(engine)) as session:
        refused = session.scalar(
            select(func.count()).where(AuditEntry.action == "identity.issue.refused")
        )
    engine.dispose()
    assert refused == 1  # committed although the command failed
