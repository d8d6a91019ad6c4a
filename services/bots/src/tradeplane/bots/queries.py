"""Query handlers (`tp.query.bots.*`, the catalogue `contracts.queries.BOTS_QUERIES`): a user's bots,
their lifecycle, logs, orders and performance."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import Field, ValidationError
from tradeplane.contracts import BotStatus, NonNegative
from tradeplane.contracts.queries import Caller, Query, QueryError, Reply
from tradeplane.runtime.params import IdParams, Paged, Params
from tradeplane.runtime.queries import QueryHandler
from tradeplane.strategies import LogLevel, registry

from . import views
from .adapters.store import SqlStore
from .domain.performance import Performance, performance
from .host import BotRefused, Host, Unit, symbols_of
from .model import BotRecord

Resolve = Callable[[Caller, UUID], Awaitable[Reply]]
"""Asks execution's `venues.resolve` for an account of the caller."""

Asset = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,20}$")]


class CreateParams(Params):
    name: str = Field(min_length=1, max_length=100)
    strategy: str = Field(min_length=1, max_length=64)
    venue_id: UUID = Field(alias="venueId")
    config: dict[str, Any]
    allocation: dict[Asset, NonNegative] = Field(default_factory=dict, max_length=50)
    dry_run: bool = Field(default=False, alias="dryRun")


class ListParams(Paged):
    status: BotStatus | None = None


class AdminListParams(ListParams):
    user_id: UUID | None = Field(default=None, alias="userId")
    page_size: int = Field(default=100, ge=1, le=1000, alias="pageSize")


class UpdateParams(IdParams):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    config: dict[str, Any] | None = None
    dry_run: bool | None = Field(default=None, alias="dryRun")
    allocation: dict[Asset, NonNegative] | None = Field(default=None, max_length=50)


class StopParams(IdParams):
    cancel_open_orders: bool = Field(default=True, alias="cancelOpenOrders")
    close_positions: bool = Field(default=False, alias="closePositions")


class LogsParams(IdParams, Paged):
    level: LogLevel | None = None


def _invalid(exc: ValidationError, prefix: str) -> QueryError:
    fields = [
        {"field": ".".join([prefix, *(str(p) for p in err["loc"])]), "message": err["msg"]}
        for err in exc.errors()
    ]
    first = fields[0]["field"] if fields else prefix
    return QueryError("VALIDATION_ERROR", f"invalid {first}", 422, fields=fields)


def _amounts(allocation: dict[str, Decimal]) -> dict[str, str]:
    return {asset: format(amount, "f") for asset, amount in allocation.items()}


class BotQueries:
    def __init__(self, host: Host, store: SqlStore, resolve: Resolve) -> None:
        self.host = host
        self.store = store
        self._resolve = resolve

    def handlers(self) -> dict[str, QueryHandler]:
        return {
            "bots.create": self.create,
            "bots.list": self.list_bots,
            "bots.get": self.get,
            "bots.update": self.update,
            "bots.delete": self.delete,
            "bots.start": self.start,
            "bots.pause": self.pause,
            "bots.resume": self.resume,
            "bots.stop": self.stop,
            "bots.run": self.run,
            "bots.logs": self.logs,
            "bots.orders": self.orders,
            "bots.performance": self.performance,
            "bots.admin_list": self.admin_list,
        }

    async def create(self, q: Query) -> dict[str, Any]:
        params = CreateParams.model_validate(q.params)
        try:
            spec = registry.spec(params.strategy)
        except registry.UnknownStrategy:
            raise QueryError(
                "VALIDATION_ERROR",
                f"unknown strategy {params.strategy!r}",
                422,
                fields=[{"field": "strategy", "message": f"one of {', '.join(registry.STRATEGIES)}"}],
            ) from None
        try:
            config = spec.config.model_validate(params.config)
        except ValidationError as exc:
            raise _invalid(exc, "config") from None
        reply = await self._resolve(q.caller, params.venue_id)
        if not reply.ok or not isinstance(reply.data, dict):
            error = reply.error
            if error is not None and error.status != 404:
                raise QueryError(error.code, error.message, error.status)
            raise QueryError("VENUE_NOT_FOUND", "no such venue account", 404, field="venueId")
        account = reply.data
        user_id = UUID(str(account["user_id"]))
        record = BotRecord(
            id=uuid4(),
            user_id=user_id,
            partition=self.host.partition(user_id),
            account_id=UUID(str(account["account_id"])),
            venue=str(account["venue"]),
            environment="Paper" if account["venue"] == "paper" else "Live",
            name=params.name,
            strategy=spec.id,
            strategy_version=spec.version,
            config=config.model_dump(mode="json", by_alias=True),
            allocation=_amounts(params.allocation),
            markets=list(account.get("markets") or []),
            dry_run=params.dry_run,
            status=BotStatus.STOPPED,
            created_at=self.host.clock(),
        )
        return await self._view(await self.host.create(record))

    async def list_bots(self, q: Query) -> Reply:
        params = ListParams.model_validate(q.params)
        status = None if params.status is None else params.status.value
        found, total = await self.store.page(q.caller.user_id, status, params.page, params.page_size)
        return Reply.page(await self._views(found), params.page, params.page_size, total)

    async def admin_list(self, q: Query) -> Reply:
        if not q.caller.is_admin:
            raise QueryError("FORBIDDEN", "admins only", 403)
        params = AdminListParams.model_validate(q.params)
        status = None if params.status is None else params.status.value
        found, total = await self.store.page(params.user_id, status, params.page, params.page_size)
        return Reply.page(await self._views(found), params.page, params.page_size, total)

    async def get(self, q: Query) -> dict[str, Any]:
        return await self._view((await self._owned(q)).bot)

    async def update(self, q: Query) -> dict[str, Any]:
        params = UpdateParams.model_validate(q.params)
        unit = await self._owned(q)
        try:
            updated = await self.host.update(
                unit,
                name=params.name,
                config=params.config,
                dry_run=params.dry_run,
                allocation=None if params.allocation is None else _amounts(params.allocation),
            )
        except ValidationError as exc:
            raise _invalid(exc, "config") from None
        return await self._view(updated)

    async def delete(self, q: Query) -> dict[str, Any]:
        await self._act(self.host.delete(await self._owned(q)))
        return {"deleted": True}

    async def start(self, q: Query) -> dict[str, Any]:
        return await self._view(await self._act(self.host.start(await self._owned(q))))

    async def pause(self, q: Query) -> dict[str, Any]:
        return await self._view(await self._act(self.host.pause(await self._owned(q))))

    async def resume(self, q: Query) -> dict[str, Any]:
        return await self._view(await self._act(self.host.resume(await self._owned(q))))

    async def stop(self, q: Query) -> dict[str, Any]:
        params = StopParams.model_validate(q.params)
        unit = await self._owned(q)
        stopped = self.host.stop(unit, params.cancel_open_orders, params.close_positions)
        return await self._view(await self._act(stopped))

    async def run(self, q: Query) -> dict[str, Any]:
        return await self._view(await self._act(self.host.run_now(await self._owned(q))))

    async def logs(self, q: Query) -> Reply:
        params = LogsParams.model_validate(q.params)
        unit = await self._owned(q)
        level = None if params.level is None else params.level.value
        rows, total = await self.store.logs(unit.bot.id, level, params.page, params.page_size)
        lines = [views.log_line(row) for row in rows]
        return Reply.page(lines, params.page, params.page_size, total)

    async def orders(self, q: Query) -> list[dict[str, Any]]:
        unit = await self._owned(q)
        return [views.order(row) for row in await self.store.orders(unit.bot.id)]

    async def performance(self, q: Query) -> dict[str, Any]:
        unit = await self._owned(q)
        return views.performance((await self._performances([unit.bot]))[unit.bot.id])

    async def _owned(self, q: Query) -> Unit:
        bot_id = IdParams.model_validate(q.params).id
        unit = await self.host.unit(bot_id)
        if unit is None or not (q.caller.is_admin or unit.bot.user_id == q.caller.user_id):
            raise QueryError("BOT_NOT_FOUND", "no such bot", 404)
        return unit

    async def _act(self, action: Awaitable[Any]) -> Any:
        try:
            return await action
        except BotRefused as exc:
            raise QueryError(exc.code, exc.message, exc.status, **exc.details) from None

    def _prices(self, bot: BotRecord) -> dict[str, Decimal]:
        found = {}
        for symbol in symbols_of(bot):
            price = self.host.prices.get((bot.venue, symbol))
            if price is not None:
                found[symbol] = price
        return found

    async def _performances(self, bots: list[BotRecord]) -> dict[Any, Performance]:
        fills = await self.store.fills([b.id for b in bots])
        now = self.host.clock()
        return {
            b.id: performance(
                fills[b.id],
                self._prices(b),
                now,
            )
            for b in bots
        }

    async def _view(self, bot: BotRecord) -> dict[str, Any]:
        return (await self._views([bot]))[0]

    async def _views(self, bots: list[BotRecord]) -> list[dict[str, Any]]:
        perfs = await self._performances(bots)
        return [views.bot(b, perfs[b.id], self._prices(b)) for b in bots]
