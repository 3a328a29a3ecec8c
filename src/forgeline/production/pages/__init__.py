"""Production's pages: overview, work orders, stations, holds, yield, and the units behind them."""

from __future__ import annotations

from fastapi import APIRouter

from forgeline.production.pages import (
    holds,
    overview,
    station,
    stations,
    units,
    work_orders,
    yields,
)

router = APIRouter(include_in_schema=False)
for module in (overview, work_orders, stations, station, holds, yields, units):
    router.include_router(module.router)

__all__ = ["router"]
