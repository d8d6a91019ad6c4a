"""Compliance (owned by the compliance service): violations and their resolution, reports per period,
and T+0 reconciliation of the caller's venue accounts. `routes/compliance.py` serves the audit log."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import Field
from tradeplane.contracts.queries import COMPLIANCE

from ..deps import CurrentUser, Gw, Pages, Trader, on_behalf_of
from ..envelope import EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, Body, Ok, Page

router = APIRouter(prefix="/api/compliance", tags=["compliance"], route_class=EnvelopeRoute, responses=ERRORS)
Data = Ok[dict[str, object]]
ViolationStatus = Literal["Open", "Acknowledged", "Resolved"]
ViolationType = Literal["Position Limit", "Risk Limit", "Pattern Violation", "Regulatory"]


class ResolveBody(Body):
    status: Literal["Acknowledged", "Resolved"] = "Resolved"
    """The owner acknowledges; an admin acknowledges or resolves."""
    note: Annotated[str | None, Field(max_length=2000)] = None


class ReconcileBody(Body):
    venue_id: UUID | None = None
    """One account; all of the caller's when left out."""


@router.get("/violations", response_model=Page[dict[str, object]])
async def list_violations(
    user: CurrentUser,
    gw: Gw,
    pages: Pages,
    status: Annotated[ViolationStatus | None, Query()] = None,
    type: Annotated[ViolationType | None, Query()] = None,
    user_id: Annotated[UUID | None, Query(alias="userId")] = None,
) -> Response:
    """Violations, newest first: the caller's own; an admin's are everyone's (or `userId`'s)."""
    params: dict[str, object] = {**pages.params()}
    if status is not None:
        params["status"] = status
    if type is not None:
        params["type"] = type
    if user_id is not None:
        params["userId"] = str(user_id)
    return await forward(gw, user, COMPLIANCE, "violations.list", params)


@router.put("/violations/{violation_id:uuid}/resolve", response_model=Data)
async def resolve_violation(
    violation_id: UUID, user: Trader, gw: Gw, body: ResolveBody | None = None
) -> Response:
    """Acknowledge or resolve a violation, with a note; who did it is recorded."""
    params = {"id": str(violation_id)} | (body or ResolveBody()).model_dump(mode="json", by_alias=True)
    return await forward(gw, user, COMPLIANCE, "violations.resolve", params)


@router.get("/reports", response_model=Data)
async def report(
    user: CurrentUser,
    gw: Gw,
    period: Annotated[Literal["daily", "weekly", "monthly"], Query()] = "monthly",
    user_id: Annotated[UUID | None, Query(alias="userId")] = None,
) -> Response:
    """The current day's, week's or month's violations by type and severity, with a risk score
    (the caller's; an admin's: the platform's, or `userId`'s)."""
    params: dict[str, object] = {"period": period}
    if user_id is not None:
        params |= on_behalf_of(user, user_id) or {"userId": str(user_id)}
    return await forward(gw, user, COMPLIANCE, "reports.get", params)


@router.post("/reconciliation", response_model=Data)
async def reconciliation(user: Trader, gw: Gw, body: ReconcileBody | None = None) -> Response:
    """T+0 reconciliation of the caller's accounts: booked balances against the venue's."""
    params = (body or ReconcileBody()).params()
    return await forward(gw, user, COMPLIANCE, "reconciliation.run", params)
