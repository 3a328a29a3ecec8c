"""`forgeline quality` against a real database holding the conftest work order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from forgeline.audit.tables import AuditEntry
from forgeline.cli.main import app
from forgeline.db.engine import make_engine
from tests.cli_kit import cli_environment
from tests.quality.conftest import FINISHED, build_plant

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        build_plant(session)
        session.commit()
    engine.dispose()
    with cli_environment(monkeypatch, tmp_path, db_url):
        yield db_url


def quality(*args: str, code: int = 0) -> Result:
    result = runner.invoke(app, ["quality", *args], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result


def test_issue_verify_and_export(cli_env: str, tmp_path: Path) -> None:
    pdf = tmp_path / "coc.pdf"
    issued = quality("coc", "issue", "--customer", "AURORA", "--work-order", "WO-QA-1",
                     "--out", str(pdf), "--json")  # fmt: skip
    answer = json.loads(issued.stdout)
    assert answer["units"] == 6 and pdf.exists()
    assert answer["certificate"] in PdfReader(pdf).pages[0].extract_text()
    engine = make_engine(cli_env)
    with Session(engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.object_id == answer["certificate"])
        ).one()
    engine.dispose()
    assert entry.actor == "system:cli" and (entry.after or {})["sha256"] == answer["sha256"]

    valid = quality("coc", "verify", str(pdf))
    assert "valid" in valid.output and answer["certificate"] in valid.output
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(pdf.read_bytes() + b"%tampered\n")
    assert "not valid" in quality("coc", "verify", str(forged), code=2).output

    dfq = tmp_path / "out.dfq"
    quality(
        "qdas", "export", "--work-order", "WO-QA-1", "--characteristic", "CS", "--out", str(dfq)
    )
    text = dfq.read_bytes().decode("latin-1")
    assert text.startswith("K0100 1\r\n") and f"K0014/1 {FINISHED[0]}" in text


def test_refusals_exit_non_zero_with_the_code(cli_env: str, tmp_path: Path) -> None:
    out = quality("coc", "issue", "--customer", "KESTREL", "--unit", FINISHED[0],
                  "--out", str(tmp_path / "x.pdf"), code=1).output  # fmt: skip
    assert "certificate.wrong_customer" in out and not (tmp_path / "x.pdf").exists()
    assert (
        "sampling.unknown_aql"
        in quality("sampling", "plan", "--lot-size", "100", "--aql", "3", code=1).output
    )


def test_sampling_plan_needs_no_database() -> None:
    out = quality("sampling", "plan", "--lot-size", "1000", "--aql", "1.0", "--json").stdout
    data = json.loads(out)
    assert (data["code_letter"], data["sample_size"], data["accept"], data["reject"]) == (
        "J", 80, 2, 3,
    )  # fmt: skip
