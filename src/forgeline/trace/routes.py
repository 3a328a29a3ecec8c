"""The trace API: the device history record of anything (backward) and the recall set (forward).

Identifiers may contain parentheses (GS1 element strings) and, for lot codes, slashes; the path
converter takes the rest of the path, so the `/forward` routes are declared first.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.trace import service
from forgeline.trace.export import forward_csv
from forgeline.trace.schemas import BackwardTrace, ForwardTrace

router = APIRouter(prefix="/trace", tags=["trace"])
TraceReader = Annotated[Principal, Depends(require("trace.read"))]
Since = Annotated[
    datetime | None, Query(description="window start, inclusive (ISO 8601 with zone)")
]
Until = Annotated[datetime | None, Query(description="window end, exclusive (ISO 8601 with zone)")]
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@router.get("/{identifier:path}/forward.csv", response_class=Response)
def forward_trace_csv(
    identifier: str,
    session: SessionDep,
    _principal: TraceReader,
    since: Since = None,
    until: Until = None,
) -> Response:
    """The recall set as CSV: one line per affected piece, then per handset containing one."""
    trace = service.forward(session, identifier, since=since, until=until)
    filename = _UNSAFE_FILENAME.sub("_", trace.subject.code).strip("_") or "trace"
    return Response(
        forward_csv(trace),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="recall-{filename}.csv"'},
    )


@router.get("/{identifier:path}/forward", response_model=ForwardTrace)
def forward_trace(
    identifier: str,
    session: SessionDep,
    _principal: TraceReader,
    since: Since = None,
    until: Until = None,
) -> ForwardTrace:
    """Every piece a lot, bath, ion-exchange cycle, carrier, station or operator touched
    (inside the window), every handset containing one, their current state and counts."""
    return service.forward(session, identifier, since=since, until=until)


@router.get("/{identifier:path}", response_model=BackwardTrace)
def backward_trace(identifier: str, session: SessionDep, _principal: TraceReader) -> BackwardTrace:
    """The device history record: operations, measurements, defects, holds, carrier, ion-exchange
    cycle with its bath chemistry, lots used, and every component down to the sheet lot."""
    return service.backward(session, identifier)
