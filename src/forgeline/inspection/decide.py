"""Accept, reject or re-clean a piece from its defects and the plant's per-zone limits.

Pure: it takes plain limit data (see `inspection.limits` for the plant definition's), so the
rule can be tested and used anywhere. The rule is the plant definition's: a zone a defect code
does not list, or lists without limits, tolerates no occurrence; otherwise each defect must be
within the zone's size bounds and the count within `max_count`. A cleanable code (dust) never
rejects: it asks for a re-clean.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Generator / classifier class -> plant defect code.
CLASS_CODES = {
    "scratch": "SCR",
    "dig": "DIG",
    "chip": "CHIP",
    "crack": "CRK",
    "bubble": "BUB",
    "stain": "STN",
    "dust": "DST",
}
PASS, RECLEAN, REJECT = "pass", "reclean", "reject"
VERDICTS = (PASS, RECLEAN, REJECT)


@dataclass(frozen=True)
class ZoneRule:
    max_count: int = 0
    max_length_mm: float | None = None
    max_width_mm: float | None = None
    max_diameter_mm: float | None = None


@dataclass(frozen=True)
class CodeRule:
    code: str
    zones: frozenset[str]
    cleanable: bool = False
    limits: dict[str, ZoneRule] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    cls: str
    zone: str
    length_mm: float
    width_mm: float
    diameter_mm: float


@dataclass(frozen=True)
class Decision:
    verdict: str
    reasons: tuple[str, ...]
    violating: tuple[int, ...]  # indices of findings that break a limit


def rules_from_json(data: dict[str, Any]) -> dict[str, CodeRule]:
    return {
        code: CodeRule(
            code,
            frozenset(spec.get("zones", [])),
            bool(spec.get("cleanable", False)),
            {z: ZoneRule(**lim) for z, lim in spec.get("limits", {}).items()},
        )
        for code, spec in data.items()
    }


def _size_breaks(f: Finding, rule: ZoneRule) -> str | None:
    checks = (
        ("length", f.length_mm, rule.max_length_mm),
        ("width", f.width_mm, rule.max_width_mm),
        ("diameter", f.diameter_mm, rule.max_diameter_mm),
    )
    for name, value, bound in checks:
        if bound is not None and value > bound:
            return f"{name} {value:.3f} mm > {bound} mm"
    return None


def decide(findings: list[Finding], rules: dict[str, CodeRule]) -> Decision:
    reasons: list[str] = []
    violating: list[int] = []
    counts: Counter[tuple[str, str]] = Counter()
    reclean = False
    for i, f in enumerate(findings):
        code = CLASS_CODES[f.cls]
        rule = rules.get(code)
        if rule is None:
            reasons.append(f"{code} in zone {f.zone}: no rule in the plant definition")
            violating.append(i)
            continue
        if rule.cleanable:
            reclean = True
            continue
        limit = rule.limits.get(f.zone) if f.zone in rule.zones else None
        if limit is None:
            reasons.append(f"{code} in zone {f.zone}: not tolerated")
            violating.append(i)
            continue
        broken = _size_breaks(f, limit)
        if broken:
            reasons.append(f"{code} in zone {f.zone}: {broken}")
            violating.append(i)
        counts[(code, f.zone)] += 1
    for (code, zone), n in sorted(counts.items()):
        allowed = rules[code].limits[zone].max_count
        if n > allowed:
            reasons.append(f"{code} in zone {zone}: {n} found, at most {allowed}")
            violating.extend(
                i for i, f in enumerate(findings) if CLASS_CODES[f.cls] == code and f.zone == zone
            )
    if reasons:
        return Decision(REJECT, tuple(reasons), tuple(sorted(set(violating))))
    if reclean:
        return Decision(RECLEAN, ("dust: clean and inspect again",), ())
    return Decision(PASS, (), ())
