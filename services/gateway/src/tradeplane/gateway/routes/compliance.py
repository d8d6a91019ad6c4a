"""The audit log: who did what, when and why (kill switch, releases, settings, accounts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ..adapters import repo
from ..deps import CurrentUser, DbConn, Pages
from ..envelope import EnvelopeRoute, paged, pagination
from ..schemas import ERRORS, Page
from ..views import audit_json

router = APIRouter(prefix="/api/compliance", tags=["compliance"], route_class=EnvelopeRoute, responses=ERRORS)


@router.get("/audit-log", response_model=Page[dict[str, object]])
async def audit_log(
    user: CurrentUser,
    conn: DbConn,
    pages: Pages,
    action: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.\-]{1,100}$")] = None,
) -> Response:
    """Audit entries, newest first: everyone's for admins, otherwise those by or about the caller."""
    viewer = None if user.is_admin else (user.id, user.email)
    rows, total = await repo.audit_page(conn, viewer, action, pages.offset, pages.page_size)
    return paged([audit_json(r) for r in rows], pagination(pages.page, pages.page_size, total))
