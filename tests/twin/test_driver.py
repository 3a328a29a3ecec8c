"""The twin drives a real database through the ingest service: nothing refused, every piece
accounted for, and Forgeline's own tables agree with the twin's ledger."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production.tables import BatchRun, EquipmentState, Measurement, Unit, WorkOrder
from forgeline.twin.scenario import Scenario
from forgeline.twin.service import simulate_into

START = datetime(2026, 3, 2, tzinfo=UTC)


def test_a_simulated_day_through_ingest(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    try:
        with session_scope(factory, write=True) as session:
            load_definition_file(session, DEFAULT_PLANT, SYSTEM_ACTOR)
        scenario = Scenario(days=1, scale=0.008, seed=11, start=START)
        driven = simulate_into(factory, scenario, SYSTEM_ACTOR)
        with session_scope(factory) as session:
            statuses = dict(
                session.execute(
                    select(Unit.status, func.count()).where(Unit.kind == "glass")
                    .group_by(Unit.status)
                ).all()
            )  # fmt: skip
            cs = session.scalar(
                select(func.count()).select_from(Measurement)
                .where(Measurement.characteristic_code == "CS")
            )  # fmt: skip
            states = session.scalar(select(func.count()).select_from(EquipmentState))
            cycles = session.scalar(select(func.count()).select_from(BatchRun))
            orders = session.execute(
                select(WorkOrder.code, WorkOrder.product_code, WorkOrder.status,
                       WorkOrder.line_code, WorkOrder.quantity, func.count(Unit.id))
                .outerjoin(Unit, Unit.work_order_id == WorkOrder.id)
                .group_by(WorkOrder.id)
            ).all()  # fmt: skip
            unplanned = session.scalar(
                select(func.count()).select_from(Unit)
                .where(Unit.kind == "glass", Unit.work_order_id.is_(None))
            )  # fmt: skip
    finally:
        engine.dispose()
    sub, ledger = driven.submitter, driven.twin.ledger
    assert sub.totals["rejected"] == 0, [r.to_dict() for r in sub.rejections]
    assert sub.totals["accepted"] == driven.summary.events > 5_000
    started = sum(statuses.values())
    in_process = statuses.get("waiting", 0) + statuses.get("in_process", 0)
    assert started == ledger.started > 0
    assert started == statuses.get("finished", 0) + statuses.get("scrapped", 0) + in_process
    assert statuses.get("finished", 0) == ledger.good
    assert statuses.get("scrapped", 0) == ledger.scrapped
    assert cs and cs % 5 == 0
    assert states and cycles
    # The plan: one released order per cover-glass product for the day, on the cutting line,
    # asking for what the day's starts should yield; every piece belongs to its product's order.
    products = {p.code for p in driven.twin.plant.products.cover_glass}
    assert {o.product_code for o in orders} == products and len(orders) == len(products)
    assert {(o.status, o.line_code) for o in orders} == {("released", "FAB-1")}
    assert all(o.code.endswith(f"-D00-{o.product_code}") for o in orders)
    assert unplanned == 0 and sum(o[-1] for o in orders) == started
    share = driven.twin.starts_per_day / len(products)
    assert all(0.5 * share < o.quantity < share for o in orders)  # starts less expected scrap


def test_running_the_same_scenario_again_is_a_replay(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    try:
        with session_scope(factory, write=True) as session:
            load_definition_file(session, DEFAULT_PLANT, SYSTEM_ACTOR)
        scenario = Scenario(days=0.25, scale=0.008, seed=12, start=START)
        first = simulate_into(factory, scenario, SYSTEM_ACTOR)
        with session_scope(factory) as session:
            units = session.scalar(select(func.count()).select_from(Unit))
        again = simulate_into(factory, scenario, SYSTEM_ACTOR)
        with session_scope(factory) as session:
            assert session.scalar(select(func.count()).select_from(Unit)) == units
    finally:
        engine.dispose()
    assert first.submitter.totals["accepted"] > 0
    assert again.submitter.totals["accepted"] == 0
    assert again.submitter.totals["duplicate"] == first.submitter.totals["accepted"]
