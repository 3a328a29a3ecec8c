"""Yield and scrap: rolled and first-pass yield over time, the scrap Pareto, the OEE trend.

Charts are plotly.js figures built here as plain data and drawn by web/static/charts.js; each
point carries the address of the units behind it in `customdata`, so clicking it lists them.
The same figures are in tables under each chart for keyboards and screen readers.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.db.base import utcnow
from forgeline.production.dashboard import current_catalog
from forgeline.production.trends import MAX_DAYS, Trends, trends
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("production.read"))]
DEFAULT_DAYS = 7


def units_link(since: datetime, until: datetime, **filters: object) -> str:
    query = {k: v for k, v in filters.items() if v not in (None, False, "")}
    query.update(since=since.isoformat(), until=until.isoformat())
    return "/units?" + urlencode(query)


def _layout(title: str, y_title: str, percent: bool = True) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "margin": {"l": 56, "r": 16, "t": 40, "b": 48},
        "yaxis": {
            "title": y_title,
            **({"tickformat": ".0%", "range": [0, 1.02]} if percent else {"rangemode": "tozero"}),
        },
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "closest",
        "height": 320,
    }


def yield_figure(data: Trends) -> dict[str, Any]:
    x = [d.day.day.isoformat() for d in data.days]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": f"RTY {routing}",
            "x": x,
            "y": [d.rty.get(routing) for d in data.days],
            "customdata": [
                units_link(
                    d.day.since, d.day.until, routing=routing, first_visit=True, not_passed=True
                )
                for d in data.days
            ],
        }
        for routing in data.routings
    ]
    return {"data": traces, "layout": _layout("Rolled throughput yield per day", "RTY")}


def fpy_figure(data: Trends) -> dict[str, Any]:
    ops = data.operations
    trace = {
        "type": "bar",
        "name": "FPY",
        "x": [op.operation_code for op in ops],
        "y": [op.fpy for op in ops],
        "customdata": [
            units_link(
                data.since,
                data.until,
                operation=op.operation_code,
                first_visit=True,
                not_passed=True,
            )
            for op in ops
        ],
    }
    layout = _layout("First-pass yield per operation", "FPY")
    layout["margin"]["b"] = 80
    layout["yaxis"]["range"] = [max(0.0, min((op.fpy or 1.0) for op in ops) - 0.05), 1.0]
    return {"data": [trace], "layout": layout}


def count_step(raw: float) -> int:
    """The smallest step of 1, 2 or 5 x 10^k (at least 1) not below `raw`: ticks of 0, 100,
    200... rather than 0, 99, 198..."""
    if raw <= 1:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def pareto_figure(data: Trends, by: str) -> dict[str, Any]:
    bars = data.pareto.by_defect if by == "defect" else data.pareto.by_origin
    links = [
        units_link(data.since, data.until, result="scrap", **{by: bar.key})
        if bar.key != "unspecified"
        else units_link(data.since, data.until, result="scrap")
        for bar in bars
    ]
    keys = [bar.key for bar in bars]
    layout = _layout(
        f"Scrap by {'defect' if by == 'defect' else 'origin operation'}", "units", percent=False
    )
    layout["yaxis2"] = {
        "overlaying": "y",
        "side": "right",
        "range": [0, 1.02],
        "tickformat": ".0%",
        # Quarters of the whole, not ticks that follow the count axis's (with one scrap those
        # read "0%" and "97%", the cumulative dot above the top tick).
        "tickmode": "array",
        "tickvals": [0, 0.25, 0.5, 0.75, 1],
        "showgrid": False,
    }
    layout["yaxis"]["dtick"] = count_step(max((b.count for b in bars), default=1) / 5)
    layout["margin"]["r"] = 48
    return {
        "data": [
            {
                "type": "bar",
                "name": "scrapped",
                "x": keys,
                "y": [b.count for b in bars],
                "customdata": links,
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "cumulative",
                "x": keys,
                "y": [b.cumulative for b in bars],
                "yaxis": "y2",
                "customdata": links,
            },
        ],
        "layout": layout,
    }


def oee_figure(data: Trends) -> dict[str, Any]:
    x = [d.day.day.isoformat() for d in data.days]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "plant",
            "x": x,
            "y": [d.plant_oee for d in data.days],
            "line": {"width": 4},
            "customdata": [units_link(d.day.since, d.day.until) for d in data.days],
        }
    ]
    # The busiest station types, hidden until picked in the legend; the rest would crowd it.
    for station_type in data.busiest_station_types():
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": station_type,
                "x": x,
                "y": [row.oee.oee if (row := d.oee.get(station_type)) else None for d in data.days],
                "visible": "legendonly",
                "customdata": [
                    units_link(d.day.since, d.day.until, station_type=station_type)
                    for d in data.days
                ],
            }
        )
    return {"data": traces, "layout": _layout("OEE per day", "OEE")}


@router.get("/yield", response_class=HTMLResponse)
def yield_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS,
) -> HTMLResponse:
    """Yield, scrap and OEE over the last `days` site days."""
    if current_catalog(session) is None:
        return render(
            request, "production/yield.html", {"data": None, "days": days, "principal": principal}
        )
    data = trends(session, days, utcnow())
    figures = {
        "rty": yield_figure(data),
        "fpy": fpy_figure(data) if data.operations else None,
        "pareto-defect": pareto_figure(data, "defect") if data.pareto.total else None,
        "pareto-origin": pareto_figure(data, "origin") if data.pareto.total else None,
        "oee": oee_figure(data),
    }
    return render(
        request,
        "production/yield.html",
        {
            "data": data,
            "days": days,
            "figures": figures,
            "units_link": units_link,
            "principal": principal,
        },
    )
