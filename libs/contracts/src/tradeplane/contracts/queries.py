"""Request/reply over core NATS: how the gateway (and the CLI) ask a service to read or change its state.

Every request carries the caller (`Caller`); every answer is a `Reply`: `ok` with `data`, or an
`error` whose `code` and HTTP `status` the gateway passes to the client unchanged.
Subjects: `subjects.query(<service>, <name>)`; any replica of the service answers (queue group).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import Field

from .base import Contract
from .enums import Role


class Caller(Contract):
    user_id: UUID
    role: Role
    email: str = ""
    timezone: str = "UTC"
    """The caller's IANA timezone: days, weeks and months of breakdowns are the user's own."""

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class Query(Contract):
    """A request: who asks, and the parameters of the named query (validated by the answering service)."""

    caller: Caller
    params: dict[str, Any] = Field(default_factory=dict)


class ReplyError(Contract):
    code: str
    message: str
    status: int = Field(default=400, ge=400, le=599)
    details: dict[str, Any] = Field(default_factory=dict)


class Reply(Contract):
    ok: bool
    data: Any = None
    error: ReplyError | None = None
    pagination: dict[str, int] | None = None

    @classmethod
    def success(cls, data: Any = None, pagination: dict[str, int] | None = None) -> Reply:
        return cls(ok=True, data=data, pagination=pagination)

    @classmethod
    def page(cls, data: list[Any], page: int, page_size: int, total: int) -> Reply:
        """One page of `total` items, with the API's pagination block."""
        return cls.success(data, pagination(page, page_size, total))

    @classmethod
    def failure(cls, code: str, message: str, status: int = 400, **details: Any) -> Reply:
        return cls(ok=False, error=ReplyError(code=code, message=message, status=status, details=details))


def pagination(page: int, page_size: int, total: int) -> dict[str, int]:
    """The API's pagination block: `{page, pageSize, totalPages, totalItems}`."""
    return {
        "page": page,
        "pageSize": page_size,
        "totalPages": max(1, -(-total // page_size)),
        "totalItems": total,
    }


class ErrorCode(StrEnum):
    """Codes of query errors that say more than their HTTP status; the gateway passes them on unchanged."""

    HALT_ENGAGED_BY_ADMIN = "HALT_ENGAGED_BY_ADMIN"
    """403: an admin engaged this halt, and only an admin may release it."""


class QueryError(Exception):
    """Raised inside a query handler to answer with an error reply."""

    def __init__(self, code: str, message: str, status: int = 400, **details: Any) -> None:
        super().__init__(message)
        self.reply = Reply.failure(code, message, status, **details)


# The queries each service answers, by name. params are documented beside each.
EXECUTION = "execution"
EXECUTION_QUERIES = {
    "venues.connect": "{venue, label?, sealedCredentials?, sandbox?, initialBalances?} -> account",
    "venues.list": "{} -> [account]",
    "venues.get": "{id} -> account",
    "venues.delete": "{id} -> {deleted: true}",
    "venues.balance": "{id} -> {currency: {free, used, total}}",
    "venues.instruments": "{id} -> [market spec]",
    "venues.sync": "{id} -> account (balances/markets refreshed)",
    "venues.nonce": "{id} -> nonce statistics",
    "venues.nonce_reset": "{id} -> nonce statistics",
    "venues.resolve": "{id} -> {account_id, user_id, venue, markets: [market spec]}  (for order intake)",
    "market.prices": "{venueId?} -> [{symbol, venue, price, bid, ask, timestamp}]",
    "orders.open": "{} -> [open order ids per account]  (admin/diagnostics)",
}
SEALED_CREDENTIALS = "sealedCredentials"
"""In `venues.connect`, the exchange's `apiKey`/`secret`/`password` (a JSON object) sealed to
execution's public key (`tradeplane.runtime.crypto.seal`): they never cross the bus in clear."""
CREDENTIAL_FIELDS = ("apiKey", "secret", "password")


def credentials_context(user_id: UUID) -> bytes:
    """What sealed credentials are bound to: a sealed value replayed for another user does not open."""
    return f"venues.connect:{user_id}".encode()


RISK = "risk"
RISK_QUERIES = {
    "settings.get": "{userId?} -> {limits, state}",
    "settings.put": "{userId?, limits: {...}} -> {limits, state}",
    "killswitch.status": "{userId?} -> {global: {active, reason, since}, user: {active, reason, since}}",
    "killswitch.activate": "{scope, userId?, reason} -> status",
    "killswitch.deactivate": "{scope, userId?, reason} -> status  (403 HALT_ENGAGED_BY_ADMIN for a trader)",
    "killswitch.history": "{page?, pageSize?} -> [audit entries]",
    "users.enable": "{userId} -> {userId, disabled: false}",
    "users.state": "{userIds: [...]} -> {userId: state}",
    "ceilings.get": "{} -> ceilings  (admins)",
    "ceilings.put": "{ceilings: {...}} -> ceilings  (admins)",
}
PNL = "pnl"
PNL_QUERIES = {
    "portfolio": "{userId?} -> portfolio",
    "portfolio.positions": "{} -> [position]",
    "portfolio.history": "{} -> [equity point]",
    "portfolio.allocation": "{} -> [allocation]",
    "pnl.summary": "{accountId?} -> metrics",
    "pnl.trades": "{page?, pageSize?, accountId?} -> [closed trade]",
    "pnl.breakdown": "{period: daily|weekly|monthly} -> [period]",
    "pnl.users": "{userIds: [...]} -> {userId: summary}",
}
NOTIFIER = "notifier"
NOTIFIER_QUERIES = {
    "webhooks.create": "{url, events, enabled?} -> endpoint with secret",
    "webhooks.list": "{} -> [endpoint]",
    "webhooks.update": "{id, url?, events?, enabled?} -> endpoint",
    "webhooks.delete": "{id} -> {deleted: true}",
    "webhooks.test": "{id} -> delivery",
    "webhooks.deliveries": "{id, page?, pageSize?} -> [delivery]",
    "webhooks.stats": "{} -> stats",
}
BOTS = "bots"
BOTS_QUERIES = {
    # `bot` is the Bot object of docs/api.md (camelCase): {id, name, strategy, venueId, venue, environment,
    # status, dryRun, config, allocation, createdAt, startedAt, lastActivity, lastRunAt, nextRunAt, error,
    # profitLoss, profitLossPercent, tradesLast24h, activePositions}. The gateway validates `config` against
    # the strategy's schema first (422 naming the field); the bots service validates again.
    "bots.create": "{name, strategy, venueId, config, allocation?, dryRun?} -> bot  (404 unknown venue)",
    "bots.list": "{page?, pageSize?, status?} -> [bot] (paged)",
    "bots.get": "{id} -> bot",
    "bots.update": "{id, name?, config?, dryRun?, allocation?} -> bot  (409 BOT_RUNNING: not updatable)",
    "bots.delete": "{id} -> {deleted: true}  (409 BOT_NOT_STOPPED)",
    "bots.start": "{id} -> bot",
    "bots.pause": "{id} -> bot",
    "bots.resume": "{id} -> bot",
    "bots.stop": "{id, cancelOpenOrders?: true, closePositions?: false} -> bot",
    "bots.run": "{id} -> bot  (one run now: the rebalancer's manual rebalance; 409 unless Running)",
    "bots.logs": "{id, page?, pageSize?, level?} -> [{at, level, message, data}] (paged, newest first)",
    "bots.orders": "{id} -> [{id, botId, symbol, side, type, quantity, price, status, filledQuantity, fees}]",
    "bots.performance": "{id} -> the /api/pnl summary fields for this bot's fills alone",
    "bots.admin_list": "{userId?} -> [bot]  (admins: every user's bots)",
}
MARKETDATA = "marketdata"
MARKETDATA_QUERIES = {
    "market.candles": (
        "{symbol, venue?, timeframe, start?, end?, limit?} -> [{t, open, high, low, close, volume}]"
    ),
    "market.orderbook": "{symbol, venue?, depth?} -> {bids: [[price, qty]], asks: [[price, qty]], timestamp}",
    "market.trades": "{symbol, venue?, limit?} -> [{id, price, quantity, side, timestamp}]",
    "market.stats": (
        "{venue?} -> [{symbol, venue, last, change24h, changePct24h, high24h, low24h, volume24h}]"
    ),
}
BACKTESTS = "backtests"
BACKTESTS_QUERIES = {
    # `backtest` is the Backtest object of docs/api.md: {id, status, progress, request, error, result,
    # resultHash, datasetHash, createdAt, startedAt, finishedAt}; `result` only in `backtests.get`.
    "backtests.create": "{BacktestRequest fields} -> backtest  (422 naming the field; 429 BACKTEST_LIMIT)",
    "backtests.list": "{page?, pageSize?, status?} -> [backtest without result] (paged, newest first)",
    "backtests.get": "{id} -> backtest with result  (404 BACKTEST_NOT_FOUND, also for another user's)",
    "backtests.delete": "{id} -> backtest (Queued or Running: Cancelled) or {id, deleted: true} (finished)",
    "backtests.compare": "{backtestIds: [...]} -> [{id, strategy, status, metrics, resultHash}]",
}
COMPLIANCE = "compliance"
COMPLIANCE_QUERIES = {
    # `alert` is the Alert of docs/api.md: {id, type, category, title, message, venue, botId, severity,
    # isRead, createdAt, metadata}; `violation`: {id, type, severity, status, description, botId, venue,
    # detectedAt, resolvedAt, resolvedBy, note, recommendation}.
    "alerts.list": "{unread?, page?, pageSize?} -> [alert] (paged, newest first; admins: platform's too)",
    "alerts.acknowledge": "{id} -> alert (isRead true; 404 ALERT_NOT_FOUND)",
    "alerts.test": "{severity?, category?} -> alert",
    "alerts.broadcast": "{title, message, severity, userIds} -> {raised}  (admins)",
    "notifications.get": "{} -> {webhookCategories, webhookMinSeverity}",
    "notifications.put": "{webhookCategories?, webhookMinSeverity?} -> settings",
    "violations.list": "{status?, type?, page?, pageSize?} -> [violation] (paged, newest first)",
    "violations.resolve": "{id, status?: Acknowledged|Resolved, note?} -> violation",
    "reports.get": "{period: daily|weekly|monthly} -> report",
    "reconciliation.run": "{venueId?} -> {venues: [{venueId, venue, status, differences}]}",
}
