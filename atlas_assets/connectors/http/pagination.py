"""Pagination kinds: each says what the next request is, given the page just read, or that it was the last.

Stop conditions: an empty page (every kind), the total reached (offset, page number), no next
cursor / URL / `Link: rel="next"`. `max_pages` guards against servers that loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import Field, model_validator

from atlas_assets.config.errors import FieldError
from atlas_assets.config.settings import StrictModel
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.http.bodies import value_at

PaginationType = Literal["none", "offset", "page_number", "cursor", "next_url", "link_header"]


class PaginationConfig(StrictModel):
    """`pagination:` of a rest object."""

    type: PaginationType = "none"
    limit: int | None = Field(default=None, ge=1, description="offset: page size sent as `limit_param`.")
    limit_param: str = "limit"
    offset_param: str = "offset"
    page_param: str = "page"
    start_page: int = 1
    page_size: int | None = Field(default=None, ge=1, description="page_number: sent as `page_size_param`.")
    page_size_param: str = "per_page"
    total_path: str | None = Field(default=None, description="Body path of the total record count.")
    total_pages_path: str | None = Field(default=None, description="Body path of the page count.")
    cursor_path: str | None = Field(default=None, description="cursor: body path of the next cursor.")
    cursor_param: str = "cursor"
    next_url_path: str | None = Field(default=None, description="next_url: body path of the next page's URL.")
    max_pages: int = Field(default=100_000, ge=1, description="Fail when an extraction exceeds this.")

    @model_validator(mode="after")
    def _complete(self) -> PaginationConfig:
        if self.type == "offset" and self.limit is None:
            raise FieldError("limit", "offset pagination needs `limit` (the page size)")
        if self.type == "cursor" and not self.cursor_path:
            raise FieldError(
                "cursor_path", "cursor pagination needs `cursor_path` (where the next cursor is)"
            )
        if self.type == "next_url" and not self.next_url_path:
            raise FieldError("next_url_path", "next_url pagination needs `next_url_path`")
        return self


@dataclass(frozen=True)
class PageRequest:
    url: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One fetched page: the response, its parsed body and the records selected from it."""

    response: httpx.Response
    body: Any
    records: list[dict[str, Any]]


def pages(
    first: PageRequest,
    config: PaginationConfig,
    fetch: Callable[[PageRequest], Page],
) -> Iterator[Page]:
    """Fetch page after page until a stop condition; raise past `max_pages`."""
    request: PageRequest | None = _first(first, config)
    count = fetched = 0
    while request is not None:
        if count >= config.max_pages:
            raise PermanentSourceError(
                f"more than {config.max_pages} pages (pagination.max_pages); the server may be "
                "looping: check the pagination settings, or raise max_pages"
            )
        page = fetch(request)
        count += 1
        fetched += len(page.records)
        yield page
        request = _next(request, page, config, fetched, count)


def _first(request: PageRequest, config: PaginationConfig) -> PageRequest:
    params = dict(request.params)
    if config.type == "offset":
        params |= {config.offset_param: 0, config.limit_param: config.limit}
    elif config.type == "page_number":
        params[config.page_param] = config.start_page
        if config.page_size:
            params[config.page_size_param] = config.page_size
    return PageRequest(request.url, params)


def _next(
    request: PageRequest, page: Page, config: PaginationConfig, fetched: int, count: int
) -> PageRequest | None:
    kind = config.type
    if kind == "none" or not page.records:
        return None
    if kind in ("offset", "page_number"):
        total = _number(value_at(page.body, config.total_path))
        if total is not None and fetched >= total:
            return None
        pages_total = _number(value_at(page.body, config.total_pages_path))
        if pages_total is not None and count >= pages_total:
            return None
        if kind == "offset":
            offset = int(request.params[config.offset_param]) + len(page.records)
            return PageRequest(request.url, {**request.params, config.offset_param: offset})
        number = int(request.params[config.page_param]) + 1
        return PageRequest(request.url, {**request.params, config.page_param: number})
    if kind == "cursor":
        cursor = value_at(page.body, config.cursor_path)
        if cursor in (None, ""):
            return None
        return PageRequest(request.url, {**request.params, config.cursor_param: cursor})
    # next_url and link_header: the server hands over the whole next URL, query included.
    if kind == "next_url":
        url = value_at(page.body, config.next_url_path)
    else:
        url = page.response.links.get("next", {}).get("url")
    if not url:
        return None
    target = page.response.url.join(str(url))
    # The query travels as params: httpx would otherwise replace the URL's own query with them.
    return PageRequest(str(target.copy_with(query=None)), dict(target.params.multi_items()))


def reported_total(page: Page, config: PaginationConfig) -> int | None:
    """The record count the page's body reports at `total_path`, if configured and present."""
    total = _number(value_at(page.body, config.total_path))
    return int(total) if total is not None else None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value.strip().isdigit():
        return float(value)
    return None
