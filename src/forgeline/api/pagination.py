"""The pagination convention for every list endpoint: `?limit=&offset=`, answered as a Page.

Lists are ordered by a stable key chosen by the endpoint; `total` is the count of all matches so a
client knows when to stop; `limit` is capped by the `page_size_max` setting.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request

from forgeline.api.schemas import StrictModel
from forgeline.errors import invalid

T = TypeVar("T")
DEFAULT_LIMIT = 50


class Page(StrictModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(StrictModel):
    limit: int
    offset: int


def page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, description="items per page")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
) -> PageParams:
    cap: int = request.app.state.settings.page_size_max
    if limit > cap:
        raise invalid(
            "page.limit_too_large", f"limit {limit} is over the maximum of {cap}", max=cap
        )
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]
