"""Parallel allocators on real databases: no IMEI twice, a pool of N grants exactly N.

Each worker thread has its own engine (its own connections), opens write units of work exactly
as a request does (`session_scope(write=True)`: BEGIN IMMEDIATE on SQLite, row locks on
PostgreSQL) and takes resources one device at a time, so the transactions interleave.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import func, select

from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.errors import DomainError
from forgeline.security import ledger, licences
from forgeline.security.handsets import handset_unit, model_named
from forgeline.security.tables import ImeiRecord, LicenceConsumption, LicencePool
from tests.security.kit import ACTOR, DUAL, add_handsets, load_plant

WORKERS = 6


def _prepare(db_url: str, uids: list[str], pool_units: int | None = None) -> None:
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine), write=True) as session:
        add_handsets(session, load_plant(session), uids, DUAL)
        if pool_units is not None:
            licences.grant_pool(
                session, code="POOL-IN", licensor="SECVENDOR", model=model_named(session, DUAL),
                territory="IN", valid_from=date(2020, 1, 1), valid_until=date(2099, 12, 31),
                units=pool_units, actor=ACTOR,
            )  # fmt: skip
    engine.dispose()


def _run(db_url: str, chunks: list[list[str]], work: object) -> list[object]:
    def worker(chunk: list[str]) -> list[object]:
        engine = make_engine(db_url, pool_size=1)
        factory = make_session_factory(engine)
        out: list[object] = []
        try:
            for uid in chunk:
                try:
                    with session_scope(factory, write=True) as session:
                        out.append(work(session, uid))  # type: ignore[operator]
                except DomainError as error:
                    out.append(error.code)
        finally:
            engine.dispose()
        return out

    with ThreadPoolExecutor(WORKERS) as pool:
        return [r for chunk in pool.map(worker, chunks) for r in chunk]


def test_parallel_imei_allocators_never_issue_one_twice(db_url: str) -> None:
    uids = [f"C{i:04d}" for i in range(120)]
    _prepare(db_url, uids)

    def allocate(session: object, uid: str) -> tuple[str, ...]:
        unit = handset_unit(session, uid)  # type: ignore[arg-type]
        return ledger.allocate_for_units(session, [unit], ACTOR).imeis[uid]  # type: ignore[arg-type]

    results = _run(db_url, [uids[i::WORKERS] for i in range(WORKERS)], allocate)
    imeis = [i for pair in results for i in pair]  # type: ignore[union-attr]
    assert len(imeis) == 240 == len(set(imeis))
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as session:
        stored = session.scalars(select(ImeiRecord.imei)).all()
        serials = sorted(int(i[8:14]) for i in stored)
    engine.dispose()
    assert sorted(stored) == sorted(imeis)
    assert serials == list(range(240))  # dense: nothing lost, nothing twice


def test_concurrent_consumptions_grant_exactly_the_pool(db_url: str) -> None:
    uids = [f"L{i:04d}" for i in range(60)]
    _prepare(db_url, uids, pool_units=25)

    def consume(session: object, uid: str) -> str:
        model = model_named(session, DUAL)  # type: ignore[arg-type]
        return licences.consume(session, model, uid, "IN", ACTOR)  # type: ignore[arg-type]

    results = _run(db_url, [uids[i::WORKERS] for i in range(WORKERS)], consume)
    assert Counter(results) == {"POOL-IN": 25, "licence.pool_exhausted": 35}
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as session:
        consumed = session.scalar(select(LicencePool.consumed))
        rows = session.scalar(select(func.count()).select_from(LicenceConsumption))
    engine.dispose()
    assert consumed == rows == 25
