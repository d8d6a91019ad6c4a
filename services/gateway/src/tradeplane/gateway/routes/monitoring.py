"""Health of every service instance, collected over the bus."""

from __future__ import annotations

from fastapi import APIRouter, Response
from tradeplane.runtime.health import gather_health

from ..deps import CurrentUser, Gw
from ..envelope import EnvelopeRoute, ok
from ..schemas import ERRORS, Ok

router = APIRouter(prefix="/api/monitoring", tags=["monitoring"], route_class=EnvelopeRoute, responses=ERRORS)

EXPECTED = ("gateway", "risk", "marketdata", "execution", "pnl", "notifier", "compliance")


@router.get("/health", response_model=Ok[dict[str, object]])
async def health(user: CurrentUser, gw: Gw) -> Response:
    """Each running instance's checks; `degraded` when one fails or a service has no instance."""
    answers = sorted(
        await gather_health(gw.broker), key=lambda a: (a.get("service", ""), a.get("instance", ""))
    )
    running = {a.get("service") for a in answers}
    missing = [s for s in EXPECTED if s not in running]
    healthy = all(a.get("status") == "ok" for a in answers) and not missing
    return ok({"status": "ok" if healthy else "degraded", "services": answers, "missing": missing})
