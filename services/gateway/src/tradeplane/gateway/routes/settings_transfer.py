"""`POST /api/settings/export` and `/import`: a user's risk limits, bots, webhooks and notification
settings as one JSON document, to move them between accounts or platforms. Never a secret: no venue
credentials, no webhook signing secrets (an imported endpoint gets a new one, shown once in the answer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field, StrictBool, StrictInt, ValidationError
from tradeplane.contracts.queries import BOTS, COMPLIANCE, NOTIFIER, RISK, Reply

from ..bots import BotCreate, check_config
from ..context import Gateway
from ..deps import CurrentUser, Gw, Trader
from ..envelope import ApiError, EnvelopeRoute, ok
from ..schemas import ERRORS, Body, Ok, TradingLimits, WebhookCreate
from ..venues import reply_error
from .alerts import NotificationSettings

router = APIRouter(prefix="/api/settings", tags=["settings"], route_class=EnvelopeRoute, responses=ERRORS)
VERSION = 1
BOT_FIELDS = ("name", "strategy", "venueId", "config", "allocation", "dryRun")
WEBHOOK_FIELDS = ("url", "events", "enabled")


class ImportedBot(BotCreate):
    dry_run: StrictBool | None = None


class ImportedWebhook(WebhookCreate):
    enabled: StrictBool = True


class SettingsDocument(Body):
    """An exported document; a bool or a number must be one (not `0` or `"1"`): a document is data a
    program wrote, so anything else is a mistake worth refusing."""

    version: StrictInt = Field(default=VERSION, ge=1, le=VERSION)
    exported_at: str | None = Field(default=None, max_length=64)
    """When it was exported (ISO-8601): informational, not read."""
    limits: TradingLimits | None = None
    notifications: NotificationSettings | None = None
    bots: list[ImportedBot] = Field(default_factory=list, max_length=200)
    webhooks: list[ImportedWebhook] = Field(default_factory=list, max_length=50)


def reply_data(reply: Reply) -> Any:
    """The answer's data; the service's error (status and code) as this request's when it refused."""
    if not reply.ok:
        raise reply_error(reply)
    return reply.data


async def _all(gw: Gateway, user: Any, service: str, name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        reply = await gw.ask(user.caller, service, name, {"page": page, "pageSize": 100})
        data = reply_data(reply)
        items += data if isinstance(data, list) else []
        pages = (reply.pagination or {}).get("totalPages", 1)
        if page >= pages:
            return items
        page += 1


def _present(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields that have a value (an unset allocation is left out, as on creation)."""
    return {k: item[k] for k in fields if item.get(k) not in (None, {}, [])}


@router.post("/export", response_model=Ok[dict[str, object]])
async def export_settings(user: CurrentUser, gw: Gw) -> Response:
    """The caller's limits, bots, webhooks (without secrets) and notification settings."""
    limits = reply_data(await gw.ask(user.caller, RISK, "settings.get", {}))["limits"]
    notifications = reply_data(await gw.ask(user.caller, COMPLIANCE, "notifications.get", {}))
    bots = await _all(gw, user, BOTS, "bots.list")
    webhooks = reply_data(await gw.ask(user.caller, NOTIFIER, "webhooks.list", {}))
    return ok(
        {
            "version": VERSION,
            "exportedAt": datetime.now(UTC).isoformat(),
            "limits": limits,
            "notifications": notifications,
            "bots": [_present(b, BOT_FIELDS) for b in bots],
            "webhooks": [_present(w, WEBHOOK_FIELDS) for w in webhooks],
        }
    )


def _failure(reply: Reply) -> dict[str, Any]:
    error = reply.error
    return {"code": error.code, "message": error.message} if error else {"code": "UNKNOWN", "message": ""}


@router.post("/import", response_model=Ok[dict[str, object]])
async def import_settings(body: SettingsDocument, user: Trader, gw: Gw) -> Response:
    """Apply an exported document: limits and notification settings replace the caller's; bots (by
    name) and webhooks (by url) the caller lacks are created (bots Stopped). Each part's outcome is
    reported; a part refused (a bot on an unknown venue, a limit beyond the ceilings) does not stop
    the others."""
    result: dict[str, Any] = {
        "bots": {"created": [], "skipped": []},
        "webhooks": {"created": [], "skipped": []},
    }
    if body.limits is not None:
        reply = await gw.ask(user.caller, RISK, "settings.put", {"limits": body.limits.params()})
        result["limits"] = "applied" if reply.ok else _failure(reply)
    if body.notifications is not None:
        reply = await gw.ask(user.caller, COMPLIANCE, "notifications.put", body.notifications.params())
        result["notifications"] = "applied" if reply.ok else _failure(reply)
    existing_bots = {b.get("name") for b in await _all(gw, user, BOTS, "bots.list")}
    for bot in body.bots:
        if bot.name in existing_bots:
            result["bots"]["skipped"].append({"name": bot.name, "code": "EXISTS"})
            continue
        try:
            check_config(bot.strategy, bot.config)
        except (ApiError, ValidationError) as exc:
            result["bots"]["skipped"].append(
                {"name": bot.name, "code": "INVALID_CONFIG", "message": str(exc)}
            )
            continue
        reply = await gw.ask(user.caller, BOTS, "bots.create", bot.params())
        if reply.ok:
            result["bots"]["created"].append(reply.data)
            existing_bots.add(bot.name)
        else:
            result["bots"]["skipped"].append({"name": bot.name, **_failure(reply)})
    listed = reply_data(await gw.ask(user.caller, NOTIFIER, "webhooks.list", {}))
    existing_urls = {w.get("url") for w in listed} if isinstance(listed, list) else set()
    for hook in body.webhooks:
        if hook.url in existing_urls:
            result["webhooks"]["skipped"].append({"url": hook.url, "code": "EXISTS"})
            continue
        reply = await gw.ask(
            user.caller, NOTIFIER, "webhooks.create", hook.params() | {"enabled": hook.enabled}
        )
        if reply.ok:
            result["webhooks"]["created"].append(reply.data)  # with its new secret, shown only here
            existing_urls.add(hook.url)
        else:
            result["webhooks"]["skipped"].append({"url": hook.url, **_failure(reply)})
    return ok(result)
