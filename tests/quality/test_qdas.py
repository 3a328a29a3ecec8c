"""Q-DAS AQDEF export: header fields per characteristic, one block of fields per value."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from forgeline.errors import DomainError
from forgeline.quality.qdas import export_qdas
from tests.quality.conftest import CS, FINISHED, Plant


def test_header_and_values(db: Session, plant: Plant) -> None:
    export = export_qdas(db, units=FINISHED[:2], characteristics=["CS", "THK"])
    lines = export.text.split("\r\n")
    assert export.text.endswith("\r\n") and export.values == 4
    assert lines[:3] == ["K0100 2", "K1001/1 CG-AUR-A55", "K1002/1 Aurora A55 front cover"]
    # CS: the product's own limits (700 / 820 / 950) override the characteristic's.
    assert lines[3:10] == [
        "K2001/1 CS", "K2002/1 Compressive stress", "K2004/1 0", "K2101/1 820.0",
        "K2110/1 700.0", "K2111/1 950.0", "K2142/1 MPa",
    ]  # fmt: skip
    assert "K2110/2 0.53" in lines and "K2111/2 0.57" in lines and "K2142/2 mm" in lines
    first = lines.index(f"K0001/1 {CS[0]}")
    assert lines[first : first + 5] == [
        f"K0001/1 {CS[0]}", "K0004/1 02.03.2026/12:00:00", "K0006/1 IOX-Q1", "K0010/1 IOX-01",
        f"K0014/1 {FINISHED[0]}",
    ]  # fmt: skip
    thk = [line for line in lines if line.startswith("K0001/2 ")]
    assert thk == ["K0001/2 0.551", "K0001/2 0.549"]
    # THK was measured at polishing, outside any batch run: the work order is the batch.
    assert "K0006/2 WO-QA-1" in lines


def test_default_is_every_measured_characteristic(db: Session, plant: Plant) -> None:
    export = export_qdas(db, work_order=plant.work_order)
    assert export.characteristics == ["CS", "DOL", "THK"] and export.values == 18


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({}, "qdas.scope_required"),
        ({"work_order": "WO-QA-1", "certificate": "COC-000001"}, "qdas.scope_required"),
        ({"certificate": "COC-404"}, "certificate.not_found"),
        ({"work_order": "WO-QA-1", "characteristics": ["WCA"]}, "qdas.no_measurements"),
        ({"units": ["nope"]}, "unit.unknown"),
    ],
)
def test_refusals(db: Session, plant: Plant, kw: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as caught:
        export_qdas(db, **kw)  # type: ignore[arg-type]
    assert caught.value.code == code
