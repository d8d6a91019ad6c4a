"""The built-in strategies a bot can run, with the JSON Schema of each one's config (served by the gateway
itself from `tradeplane.strategies`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from starlette.convertors import StringConvertor, register_url_convertor
from tradeplane.strategies import STRATEGIES

from ..bots import StrategyOut, strategy_json
from ..deps import CurrentUser
from ..envelope import ApiError, EnvelopeRoute, ok
from ..schemas import ERRORS, Ok


class StrategyIdConvertor(StringConvertor):
    """A strategy id in a path: any segment but `compare` (`POST /api/strategies/compare` is its own
    resource, so `GET` is not served there)."""

    regex = r"(?!compare(?:/|$))[^/]+"


register_url_convertor("strategy", StrategyIdConvertor())

router = APIRouter(prefix="/api/strategies", tags=["strategies"], route_class=EnvelopeRoute, responses=ERRORS)
_ALL: list[dict[str, Any]] = [strategy_json(spec) for spec in STRATEGIES.values()]


@router.get("", response_model=Ok[list[StrategyOut]])
async def list_strategies(user: CurrentUser) -> Response:
    """The built-in strategies: id, name, type, description, configSchema, updatableFields, version."""
    return ok(_ALL)


@router.get("/{strategy_id:strategy}", response_model=Ok[StrategyOut])
async def get_strategy(
    strategy_id: Annotated[str, Path(max_length=64, examples=["rebalancer"])], user: CurrentUser
) -> Response:
    """One strategy; 404 STRATEGY_NOT_FOUND for an id no built-in has."""
    found = STRATEGIES.get(strategy_id)
    if found is None:
        raise ApiError(404, "STRATEGY_NOT_FOUND", "no such strategy", known=list(STRATEGIES))
    return ok(strategy_json(found))
