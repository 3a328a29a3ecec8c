"""The plant's charts in terms of the SPC engine: point statistics, limits, rules.

A chart with subgroup size n > 1 is an X-bar/R chart (qcc's default sigma, R-bar/d2); n = 1 is
an individuals / moving-range chart (MR-bar/d2). The live run rules are the Western Electric set
(`RULES`), the rules most plants post beside their charts; points beyond the R or MR chart's
limits are flagged too (the engine's ``limits`` rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session

from forgeline.db.base import utcnow
from forgeline.quality.monitor_tables import SpcChart, SpcLimits
from forgeline.quality.spc import (
    Limits,
    RuleSet,
    SpcInputError,
    chart_series,
    estimate_limits,
    evaluate,
)

RULES = RuleSet.parse("we")


class PointLike(Protocol):
    """A chart point: a stored `SpcPoint` or one being judged in an ingest batch."""

    @property
    def seq(self) -> int: ...

    @property
    def readings(self) -> list[float]: ...

    @property
    def mean(self) -> float | None: ...


def chart_kind(subgroup_size: int) -> str:
    return "xbar-r" if subgroup_size > 1 else "i-mr"


def point_statistics(
    values: Sequence[float], previous_mean: float | None
) -> tuple[float, float | None]:
    """(mean, spread): the range of a subgroup, or an individual's moving range (None first)."""
    mean = sum(values) / len(values)
    if len(values) > 1:
        return mean, max(values) - min(values)
    return mean, None if previous_mean is None else abs(mean - previous_mean)


def _data(subgroup_size: int, points: Sequence[PointLike]) -> list[list[float]] | list[float]:
    if subgroup_size > 1:
        return [list(p.readings) for p in points]
    return [float(p.mean) for p in points if p.mean is not None]


def estimate(subgroup_size: int, points: Sequence[PointLike], excluded: Sequence[int]) -> Limits:
    """Phase I limits from these points, leaving out the points with seq in `excluded`."""
    skip = set(excluded)
    positions = [i for i, p in enumerate(points) if p.seq in skip]
    return estimate_limits(
        chart_kind(subgroup_size), _data(subgroup_size, points), exclude=positions
    )


PHASE1_RULES = RuleSet.parse("we:1")  # with the R/MR chart's limits, which every rule set checks
PHASE1_ROUNDS = 5


def phase_one(subgroup_size: int, points: Sequence[PointLike]) -> tuple[Limits, list[int]]:
    """Limits from `points` as an engineer sets them in phase I: estimate, leave out the points
    beyond the X-bar (or I) or R (or MR) limits, estimate again, until none is beyond (at most
    PHASE1_ROUNDS times). The seqs left out come back with the limits."""
    excluded: list[int] = []
    limits = estimate(subgroup_size, points, excluded)
    for _ in range(PHASE1_ROUNDS):
        flags = evaluate(
            chart_kind(subgroup_size), _data(subgroup_size, points), limits, rules=PHASE1_RULES
        ).rules_by_point()
        beyond = [points[i].seq for i in flags if points[i].seq not in excluded]
        if not beyond:
            break
        excluded = sorted({*excluded, *beyond})
        if len(points) - len(excluded) < max(2, len(points) // 2):
            raise SpcInputError(
                f"{len(excluded)} of the first {len(points)} points are beyond their own limits: "
                "the process was not in control; a quality engineer sets the limits"
            )
        limits = estimate(subgroup_size, points, excluded)
    return limits, excluded


def store_limits(
    session: Session,
    chart: SpcChart,
    limits: Limits,
    points: Sequence[PointLike],
    *,
    excluded: Sequence[int],
    reason: str,
    actor: str,
) -> SpcLimits:
    """Record `limits` as the chart's next version and make it current."""
    series = chart_series(
        chart_kind(chart.subgroup_size), _data(chart.subgroup_size, points), limits
    )
    main, spread = series[0], series[1]
    last = len(main.values) - 1
    version = 1
    if chart.limits_id is not None:
        current = session.get(SpcLimits, chart.limits_id)
        version = (current.version + 1) if current is not None else 1
    row = SpcLimits(
        chart_id=chart.id,
        version=version,
        center=float(main.center[last]),
        lcl=float(main.lcl[last]),
        ucl=float(main.ucl[last]),
        spread_center=float(spread.center[-1]),
        spread_lcl=float(spread.lcl[-1]),
        spread_ucl=float(spread.ucl[-1]),
        sigma=float(limits.sigma or 0.0),
        frozen=limits.to_dict(),
        from_seq=points[0].seq,
        to_seq=points[-1].seq,
        excluded=sorted(excluded),
        reason=reason,
        set_by=actor,
        set_at=utcnow(),
    )
    session.add(row)
    session.flush()
    chart.limits_id = row.id
    return row


def rules_by_point(
    subgroup_size: int, points: Sequence[PointLike], row: SpcLimits
) -> dict[int, list[str]]:
    """Position in `points` -> the rules that point breaks against the stored limits. A point's
    flags depend only on it and the points before it, so one call judges a run of new points."""
    limits = Limits.from_dict(row.frozen)
    result = evaluate(chart_kind(subgroup_size), _data(subgroup_size, points), limits, rules=RULES)
    return result.rules_by_point()


def limits_summary(row: SpcLimits) -> dict[str, Any]:
    return {
        "version": row.version,
        "center": row.center,
        "lcl": row.lcl,
        "ucl": row.ucl,
        "spread_center": row.spread_center,
        "spread_ucl": row.spread_ucl,
        "sigma": row.sigma,
        "from_point": row.from_seq,
        "to_point": row.to_seq,
        "excluded": row.excluded,
        "reason": row.reason,
    }
