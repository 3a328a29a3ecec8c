"""The handset line of the twin: finished Sentinel glass assembled into handsets, provisioned
through the security domain's issuance service, tested and packed; every piece accounted for."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.config import Settings
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.errors import DomainError
from forgeline.plant.definition import PlantDefinition
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production.tables import Unit
from forgeline.security.tables import (
    DeviceIdentity,
    EolCheck,
    FlashRecord,
    ImeiRecord,
    LicenceConsumption,
)
from forgeline.trace.service import backward
from forgeline.twin.emitter import Action
from forgeline.twin.handsets import line_of
from forgeline.twin.run import simulate
from forgeline.twin.scenario import Scenario
from forgeline.twin.service import simulate_into

START = datetime(2026, 3, 2, tzinfo=UTC)
HANDSET_ROUTE = ["PCB", "DSA", "PRV", "FT", "HPK"]


def _run(plant: PlantDefinition, seed: int) -> tuple[list[object], object]:
    items: list[object] = []
    twin = simulate(plant, Scenario(days=2, scale=0.01, seed=seed, start=START,
                                    handset_share=0.3),
                    lambda batch, _done: items.extend(batch))  # fmt: skip
    return items, twin


def test_handsets_follow_their_route_and_consume_finished_glass(plant: PlantDefinition) -> None:
    items, twin = _run(plant, 5)
    again, _ = _run(plant, 5)
    assert items == again  # reproducible, provisioning requests included
    events = [e for e in items if isinstance(e, dict)]
    handsets = {e["uid"]: e["product"] for e in events if e["type"] == "start"
                and e["kind"] == "handset"}  # fmt: skip
    assert handsets and set(handsets.values()) == {"SNT-S1", "SNT-S1P"}
    finished_at = {e["uid"]: e["at"] for e in events if e["type"] == "track_out"
                   and e.get("uid") and e["station"].startswith("PACK-")
                   and e["result"] == "pass"}  # fmt: skip
    glass_product = {e["uid"]: e["product"] for e in events if e["type"] == "start"}
    assembled = [e for e in events if e["type"] == "assemble"]
    assert len(assembled) == len({e["glass"] for e in assembled}) > 0
    cover = {"SNT-S1": "CG-SNT-S1", "SNT-S1P": "CG-SNT-S1P"}
    for e in assembled:  # a finished piece of the model's own cover glass, finished before
        assert e["glass"] in finished_at and finished_at[e["glass"]] < e["at"]
        assert glass_product[e["glass"]] == cover[handsets[e["handset"]]]
        assert set(e["lots"]) == {"pcba", "battery"}
    # Each handset visits its stations in the routing's order.
    stations: dict[str, list[str]] = {}
    for e in events:
        if e["type"] == "track_in" and e.get("uid") in handsets:
            prefix = e["station"].split("-")[0]
            if not stations.setdefault(e["uid"], []) or stations[e["uid"]][-1] != prefix:
                stations[e["uid"]].append(prefix)
    packed = [u for u, s in stations.items() if s[-1] == "HPK"]
    assert packed and all(stations[u] == HANDSET_ROUTE for u in packed[:20])
    # Provisioning requests: the handsets that passed FLASH, each once, in its territories.
    requests = [d for i in items if isinstance(i, Action) and i.kind == "provision"
                for d in i.params["devices"]]  # fmt: skip
    passed_flash = {e["uid"] for e in events if e["type"] == "track_out"
                    and e["station"].startswith("PRV-") and e["result"] == "pass"}  # fmt: skip
    assert sorted(u for u, _, _ in requests) == sorted(passed_flash)
    assert all(handsets[u] == m for u, m, _ in requests)
    assert {t for _, _, t in requests} <= {"IN", "LK", "NP", "BD"}
    checks = [u for i in items if isinstance(i, Action) and i.kind == "eol_check"
              for u in i.params["devices"]]  # fmt: skip
    passed_ft = {e["uid"] for e in events if e["type"] == "track_out"
                 and e["station"].startswith("FT-") and e["result"] == "pass"}  # fmt: skip
    assert sorted(checks) == sorted(passed_ft & passed_flash) and checks
    line = line_of(twin)  # type: ignore[arg-type]
    hs = twin.handset_ledger  # type: ignore[attr-defined]
    assert hs.started == len(handsets) and line.assembled == len(assembled)
    assert line.provisioned == len(requests)
    assert hs.good == len(packed) and hs.good + hs.scrapped <= hs.started
    # The glass line's own accounting is unchanged: good is what finished at PACK.
    assert twin.ledger.good == len(finished_at)  # type: ignore[attr-defined]


def test_handset_share_is_checked() -> None:
    with pytest.raises(DomainError) as caught:
        Scenario(days=1, handset_share=1.5)
    assert caught.value.code == "twin.handset_share_invalid"


def test_a_run_with_handsets_through_ingest_and_issuance(db_url: str, settings: Settings) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    try:
        with session_scope(factory, write=True) as session:
            load_definition_file(session, DEFAULT_PLANT, SYSTEM_ACTOR)
        scenario = Scenario(days=2, scale=0.005, seed=11, start=START, handset_share=0.3)
        driven = simulate_into(factory, scenario, SYSTEM_ACTOR, settings=settings)
        line = line_of(driven.twin)
        sample = sorted(line.glass_of)[:3]
        with session_scope(factory) as session:
            glass = Counter(dict(session.execute(
                select(Unit.status, func.count()).where(Unit.kind == "glass")
                .group_by(Unit.status)).all()))  # fmt: skip
            handsets = session.scalar(
                select(func.count()).select_from(Unit).where(Unit.kind == "handset")
            )
            identities = session.scalars(select(DeviceIdentity.unit_uid)).all()
            imeis = session.scalars(select(ImeiRecord.unit_uid)).all()
            consumed = session.scalars(select(LicenceConsumption.unit_uid)).all()
            flashed = session.scalars(select(FlashRecord.unit_uid)).all()
            eol = Counter(session.scalars(select(EolCheck.verdict)).all())
            traced = {}
            for uid in sample:
                history = backward(session, uid).unit
                assert history is not None
                traced[uid] = [c.uid for c in history.components]
    finally:
        engine.dispose()
    sub, hs = driven.submitter, driven.twin.handset_ledger
    assert sub.totals["rejected"] == 0, [r.to_dict() for r in sub.rejections]
    assert sub.provisioned.refused == 0, sub.provisioned.reasons
    assert handsets == hs.started > 0 and line.assembled > 0
    # Identities, IMEIs and licence units: exactly the handsets that passed provisioning.
    assert sub.provisioned.issued == line.provisioned > 0
    assert sorted(identities) == sorted(set(consumed)) and len(consumed) == len(identities)
    assert len(identities) == line.provisioned
    per_unit = Counter(imeis)
    assert set(per_unit) == set(identities) and set(per_unit.values()) <= {1, 2}
    assert sorted(flashed) == sorted(identities)
    # The end-of-line check: every provisioned handset that passed final test, all passing.
    assert eol == {"pass": sub.provisioned.eol_passed} and line.eol_checked == eol["pass"] > 0
    # Conservation: glass finished or consumed by assembly is the twin's good glass.
    ledger = driven.twin.ledger
    assert glass["consumed"] == line.assembled
    assert glass["finished"] + glass["consumed"] == ledger.good
    assert glass["scrapped"] == ledger.scrapped
    assert sum(glass.values()) == ledger.started
    assert driven.summary.handsets["assembled"] == line.assembled
    # Backward from a handset: its glass piece.
    assert traced == {uid: [line.glass_of[uid]] for uid in sample}
