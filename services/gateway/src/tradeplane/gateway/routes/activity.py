"""`GET /api/admin/activity`: the platform's activity log for admins: every audited action (logins,
kill switch, settings, accounts, disabled webhooks...), newest first, or one user's (by or about them)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from ..adapters import audit_store, repo
from ..adapters.audit_store import AuditQuery
from ..deps import Admin, DbConn, Pages
from ..envelope import ApiError, EnvelopeRoute, paged, pagination
from ..schemas import ERRORS, Page
from ..views import audit_json

router = APIRouter(prefix="/api/admin", tags=["admin"], route_class=EnvelopeRoute, responses=ERRORS)


@router.get("/activity", response_model=Page[dict[str, object]])
async def activity(
    admin: Admin,
    conn: DbConn,
    pages: Pages,
    user_id: Annotated[UUID | None, Query(alias="userId")] = None,
    action: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.\-]{1,100}$")] = None,
) -> Response:
    """Audited actions of every user (or of `userId`: by or about them), newest first."""
    viewer = None
    if user_id is not None:
        row = await repo.user_by_id(conn, user_id)
        if row is None:
            raise ApiError(404, "USER_NOT_FOUND", "no such user")
        viewer = (user_id, str(row.email))
    query = AuditQuery(viewer, None, action, None, None)
    rows, total = await audit_store.search(conn, query, pages.offset, pages.page_size)
    return paged([audit_json(r) for r in rows], pagination(pages.page, pages.page_size, total))
