"""SPC pages: the dashboard of every live chart, one chart with its capability, the alarms.

Charts are plotly figures built here as plain data and drawn by web/static/charts.js, like the
yield pages; every point links to the units measured in it (through the trace page).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError
from forgeline.production.pages.overview import OverviewPanel, add_overview_panel
from forgeline.quality import spc_service
from forgeline.quality.monitor_tables import SpcChart, SpcLimits, SpcPoint
from forgeline.quality.spc import DESCRIPTIONS
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("quality.read"))]
Acknowledger = Annotated[Principal, Depends(require("spc.acknowledge"))]
LimitSetter = Annotated[Principal, Depends(require("spc.limits"))]


def _alarm_panel(session: Session) -> dict[str, Any] | None:
    open_alarms = spc_service.alarms(session, status="open", limit=10)
    if not open_alarms:
        return None
    return {
        "spc_alarms": open_alarms,
        "spc_alarm_count": spc_service.open_alarm_count(session),
        "rule_text": DESCRIPTIONS,
    }


def add_overview_panels() -> None:
    """Open SPC alarms on the plant overview (shown only while there are any)."""
    add_overview_panel(OverviewPanel("spc-alarms", "quality/_overview_alarms.html", _alarm_panel))


@router.get("/quality", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    _: Reader,
    characteristic: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """Every monitored chart with its state; open alarms on top."""
    rows = spc_service.list_charts(session, characteristic=characteristic or None)
    codes = spc_service.charted_characteristics(session)
    return render(
        request,
        "quality/spc_dashboard.html",
        {
            "rows": rows,
            "codes": codes,
            "characteristic": characteristic,
            "alarms": spc_service.alarms(session, status="open", limit=20),
            "open_alarms": spc_service.open_alarm_count(session),
            "rule_text": DESCRIPTIONS,
        },
    )


def _lines(points: list[SpcPoint], limits: SpcLimits | None, attr: str) -> list[dict[str, Any]]:
    if limits is None or not points:
        return []
    seqs = [points[0].seq, points[-1].seq]
    if attr == "mean":
        levels = [
            ("UCL", limits.ucl, "#c62828"),
            ("CL", limits.center, "#1565c0"),
            ("LCL", limits.lcl, "#c62828"),
        ]
        sigma_x = (limits.ucl - limits.center) / 3.0
        zones = (-2, -1, 1, 2)
        levels += [(f"{k:+d} sigma", limits.center + k * sigma_x, "#bdbdbd") for k in zones]
    else:
        levels = [("UCL", limits.spread_ucl, "#c62828"), ("CL", limits.spread_center, "#1565c0")]
        if limits.spread_lcl > 0:
            levels.append(("LCL", limits.spread_lcl, "#c62828"))
    return [
        {
            "x": seqs, "y": [level, level], "mode": "lines", "name": f"{name} {level:.4g}",
            "line": {"color": colour, "dash": "dot" if "sigma" in name else "dash", "width": 1},
            "hoverinfo": "name",
        }
        for name, level, colour in levels
    ]  # fmt: skip


def _trace_link(point: SpcPoint, uids: dict[int, str]) -> str:
    first = uids.get(point.unit_ids[0]) if point.unit_ids else None
    return f"/trace?q={first}" if first else ""


def chart_figure(
    chart: SpcChart,
    points: list[SpcPoint],
    limits: SpcLimits | None,
    uids: dict[int, str],
    attr: str,
) -> dict[str, Any]:
    """The X-bar (or I) chart, or the R (or MR) chart, with limits, zones and violations."""
    shown = [p for p in points if getattr(p, attr) is not None]
    bad = [p for p in shown if p.rules] if attr == "mean" else []
    label = (
        ("X̄" if chart.subgroup_size > 1 else "I")
        if attr == "mean"
        else ("R" if chart.subgroup_size > 1 else "MR")
    )
    data = [
        {
            "x": [p.seq for p in shown], "y": [getattr(p, attr) for p in shown],
            "mode": "lines+markers", "name": label, "marker": {"size": 6, "color": "#1f2937"},
            "line": {"color": "#1f2937", "width": 1},
            "customdata": [_trace_link(p, uids) for p in shown],
            "hovertemplate": "point %{x}: %{y:.5g}<extra></extra>",
        },
        *_lines(shown, limits, attr),
    ]  # fmt: skip
    if bad:
        data.append(
            {
                "x": [p.seq for p in bad], "y": [p.mean for p in bad], "mode": "markers",
                "name": "rule broken", "marker": {"size": 11, "color": "#c62828", "symbol": "x"},
                "text": [", ".join(p.rules) for p in bad],
                "customdata": [_trace_link(p, uids) for p in bad],
                "hovertemplate": "point %{x}: %{text}<extra></extra>",
            }
        )  # fmt: skip
    return {
        "data": data,
        "layout": {
            "height": 320 if attr == "mean" else 220,
            "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
            "title": {"text": f"{label} chart", "font": {"size": 14}},
            "xaxis": {"title": {"text": "point (subgroup)"}},
            "showlegend": False,
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def histogram_figure(
    points: list[SpcPoint], spec: tuple[float | None, float | None, float | None]
) -> dict[str, Any]:
    values = [v for p in points for v in p.readings]
    lsl, target, usl = spec
    shapes = [
        {"type": "line", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1,
         "line": {"color": colour, "dash": "dash"}}
        for x, colour in ((lsl, "#c62828"), (target, "#1565c0"), (usl, "#c62828")) if x is not None
    ]  # fmt: skip
    return {
        "data": [
            {"type": "histogram", "x": values, "marker": {"color": "#90a4ae"}, "name": "values"}
        ],
        "layout": {
            "height": 260,
            "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
            "title": {"text": "Distribution against the specification", "font": {"size": 14}},
            "shapes": shapes,
            "bargap": 0.05,
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def _chart_page(
    request: Request,
    session: SessionDep,
    chart_id: int,
    error: DomainError | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    chart = spc_service.get_chart(session, chart_id)
    history = spc_service.limits_history(session, chart)
    current = next((row for row in history if row.id == chart.limits_id), None)
    points = spc_service.chart_points(session, chart, last=200)
    uids = spc_service.unit_uids(session, {p.unit_ids[0] for p in points if p.unit_ids})
    study, note = spc_service.chart_capability(session, chart, points, current)
    spec = spc_service.spec_limits(session, chart)
    figures = {
        "main": chart_figure(chart, points, current, uids, "mean"),
        "spread": chart_figure(chart, points, current, uids, "spread"),
        "histogram": histogram_figure(points, spec),
    }
    return render(
        request,
        "quality/spc_chart.html",
        {
            "chart": chart,
            "limits": current,
            "history": history,
            "points": points,
            "figures": figures,
            "study": study,
            "capability_note": note,
            "spec": spec,
            "alarms": spc_service.alarms(session, status=None, chart_id=chart.id, limit=20),
            "rule_text": DESCRIPTIONS,
            "error": error,
            "notice": notice,
        },
        status_code=error.kind.http_status if error else 200,
    )


@router.get("/quality/charts/{chart_id}", response_class=HTMLResponse)
def chart_page(request: Request, chart_id: int, session: SessionDep, _: Reader) -> HTMLResponse:
    """One chart: X-bar/R (or I-MR) with limits and zones, violations, capability, histogram."""
    return _chart_page(request, session, chart_id)


@router.post("/quality/charts/{chart_id}/limits")
def recalculate_form(
    request: Request,
    chart_id: int,
    session: SessionDep,
    principal: LimitSetter,
    from_point: Annotated[int, Form(ge=1)],
    to_point: Annotated[int, Form(ge=1)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    excluded: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Recalculate limits from a range of points (a new version, with the reason)."""
    try:
        skip = [int(part) for part in excluded.replace(" ", "").split(",") if part]
    except ValueError:
        error = DomainError("spc.excluded_not_numbers", "list excluded points as numbers: 3, 7")
        return _chart_page(request, session, chart_id, error=error)
    try:
        row = spc_service.recalculate_limits(
            session, chart_id, from_seq=from_point, to_seq=to_point, excluded=skip,
            reason=reason, actor=principal.actor,
        )  # fmt: skip
    except DomainError as exc:
        if exc.code == "spc.chart_not_found":
            raise
        return _chart_page(request, session, chart_id, error=exc)
    return RedirectResponse(f"/quality/charts/{chart_id}?limits={row.version}", status_code=303)


@router.get("/quality/alarms", response_class=HTMLResponse)
def alarms_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    show: Annotated[str, Query(pattern="^(open|acknowledged|all)$")] = "open",
    acknowledged: int | None = None,
) -> HTMLResponse:
    """Alarms to acknowledge (quality role), newest first."""
    return _alarms_page(request, session, principal, show, acknowledged=acknowledged)


def _alarms_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    show: str,
    error: DomainError | None = None,
    acknowledged: int | None = None,
) -> HTMLResponse:
    rows = spc_service.alarms(session, status=None if show == "all" else show)
    return render(
        request,
        "quality/spc_alarms.html",
        {
            "rows": rows,
            "show": show,
            "error": error,
            "acknowledged": acknowledged,
            "principal": principal,
            "rule_text": DESCRIPTIONS,
        },
        status_code=error.kind.http_status if error else 200,
    )


@router.post("/quality/alarms/{alarm_id}/acknowledge")
def acknowledge_form(
    request: Request,
    alarm_id: int,
    session: SessionDep,
    principal: Acknowledger,
    cause: Annotated[str, Form(max_length=2000)] = "",
    action: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Acknowledge with cause and action; refusals show on the alarms page."""
    try:
        spc_service.acknowledge(
            session, alarm_id, cause=cause, action=action, actor=principal.actor
        )
    except DomainError as exc:
        if exc.code == "spc.alarm_not_found":
            raise
        return _alarms_page(request, session, principal, "open", error=exc)
    return RedirectResponse(f"/quality/alarms?acknowledged={alarm_id}", status_code=303)
