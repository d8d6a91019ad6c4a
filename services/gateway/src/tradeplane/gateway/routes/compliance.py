"""The audit log: who did what, when and why (kill switch, releases, settings, accounts, every change
through the API), filtered, paged and exported as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from ..adapters import audit_store
from ..adapters.audit_store import AuditQuery
from ..auth.principal import Principal
from ..deps import CurrentUser, DbConn, Gw, Pages
from ..envelope import ApiError, EnvelopeRoute, paged, pagination
from ..schemas import ERRORS, Page
from ..views import audit_json
from .market import IsoTime

router = APIRouter(prefix="/api/compliance", tags=["compliance"], route_class=EnvelopeRoute, responses=ERRORS)

CSV_COLUMNS = (
    *("occurredAt", "service", "actor", "action", "target", "reason", "details"),
    *("chain", "seq", "hash"),
)


async def _query(
    user: CurrentUser,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.\-]{1,100}$")] = None,
    since: Annotated[IsoTime | None, Query(alias="from", description="e.g. 2026-12-01T00:00:00Z")] = None,
    until: Annotated[IsoTime | None, Query(alias="to", description="e.g. 2026-12-02T00:00:00Z")] = None,
) -> AuditQuery:
    start, end = _instant(since, "from"), _instant(until, "to")
    if start is not None and end is not None and end <= start:
        raise ApiError(422, "VALIDATION_ERROR", "`to` must be after `from`", to="must be after from")
    return AuditQuery(_viewer(user), actor, action, start, end)


def _instant(value: datetime | None, name: str) -> datetime | None:
    """The time in UTC (a time without an offset is UTC); 422 INVALID_TIME without a UTC form."""
    if value is None:
        return None
    try:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):
        raise ApiError(422, "INVALID_TIME", f"{name} is out of range", field=name) from None


Filter = Annotated[AuditQuery, Depends(_query)]


def _viewer(user: Principal) -> tuple[UUID, str] | None:
    return None if user.is_admin else (user.id, user.email)


_CSV_BODY = {"text/csv": {"schema": {"type": "string"}}}
CSV: dict[int | str, dict[str, Any]] = {200: {"content": _CSV_BODY, "description": "CSV, header row first"}}
JSON_OR_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": _CSV_BODY, "description": "The entries; CSV with `format=csv`"}
}


@router.get("/audit-log", response_model=Page[dict[str, object]], responses=JSON_OR_CSV)
async def audit_log(
    user: CurrentUser,
    conn: DbConn,
    pages: Pages,
    query: Filter,
    gw: Gw,
    format: Literal["json", "csv"] = "json",
) -> Response:
    """Audit entries, newest first: everyone's for admins, otherwise those by or about the caller;
    filtered by `actor`, `action`, `from` and `to`; `format=csv` exports every match."""
    if format == "csv":
        return _csv(gw, query)
    rows, total = await audit_store.search(conn, query, pages.offset, pages.page_size)
    return paged([audit_json(r) for r in rows], pagination(pages.page, pages.page_size, total))


@router.get("/audit-log/export", response_class=StreamingResponse, responses=CSV)
async def audit_log_export(gw: Gw, query: Filter) -> Response:
    """Every matching audit entry as CSV, oldest first (the filters of GET /api/compliance/audit-log)."""
    return _csv(gw, query)


def _csv(gw: Gw, query: AuditQuery) -> Response:
    async def lines() -> AsyncIterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        async with gw.rt.engine.connect() as conn:
            async for row in audit_store.export(conn, query):
                entry = audit_json(row)
                entry["details"] = orjson.dumps(entry["details"]).decode()
                writer.writerow([_cell(entry[c]) for c in CSV_COLUMNS])
                if out.tell() > 64_000:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
        yield out.getvalue()

    headers = {"Content-Disposition": 'attachment; filename="audit-log.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


def _cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
