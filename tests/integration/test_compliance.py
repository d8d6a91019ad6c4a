"""Alerts and compliance through the public API on the real stack: a user who hits the daily-loss cap gets
a High Trading alert (on the SSE `alerts` channel and at their subscribed webhook) and a Risk Limit
violation, and acknowledging the alert marks it read; T+0 reconciliation matches a fresh paper account
and finds the difference once the Kraken emulator reports another balance; two bots of one user whose
orders cross raise a Pattern Violation; the monthly report counts these violations by type."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.client import Api, User, eventually, market, new_secret, ok
from tests.support.emulator_thread import EmulatorThread, emulator_fixture, kraken_stack
from tests.support.servers import Stack
from tests.support.sse import Reader
from tests.support.webhook_receiver import WebhookReceiver, receiver_fixture

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

BTC = Decimal("65000")
emulator = emulator_fixture(hang_seconds=3)
FAST_WEBHOOKS = {
    "TP_NOTIFIER_BACKOFF_BASE_SECONDS": "0.2",
    "TP_NOTIFIER_BACKOFF_JITTER": "0",
    "TP_NOTIFIER_DISABLE_AFTER_FAILURES": "2",
}
CANCEL_BURST = {"TP_COMPLIANCE_CANCEL_BURST": "3", "TP_COMPLIANCE_CANCEL_BURST_SECONDS": "600"}
stack = kraken_stack("compliance", {"TP_PNL_UPDATE_THROTTLE_SECONDS": "0.3", **FAST_WEBHOOKS, **CANCEL_BURST})


receiver = receiver_fixture()


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        api = Api(http, stack)
        await api.prime({"BTC/USDT": BTC, "ETH/USDT": Decimal("3400")})
        yield api


async def get(api: Api, who: User, path: str, **params: Any) -> Any:
    return ok(await api.http.get(path, params=params, headers=who.headers))


async def alerts(api: Api, who: User, **params: Any) -> list[dict[str, Any]]:
    return await get(api, who, "/api/monitoring/alerts", pageSize=100, **params)  # type: ignore[no-any-return]


async def violations(api: Api, who: User, **params: Any) -> list[dict[str, Any]]:
    return await get(api, who, "/api/compliance/violations", pageSize=100, **params)  # type: ignore[no-any-return]


async def reconcile(api: Api, who: User, venue_id: str) -> dict[str, Any]:
    body = {"venueId": venue_id}
    answer = ok(await api.http.post("/api/compliance/reconciliation", json=body, headers=who.headers))
    [venue] = answer["venues"]
    return venue  # type: ignore[no-any-return]


async def kraken_account(api: Api, emulator: EmulatorThread, who: User, usdt: Decimal) -> tuple[str, str]:
    """A Kraken key holding `usdt` on the emulator, connected for `who`: (api key, venue id). A 503
    (execution still importing ccxt after a start) is retried, as a client would."""
    key, secret = f"key-{uuid.uuid4().hex[:8]}", new_secret()
    emulator.call(emulator.emulator.add_account, key, secret, {"USDT": usdt})
    body = {"venue": "kraken", "apiKey": key, "secret": secret}
    connected = await eventually(
        lambda: api.http.post("/api/venues/connect", json=body, headers=who.headers),
        lambda response: response.status_code != 503,
    )
    return key, ok(connected)["id"]


def titled(prefix: str) -> Any:
    return lambda rows: [r for r in rows if r["title"].startswith(prefix)]


async def test_the_daily_loss_cap_raises_an_alert_everywhere_and_a_risk_limit_violation(
    api: Api, receiver: WebhookReceiver
) -> None:
    trader = await api.trader({"USDT": "10000"}, limits={"maxDailyLossUsd": "5"})
    path = f"alerts-{trader.id}"
    hook = ok(
        await api.http.post(
            "/api/webhooks", json={"url": receiver.url(path), "events": ["alert"]}, headers=trader.headers
        )
    )
    settings = {"webhookCategories": ["Compliance", "Trading"], "webhookMinSeverity": "High"}
    chosen = ok(await api.http.put("/api/settings/notifications", json=settings, headers=trader.headers))
    assert chosen == settings
    stream = Reader(api.http, trader, channel="alerts")
    await stream.until(lambda seen: bool(seen))  # `ready`: the feed is open before the loss

    await api.set_price(trader, "ETH/USDT", Decimal("3400"))
    await api.filled(trader, market(trader.account, "Buy", "0.1", "ETH/USDT"))
    await api.set_price(trader, "ETH/USDT", Decimal("3300"))
    await api.filled(trader, market(trader.account, "Sell", "0.1", "ETH/USDT"))
    await api.state_when(trader, lambda s: s["tradingState"] == "Halted")  # risk, then compliance

    [alert] = titled("Trading halted")(
        await eventually(lambda: alerts(api, trader, unread="true"), titled("Trading halted"))
    )
    assert (alert["type"], alert["category"], alert["severity"]) == ("Error", "Trading", "High"), alert
    assert alert["isRead"] is False and "daily loss" in alert["message"], alert
    [violation] = await violations(api, trader, type="Risk Limit")
    assert (violation["status"], violation["severity"]) == ("Open", "High"), violation
    assert "daily loss" in violation["description"]

    seen = await stream.until(lambda s: any(e.data.get("alert_id") == alert["id"] for e in s))
    await stream.close()
    [live] = [e for e in seen if e.data.get("alert_id") == alert["id"]]
    assert (live.type, live.data["severity"], live.data["category"]) == ("risk.alert", "High", "Trading")
    await eventually(lambda: receiver.types(path), lambda types: "alert" in types)
    bodies = [Webhook(hook["secret"]).verify(d.body, d.headers) for d in receiver.at(path)]
    assert {b["data"]["alert_id"] for b in bodies} == {alert["id"]}, bodies  # Low "resumed" never sent
    assert bodies[0]["data"]["user_id"] == trader.id

    read = ok(await api.http.put(f"/api/monitoring/alerts/{alert['id']}/acknowledge", headers=trader.headers))
    assert read["isRead"] is True
    assert alert["id"] not in [a["id"] for a in await alerts(api, trader, unread="true")]
    assert alert["id"] in [a["id"] for a in await alerts(api, trader)]
    other = await api.trader()
    refused = await api.http.put(f"/api/monitoring/alerts/{alert['id']}/acknowledge", headers=other.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "ALERT_NOT_FOUND")


async def test_a_fresh_paper_account_reconciles_matched_and_stays_so_after_trading(api: Api) -> None:
    trader = await api.trader({"USDT": "2500", "BTC": "0.1"})

    venue = await reconcile(api, trader, trader.account)
    await api.filled(trader, market(trader.account, "Buy", "0.002"))
    await api.filled(trader, market(trader.account, "Sell", "0.002"))
    after = await reconcile(api, trader, trader.account)

    assert (venue["status"], venue["differences"]) == ("Matched", []), venue
    assert (after["status"], after["differences"]) == ("Matched", []), after
    assert await violations(api, trader) == []


async def test_a_kraken_account_whose_venue_reports_another_balance_is_a_mismatch(
    api: Api, emulator: EmulatorThread
) -> None:
    trader = await api.trader(accounts=0)
    key, venue_id = await kraken_account(api, emulator, trader, Decimal(10_000))
    assert (await reconcile(api, trader, venue_id))["status"] == "Matched"

    emulator.call(emulator.emulator.misreport, key, "USDT", Decimal("9990.5"))
    venue = await reconcile(api, trader, venue_id)

    assert venue["status"] == "Mismatch", venue
    [difference] = venue["differences"]
    assert difference["asset"] == "USDT", venue
    amounts = [Decimal(difference[k]) for k in ("expected", "actual", "difference")]
    assert amounts == [Decimal(10_000), Decimal("9990.5"), Decimal("-9.5")], venue
    [alert] = titled("Reconciliation mismatch")(await alerts(api, trader))
    assert (alert["category"], alert["venue"]) == ("Compliance", "kraken"), alert
    [violation] = await violations(api, trader, type="Regulatory")
    assert violation["venue"] == "kraken" and "USDT" in violation["description"], violation
    assert (await reconcile(api, trader, venue_id))["status"] == "Mismatch"
    assert len(titled("Reconciliation mismatch")(await alerts(api, trader))) == 1  # not raised again


async def test_two_bots_of_one_user_whose_orders_cross_raise_a_pattern_violation(api: Api) -> None:
    trader = await api.trader({"USDT": "20000", "BTC": "0.3"})
    await api.put_limits_as_admin(await api.admin(), trader, maxPositionPct=60)
    targets = {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600, "driftThresholdPct": "5"}
    bots = []
    for name, allocation in (("buyer", {"USDT": "5000"}), ("seller", {"BTC": "0.1"})):
        body = {"name": name, "strategy": "rebalancer", "venueId": trader.account, "config": targets}
        bot = ok(
            await api.http.post("/api/bots", json=body | {"allocation": allocation}, headers=trader.headers)
        )
        bots.append(bot)

    for bot in bots:
        ok(await api.http.post(f"/api/bots/{bot['id']}/start", headers=trader.headers))

    found = await eventually(lambda: violations(api, trader, type="Pattern Violation"), bool)
    [violation] = found
    assert violation["severity"] == "High" and "BTC/USDT" in violation["description"], violation
    assert sorted(violation["metadata"]["botIds"]) == sorted(b["id"] for b in bots), violation
    assert titled("Possible wash trade on BTC/USDT")(await alerts(api, trader))


async def test_a_test_alert_and_an_admin_broadcast_reach_the_user(api: Api) -> None:
    trader, admin = await api.trader(), await api.admin()

    tested = await api.http.post(
        "/api/monitoring/test-alert", json={"severity": "Medium"}, headers=trader.headers
    )
    body = {"title": "Maintenance", "message": "Venues pause at 02:00 UTC", "severity": "High"}
    sent = await api.http.post("/api/admin/broadcast", json=body, headers=admin.headers)
    refused = await api.http.post("/api/admin/broadcast", json=body, headers=trader.headers)

    assert tested.status_code == 201 and sent.status_code == 201, (tested.text, sent.text)
    assert refused.status_code == 403
    mine = {a["title"]: a for a in await alerts(api, trader)}
    assert (mine["Test alert"]["severity"], mine["Test alert"]["type"]) == ("Medium", "Info")
    assert (mine["Maintenance"]["severity"], mine["Maintenance"]["category"]) == ("High", "System")
    platform = [a for a in await alerts(api, admin) if a["title"] == "Maintenance" and a["userId"] is None]
    assert len(platform) == 1  # admins also see the platform's own copy


async def test_a_violation_is_acknowledged_by_its_owner_and_resolved_by_an_admin_with_a_note(
    api: Api,
) -> None:
    trader, admin = await api.trader({"USDT": "10000"}), await api.admin()
    placed = await api.place(trader, market(trader.account, "Buy", "0.05"))  # 5 % cap: 3250 > 500 USD
    assert (await api.settled(trader, placed["id"]))["status"] == "Rejected"
    [violation] = await eventually(lambda: violations(api, trader, type="Position Limit"), bool)
    path = f"/api/compliance/violations/{violation['id']}/resolve"

    own = await api.http.put(path, json={"status": "Resolved"}, headers=trader.headers)
    acked = ok(await api.http.put(path, json={"status": "Acknowledged"}, headers=trader.headers))
    resolved = ok(await api.http.put(path, json={"note": "size cut in the bot"}, headers=admin.headers))
    again = await api.http.put(path, json={}, headers=admin.headers)

    assert own.status_code == 403
    assert acked["status"] == "Acknowledged" and acked["acknowledgedAt"], acked
    assert (resolved["status"], resolved["resolvedBy"], resolved["note"]) == (
        "Resolved",
        api.stack.admin_email,
        "size cut in the bot",
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "VIOLATION_RESOLVED")
    report = await get(api, trader, "/api/compliance/reports", period="daily")
    assert (report["violationsByType"], report["resolvedViolations"], report["riskScore"]) == (
        {"Position Limit": 1},
        1,
        0,
    ), report


async def test_a_webhook_endpoint_switched_off_after_failing_raises_an_alert(api: Api) -> None:
    trader = await api.trader()
    dead = "http://127.0.0.1:9/alerts"  # the discard port: nothing listens, every delivery fails
    hook = ok(
        await api.http.post("/api/webhooks", json={"url": dead, "events": ["alert"]}, headers=trader.headers)
    )

    for _ in range(2):
        body = {"severity": "High", "category": "Trading"}
        ok(await api.http.post("/api/monitoring/test-alert", json=body, headers=trader.headers))
    [alert] = titled("Webhook endpoint disabled")(
        await eventually(lambda: alerts(api, trader), titled("Webhook endpoint disabled"))
    )

    assert (alert["category"], alert["severity"]) == ("System", "High"), alert
    [endpoint] = await get(api, trader, "/api/webhooks")
    assert endpoint["id"] == hook["id"] and endpoint["enabled"] is False, endpoint


async def test_failed_sign_ins_that_lock_an_account_raise_a_security_alert_for_its_owner(api: Api) -> None:
    owner = await api.trader()  # signed in before the attack: the token still reads the alerts
    wrong = {"email": owner.email, "password": "not-the-password-1"}
    for _ in range(10):
        refused = await api.http.post("/api/auth/login", json=wrong)
        assert refused.status_code in (401, 429), refused.text

    [alert] = titled("Sign-in locked")(await eventually(lambda: alerts(api, owner), titled("Sign-in locked")))

    assert (alert["category"], alert["severity"], alert["isRead"]) == ("Security", "High", False), alert


async def test_portfolio_risk_answers_with_null_metrics_for_a_day_old_history(api: Api) -> None:
    trader = await api.trader()
    await api.filled(trader, market(trader.account, "Buy", "0.001"))

    shown = await get(api, trader, "/api/portfolio/risk")

    assert (shown["benchmark"], shown["var95Pct"], shown["beta"]) == ("BTC/USDT", None, None), shown
    assert shown["observations"] == 0 and Decimal(shown["maxDrawdownPct"]) >= 0, shown


async def test_a_test_order_trades_the_smallest_amount_on_paper_and_is_refused_elsewhere(
    api: Api, emulator: EmulatorThread
) -> None:
    trader = await api.trader({"USDT": "1000"})
    kraken = await api.trader(accounts=0)
    _, kraken_venue = await kraken_account(api, emulator, kraken, Decimal(100))

    placed = await api.http.post(f"/api/venues/{trader.account}/test-order", headers=trader.headers)
    refused = await api.http.post(f"/api/venues/{kraken_venue}/test-order", headers=kraken.headers)

    assert placed.status_code == 202, placed.text
    order = await api.settled(trader, placed.json()["data"]["order"]["id"])
    assert (order["status"], order["side"], order["type"]) == ("Filled", "Buy", "Market"), order
    assert Decimal(order["filledQuantity"]) * Decimal(order["averagePrice"]) < 100, order
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "TEST_ORDER_PAPER_ONLY")


async def test_the_admin_activity_log_shows_a_users_audited_actions_to_admins_only(api: Api) -> None:
    trader, admin = await api.trader(), await api.admin()
    body = {"scope": "user", "reason": "activity drill"}
    ok(await api.http.post("/api/killswitch/activate", json=body, headers=trader.headers))

    entries = await eventually(
        lambda: get(api, admin, "/api/admin/activity", userId=trader.id),
        lambda rows: any(r["reason"] == "activity drill" for r in rows),
    )
    refused = await api.http.get("/api/admin/activity", headers=trader.headers)
    ok(await api.http.post("/api/killswitch/deactivate", json=body, headers=trader.headers))

    assert all(trader.id in (e["actor"], e["target"]) or e["actor"] == trader.email for e in entries)
    assert refused.status_code == 403


async def test_settings_export_without_secrets_and_import_into_another_user(
    api: Api, receiver: WebhookReceiver
) -> None:
    source = await api.trader(limits={"maxDailyTrades": 42})
    url = receiver.url(f"export-{source.id}")
    ok(await api.http.post("/api/webhooks", json={"url": url, "events": ["alert"]}, headers=source.headers))
    notify = {"webhookCategories": ["Security"], "webhookMinSeverity": "Critical"}
    ok(await api.http.put("/api/settings/notifications", json=notify, headers=source.headers))
    targets = {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600, "driftThresholdPct": "5"}
    bot = {"name": "half", "strategy": "rebalancer", "venueId": source.account, "config": targets}
    ok(await api.http.post("/api/bots", json=bot, headers=source.headers))

    exported = ok(await api.http.post("/api/settings/export", headers=source.headers))
    target = await api.trader()
    imported = ok(await api.http.post("/api/settings/import", json=exported, headers=target.headers))
    again = ok(await api.http.post("/api/settings/import", json=exported, headers=source.headers))

    assert "secret" not in json.dumps(exported).lower(), exported
    assert exported["limits"]["maxDailyTrades"] == 42 and exported["notifications"] == notify
    assert [b["name"] for b in exported["bots"]] == ["half"]
    assert (imported["limits"], imported["notifications"]) == ("applied", "applied"), imported
    [hook] = imported["webhooks"]["created"]
    assert hook["url"] == url and hook["secret"], hook  # a new signing secret, shown once
    assert imported["bots"]["skipped"][0]["code"] == "VENUE_NOT_FOUND", imported  # another user's venue
    assert (await api.trading(target))["limits"]["maxDailyTrades"] == 42
    assert await get(api, target, "/api/settings/notifications") == notify
    assert again["bots"]["skipped"] == [{"name": "half", "code": "EXISTS"}], again
    assert again["webhooks"]["skipped"] == [{"url": url, "code": "EXISTS"}], again


def limit(account: str, side: str, price: str) -> dict[str, str]:
    body = {"venueId": account, "symbol": "ETH/USDT", "side": side, "type": "Limit", "quantity": "0.01"}
    return body | {"price": price, "clientOrderId": f"w-{uuid.uuid4().hex[:16]}"}


async def test_resting_limits_of_two_accounts_cross_only_when_the_buy_pays_the_sell(api: Api) -> None:
    trader = await api.trader({"USDT": "10000", "ETH": "1"}, accounts=2)
    first, second = trader.accounts
    apart = [
        await api.place(trader, limit(first, "Buy", "3000")),
        await api.place(trader, limit(second, "Sell", "3800")),
    ]
    crossing = await api.place(trader, limit(second, "Sell", "2990"))

    [violation] = await eventually(lambda: violations(api, trader, type="Pattern Violation"), bool)
    assert sorted(violation["metadata"]["orderIds"]) == sorted([apart[0]["id"], crossing["id"]]), violation
    assert violation["metadata"]["accountIds"] == sorted([first, second]), violation


async def test_a_burst_of_cancels_is_a_pattern_violation(api: Api) -> None:
    trader = await api.trader()
    placed = [await api.place(trader, limit(trader.account, "Buy", "1000")) for _ in range(3)]
    for order in placed:
        await api.wait_status(trader, order["id"], {"Open"})
        answer = await api.http.delete(f"/api/orders/{order['id']}", headers=trader.headers)
        assert answer.status_code < 300, answer.text

    [violation] = await eventually(lambda: violations(api, trader, type="Pattern Violation"), bool)
    assert violation["description"].startswith("Cancel burst: 3 orders cancelled"), violation


async def test_the_monthly_report_counts_the_violations_by_type(api: Api) -> None:
    admin = await api.admin()

    report = await get(api, admin, "/api/compliance/reports", period="monthly")

    kinds = ("Risk Limit", "Pattern Violation", "Regulatory")
    by_type = report["violationsByType"]
    assert all(by_type.get(kind, 0) >= 1 for kind in kinds), report
    assert sum(by_type.values()) == report["totalViolations"], report
    assert report["granularity"] == "monthly" and 0 < report["riskScore"] <= 100, report
    for kind in kinds:
        response = await api.http.get(
            "/api/compliance/violations", params={"type": kind, "pageSize": 1}, headers=admin.headers
        )
        assert response.json()["pagination"]["totalItems"] == by_type[kind], (kind, report)
