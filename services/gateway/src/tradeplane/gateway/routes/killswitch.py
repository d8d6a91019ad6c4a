"""The kill switch: halt trading for oneself, or (admins) for anyone or everyone."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from tradeplane.contracts import HaltScope
from tradeplane.contracts.queries import RISK, ErrorCode

from ..auth.principal import Principal
from ..deps import CurrentUser, Gw, Pages, Trader, on_behalf_of
from ..envelope import ApiError, EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, ErrorBody, KillSwitchCommand, Ok, Page

router = APIRouter(prefix="/api/killswitch", tags=["killswitch"], route_class=EnvelopeRoute, responses=ERRORS)
Status = Ok[dict[str, object]]
RELEASE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorBody,
        "description": f"FORBIDDEN, or {ErrorCode.HALT_ENGAGED_BY_ADMIN}: an admin engaged the halt",
    }
}


def _command(user: Principal, body: KillSwitchCommand) -> dict[str, str]:
    if body.scope is HaltScope.GLOBAL and not user.is_admin:
        raise ApiError(403, "FORBIDDEN", "only admins may use the global kill switch")
    params = {"scope": body.scope.value, "reason": body.reason}
    if body.scope is HaltScope.USER:
        params |= on_behalf_of(user, body.user_id)
    return params


@router.get("/status", response_model=Status)
async def killswitch_status(
    user: CurrentUser, gw: Gw, user_id: Annotated[UUID | None, Query(alias="userId")] = None
) -> Response:
    """Whether the global and the user's kill switch are engaged."""
    return await forward(gw, user, RISK, "killswitch.status", on_behalf_of(user, user_id))


@router.post("/activate", response_model=Status)
async def activate(body: KillSwitchCommand, user: Trader, gw: Gw) -> Response:
    """Halt trading: scope user (oneself; admins: anyone) or global (admins)."""
    return await forward(gw, user, RISK, "killswitch.activate", _command(user, body))


@router.post("/deactivate", response_model=Status, responses=RELEASE_ERRORS)
async def deactivate(body: KillSwitchCommand, user: Trader, gw: Gw) -> Response:
    """Release a halt (same rules as activate; a halt an admin engaged only an admin releases)."""
    return await forward(gw, user, RISK, "killswitch.deactivate", _command(user, body))


@router.get("/history", response_model=Page[dict[str, object]])
async def history(user: CurrentUser, gw: Gw, pages: Pages) -> Response:
    """Activations and releases, newest first (admins see everyone's)."""
    return await forward(gw, user, RISK, "killswitch.history", pages.params())
