"""The dashboard's pages without a stack: templates render in English and Ukrainian, every message has
its translation, viewers get no action buttons, pages load nothing from elsewhere and run no inline script."""

from __future__ import annotations

import re
import struct
import uuid
from pathlib import Path
from typing import Any, get_args

import orjson
import pytest
from babel.messages.extract import extract_from_dir
from fastapi.testclient import TestClient
from starlette.requests import Request
from tradeplane.contracts import OrderStatus, OrderType, Role, Side, TradingState
from tradeplane.gateway import stream, websocket
from tradeplane.gateway.bots import BotLogLevel, BotStatus
from tradeplane.gateway.envelope import ApiError
from tradeplane.gateway.routes.alerts import Category, Severity
from tradeplane.gateway.routes.backtests import BacktestStatus
from tradeplane.gateway.schemas import WebhookEvent
from tradeplane.gateway.web import (
    PAGE_MODULES,
    backtest_pages,
    bot_pages,
    i18n,
    pages,
    schema_form,
    vendor,
)
from tradeplane.gateway.web.render import TEMPLATES, Viewer, number, render

from .conftest import principal

MESSAGE = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def _literal_messages() -> set[str]:
    sources = [*TEMPLATES.glob("*.html"), *(Path(module.__file__ or "") for module in PAGE_MODULES)]
    found = set()
    for source in sources:
        for double, single in MESSAGE.findall(source.read_text()):
            found.add(double or single)
    return (
        found
        | set(pages.LIMIT_LABELS.values())
        | set(bot_pages.ACTION_NOTICES.values())
        | {label for _, label in backtest_pages.METRICS}
        | _strategy_words()
    )


def _strategy_words() -> set[str]:
    """The strategies' names and descriptions, and the labels and help of their config fields."""
    words = set()
    for strategy in bot_pages.CATALOGUE.values():
        words |= {strategy["name"], strategy["description"], strategy["id"]}
        for f in schema_form.fields(strategy["configSchema"]):
            words |= {f.label, f.description} - {""}
    return words


def test_every_message_of_the_pages_has_a_ukrainian_translation() -> None:
    shown = {
        *_literal_messages(),
        *(s.value for s in OrderStatus),
        *(t.value for t in OrderType),
        *(s.value for s in Side),
        *(r.value for r in Role),
        *(s.value for s in TradingState),
        *get_args(WebhookEvent),
        *get_args(BotStatus),
        *get_args(BotLogLevel),
        *get_args(BacktestStatus),
        *get_args(Severity),
        *get_args(Category),
        "Paper",
        "Live",
    }
    missing = sorted(m for m in shown if m not in i18n.UK)
    assert missing == []
    assert len(shown) > 150


def test_every_message_pybabel_extracts_from_the_pages_has_a_ukrainian_translation() -> None:
    web = Path(i18n.__file__).parent
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    extracted = {str(m[2]) for m in extract_from_dir(str(web), method_map) if isinstance(m[2], str)}
    assert len(extracted) > 150
    assert sorted(extracted - set(i18n.UK)) == []


def test_translations_keep_their_arguments() -> None:
    for message, translated in i18n.UK.items():
        assert re.findall(r"%\((\w+)\)s", message) == re.findall(r"%\((\w+)\)s", translated) or sorted(
            re.findall(r"%\((\w+)\)s", message)
        ) == sorted(re.findall(r"%\((\w+)\)s", translated)), message


@pytest.mark.parametrize(
    ("profile", "cookie", "accept", "chosen"),
    [
        ("uk", None, None, "uk"),
        ("en", "uk", "uk-UA", "en"),
        (None, "ua", None, "uk"),
        (None, None, "de-DE,uk;q=0.8,en;q=0.5", "uk"),
        ("fr", None, "fr", "en"),
    ],
)
def test_the_language_comes_from_the_profile_then_the_switch_then_the_browser(
    profile: str | None, cookie: str | None, accept: str | None, chosen: str
) -> None:
    assert i18n.choose(profile, cookie, accept) == chosen


def _request(path: str = "/orders") -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
        "query_string": b"",
        "headers": [],
    }
    return Request(scope)


ORDER = {
    "id": str(uuid.uuid4()),
    "symbol": "BTC/USDT",
    "side": "Buy",
    "type": "Limit",
    "quantity": "0.001",
    "price": "20000",
    "averagePrice": None,
    "filledQuantity": "0",
    "status": "Open",
    "createdAt": "2026-12-07T18:30:05.123Z",
    "rejectReason": None,
    "error": None,
}
BOT = {
    "id": str(uuid.uuid4()),
    "name": "BTC 50-50",
    "strategy": "rebalancer",
    "venueId": str(uuid.uuid4()),
    "venue": "paper",
    "environment": "Paper",
    "status": "Running",
    "dryRun": False,
    "config": {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600},
    "allocation": {"USDT": "5000"},
    "profitLoss": "-1.25",
    "profitLossPercent": "-0.02",
    "tradesLast24h": 3,
    "error": None,
}
BACKTEST = {
    "id": str(uuid.uuid4()),
    "strategy": "grid",
    "status": "Done",
    "progress": 1.0,
    "request": {
        "timeframe": "1h",
        "start": "2024-01-01T00:00:00Z",
        "end": "2024-02-01T00:00:00Z",
        "dataset": "synthetic:range:42",
        "config": {"symbol": "BTC/USDT", "levels": 21},
        "initialBalances": {"USDT": "10000"},
    },
    "error": None,
    "createdAt": "2026-12-07T18:30:05Z",
}
METRICS = {"totalReturnPct": "3.25", "maxDrawdownPct": "1.5", "totalTrades": 12, "sharpeRatio": "1.1"}
ALERT = {
    "id": str(uuid.uuid4()),
    "severity": "High",
    "category": "Security",
    "title": "Account locked",
    "message": "ten failed sign-ins",
    "isRead": False,
    "createdAt": "2026-12-07T18:30:05Z",
}
CONTEXTS: dict[str, dict[str, Any]] = {
    "login.html": {"email": ""},
    "register.html": {"form": {"email": "a@example.com"}, "field_errors": {"password": "too short"}},
    "overview.html": {
        "portfolio": {
            "totalValue": "100000",
            "dailyPnL": "-12.5",
            "dailyPnLPercent": "-0.01",
            "netPnl": "3",
            "fees": "1.2",
            "positions": [
                {
                    "symbol": "BTC/USDT",
                    "venue": "paper",
                    "side": "long",
                    "quantity": "0.5",
                    "entryPrice": "60000",
                    "currentPrice": "65000",
                    "unrealizedPnL": "2500",
                }
            ],
        },
        "history": [{"time": "2026-12-07T18:00:00Z", "value": "100000"}],
        "allocation": [{"asset": "BTC", "value": "32500", "percent": "24.5"}],
        "halt": {"global": {"active": False}, "user": {"active": False}},
        "unavailable": False,
        "live_events": "ready pnl.updated",
    },
    "orders.html": {
        "orders": [ORDER],
        "total": 1,
        "filters": {"status": "", "symbol": ""},
        "statuses": [s.value for s in OrderStatus],
        "open_statuses": pages.OPEN_STATUSES,
        "live_events": "ready order.accepted",
        "venues": [{"id": str(uuid.uuid4()), "venue": "paper", "label": "Practice"}],
        "order_types": [t.value for t in OrderType],
        "form": {},
    },
    "venues.html": {
        "venues": [{"id": "v1", "venue": "paper", "label": None, "status": "active", "createdAt": None}],
        "balances": {"v1": {"USDT": {"free": "100000", "used": "0", "total": "100000"}}},
        "form": {},
    },
    "webhooks.html": {
        "webhooks": [
            {"id": "w1", "url": "https://example.com/h", "events": ["trade_entry"], "enabled": True}
        ],
        "webhook_events": pages.WEBHOOK_EVENTS,
        "default_events": ("trade_entry",),
        "created": {"secret": "whsec_shown-once"},
        "form": {},
    },
    "deliveries.html": {"deliveries": [{"type": "trade_entry", "status": "succeeded", "attempts": 1}]},
    "settings.html": {
        "limit_fields": pages.limit_fields({"max_daily_trades": 50}),
        "state": {"tradingState": "Active", "tradesToday": 2, "dailyPnl": "5", "drawdownPct": "0"},
    },
    "admin.html": {
        "users": [
            {
                "id": "u1",
                "email": "someone@example.com",
                "role": "trader",
                "orders": {"total": 3, "open": 1},
                "risk": {"disabled": True, "tradingState": "Active"},
            }
        ],
        "audit": [{"occurredAt": "2026-12-07T18:00:00Z", "actor": "a", "action": "killswitch.activate"}],
        "halt": {"global": {"active": True, "reason": "maintenance"}, "user": {"active": False}},
        "roles": [r.value for r in Role],
    },
    "error.html": {"message": "only admins may do this", "status": 403},
    "bots.html": {
        "bots": [BOT],
        "unavailable": False,
        "strategies": list(bot_pages.CATALOGUE.values()),
        "live_events": "ready bot.status bot.log",
    },
    "bot_new.html": {
        "strategy": bot_pages.CATALOGUE["rebalancer"],
        "strategies": list(bot_pages.CATALOGUE.values()),
        "config_fields": schema_form.fields(
            bot_pages.CATALOGUE["rebalancer"]["configSchema"],
            {"targets": {"BTC": "0.6", "USDT": "0.6"}},
            {"config.targets": "the weights must sum to 1"},
        ),
        "allocation_rows": (("USDT", "5000"), ("", "")),
        "field_errors": {"config.targets": "the weights must sum to 1"},
        "config_errors": ["Value error, the interval is too short"],
        "venues": [{"id": str(uuid.uuid4()), "venue": "paper", "label": "Practice"}],
        "form": {},
    },
    "bot.html": {
        "bot": BOT,
        "strategy": bot_pages.CATALOGUE["rebalancer"],
        "config_labels": {"targets": "Targets", "intervalSeconds": "Interval seconds"},
        "logs": [{"at": "2026-12-07T18:30:05Z", "level": "info", "message": "rebalance: buy 0.1 BTC"}],
        "performance": {"realizedPnl": "1.5", "unrealizedPnl": "-0.3", "fees": "0.1", "totalTrades": 2},
        "orders": [ORDER | {"status": "Rejected", "rejectCode": "KILL_SWITCH"}],
        "open_statuses": pages.OPEN_STATUSES,
        "halt": {"global": {"active": False}, "user": {"active": True, "reason": "enough"}},
        "halted_orders": 1,
        "symbol": "BTC/USDT",
        "candles": [{"t": "2026-12-07T18:30:00Z", "open": "1", "high": "2", "low": "1", "close": "2"}],
        "marks": [],
        "live_events": "ready bot.status bot.log",
        "order_events": "ready order.accepted",
    },
    "backtests.html": {
        "backtests": [BACKTEST, BACKTEST | {"id": "b2", "status": "Running", "progress": 0.42}],
        "metrics": {BACKTEST["id"]: METRICS},
        "unavailable": False,
        "running": True,
        "strategies": list(bot_pages.CATALOGUE.values()),
        "timeframes": ["1m", "1h"],
        "values": backtest_pages.form_values({}),
        "input_errors": backtest_pages.errors_by_input({"end": "end must be after start"}),
        "form": {},
    },
    "backtest.html": {
        "backtest": BACKTEST,
        "metrics": METRICS,
        "metric_rows": backtest_pages.METRICS,
        "equity": backtest_pages.equity_points({"equity": [{"t": "2024-01-01T00:00:00Z", "value": "10000"}]}),
        "trades": [
            {
                "symbol": "BTC/USDT",
                "quantity": "0.01",
                "entryPrice": "60000",
                "exitPrice": "61000",
                "entryAt": "2024-01-02T00:00:00Z",
                "exitAt": "2024-01-03T00:00:00Z",
                "pnl": "9.5",
                "fees": "0.5",
            }
        ],
        "active": False,
    },
    "backtest_compare.html": {
        "compared": [
            {"id": BACKTEST["id"], "strategy": "grid", "status": "Done", "metrics": METRICS},
            {
                "id": "b2",
                "strategy": "rebalancer",
                "status": "Done",
                "metrics": METRICS | {"sharpeRatio": None},
            },
        ],
        "metric_rows": backtest_pages.METRICS,
    },
    "alerts.html": {
        "alerts": [ALERT, ALERT | {"id": str(uuid.uuid4()), "isRead": True, "title": "Old news"}],
        "unavailable": False,
        "unread": 1,
        "live_events": "ready risk.alert",
    },
}


def _page(template: str, role: Role = Role.TRADER, language: str = "en") -> str:
    user = principal(role)
    response = render(_request(), template, Viewer(user, language), CONTEXTS[template])
    return bytes(response.body).decode()


@pytest.mark.parametrize("template", sorted(CONTEXTS))
@pytest.mark.parametrize("language", ["en", "uk"])
def test_every_page_renders_in_both_languages(template: str, language: str) -> None:
    html = _page(template, Role.ADMIN, language)
    assert f'<html lang="{language}">' in html
    nav = "Ордери" if language == "uk" else "Orders"
    assert f">{nav}</a>" in html


def test_a_ukrainian_page_shows_no_english_of_its_own() -> None:
    html = _page("orders.html", language="uk")
    assert "Розмістити ордер" in html and "Відкритий" in html and "Скасувати" in html
    for english in ("Place an order", "Cancel", "Open", "Filter", "Quantity"):
        assert f">{english}<" not in html


def test_a_viewer_gets_no_action_buttons() -> None:
    trader = _page("orders.html", Role.TRADER)
    viewer = _page("orders.html", Role.VIEWER)
    assert 'id="place-order"' in trader and 'action="/orders/' in trader
    assert 'id="place-order"' not in viewer and "<button" not in viewer.split('id="orders-table"')[1]
    assert 'action="/killswitch"' in _page("overview.html", Role.TRADER)
    assert 'action="/killswitch"' not in _page("overview.html", Role.VIEWER)
    for template, form in (("venues.html", "connect-paper"), ("webhooks.html", "create-webhook")):
        assert f'id="{form}"' not in _page(template, Role.VIEWER)
    assert "Save limits" not in _page("settings.html", Role.VIEWER)
    assert ">Admin</a>" not in _page("orders.html", Role.TRADER)
    assert ">Admin</a>" in _page("orders.html", Role.ADMIN)


def test_pages_run_only_the_gateways_own_scripts() -> None:
    for template in CONTEXTS:
        html = _page(template, Role.ADMIN)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts and all(re.search(r'src="/static/[^"]+"', tag) for tag in scripts), scripts
        assert not re.search(r"\son[a-z]+=", html), template  # no inline event handlers
        loaded = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="([^"]+)"', html)
        assert all(url.startswith("/static/") or url == "/manifest.webmanifest" for url in loaded), loaded


def test_the_vendored_assets_are_the_pinned_versions_with_their_licences() -> None:
    for asset in vendor.ASSETS:
        folder = vendor.VENDOR / asset.folder
        assert (folder / "VERSION").read_text().strip() == f"{asset.package}@{asset.version}"
        assert (folder / "LICENSE").stat().st_size > 500
        for name in asset.files:
            assert (folder / Path(name).name).stat().st_size > 0
    dashboard = _page("login.html")
    for script in ("htmx/htmx.min.js", "lightweight-charts/lightweight-charts.standalone.production.js"):
        assert f"/static/vendor/{script}" in dashboard


def test_amounts_read_as_people_write_them() -> None:
    assert number("100000") == "100,000.00"
    assert number("100000", None) == "100,000"
    assert number("-0.00012300", None) == "-0.000123"
    assert number(None) == "—"


def test_balances_and_limits_from_the_forms() -> None:
    assert pages.parse_balances("usdt=100000, BTC = 1;\nETH=2.5") == {
        "USDT": "100000",
        "BTC": "1",
        "ETH": "2.5",
    }
    body = pages.limits_body({"maxDailyTrades": "50", "maxOrderNotional": "1,000", "maxPositionPct": ""})
    assert body == {"maxDailyTrades": 50, "maxOrderNotional": "1000"}


def test_an_sse_event_is_id_type_and_one_line_of_json() -> None:
    assert stream.frame("order.accepted", {"a": 1}, 42) == b'id: 42\nevent: order.accepted\ndata: {"a":1}\n\n'
    assert stream.event_type(f"tp.order.accepted.3.{uuid.uuid4()}") == "order.accepted"
    assert stream.CHANNELS["orders"].events[0] == "order.requested"
    with pytest.raises(ApiError) as refused:
        stream.resume_after("12; DROP")
    assert refused.value.status == 400


def test_a_page_without_a_session_asks_to_sign_in(client: TestClient) -> None:
    assert client.get("/orders", follow_redirects=False).headers["location"] == "/login"
    boosted = client.get("/orders", headers={"HX-Request": "true"}, follow_redirects=False)
    assert boosted.headers["HX-Redirect"] == "/login"
    page = client.get("/login?lang=uk")
    assert "Увійти" in page.text and page.cookies.get(i18n.COOKIE) == "uk"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_a_form_from_another_site_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/login", data={"email": "a@b.c", "password": "x"}, headers={"Origin": "https://evil.test"}
    )
    assert answer.status_code == 403
    assert "another site" in answer.text


@pytest.mark.parametrize(
    ("target", "local"),
    [
        ("/orders?status=Open", "/orders?status=Open"),
        ("//evil.test/x", "/"),
        ("https://evil.test", "/"),
        (None, "/"),
    ],
)
def test_a_renewed_session_returns_only_to_a_page_of_this_site(target: str | None, local: str) -> None:
    assert pages._local(target) == local


def test_a_page_with_a_refresh_cookie_renews_the_session_instead_of_asking_to_sign_in(
    client: TestClient,
) -> None:
    client.cookies.set(pages.REFRESH_COOKIE, "some-refresh-token")
    answer = client.get("/orders?status=Open", follow_redirects=False)
    assert answer.headers["location"] == "/session/refresh?next=%2Forders%3Fstatus%3DOpen"


def test_swagger_ui_loads_only_the_vendored_files(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    loaded = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
    assert loaded and all(url.startswith(("/static/", "/api/")) for url in loaded), loaded
    assert "cdn" not in page.text and "<script>" not in page.text  # no inline script: the CSP runs none
    assert "validatorUrl: null" in client.get("/static/swagger-init.js").text
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


REBALANCER = bot_pages.CATALOGUE["rebalancer"]["configSchema"]


def test_a_bots_form_is_generated_from_its_strategys_schema() -> None:
    by_prop = {f.prop: f for f in schema_form.fields(REBALANCER, bot_pages.EXAMPLE_CONFIG["rebalancer"])}
    assert by_prop["targets"].kind == "map" and by_prop["targets"].required
    assert by_prop["targets"].rows[:2] == (("BTC", "0.5"), ("USDT", "0.5"))
    assert by_prop["intervalSeconds"].kind == "integer" and by_prop["intervalSeconds"].value == "3600"
    assert by_prop["driftThresholdPct"].kind == "decimal" and by_prop["driftThresholdPct"].value == "5"
    trend = {f.prop: f for f in schema_form.fields(bot_pages.CATALOGUE["trend"]["configSchema"])}
    assert trend["timeframe"].kind == "enum" and "1h" in trend["timeframe"].options
    assert trend["timeframe"].value == "1h" and trend["symbol"].placeholder == "BTC/USDT"
    dca = {f.prop: f for f in schema_form.fields(bot_pages.CATALOGUE["dca"]["configSchema"])}
    assert dca["intervalSeconds"].kind == "integer" and not dca["intervalSeconds"].required


def test_the_posted_form_becomes_the_api_body() -> None:
    form = {
        "name": "Half and half",
        "strategy": "rebalancer",
        "venueId": "v1",
        "config.targets.key": ["btc", "USDT", ""],
        "config.targets.value": ["0.5", "0.5", ""],
        "config.intervalSeconds": "1,800",
        "config.driftThresholdPct": "",
        "config.quote": "USDT",
        "allocation.key": ["usdt", ""],
        "allocation.value": ["5000", ""],
        "dryRun": "yes",
    }
    assert bot_pages.bot_body(form) == {
        "name": "Half and half",
        "strategy": "rebalancer",
        "venueId": "v1",
        "config": {"targets": {"BTC": "0.5", "USDT": "0.5"}, "quote": "USDT", "intervalSeconds": 1800},
        "allocation": {"USDT": "5000"},
        "dryRun": True,
    }
    assert (
        bot_pages.bot_body(form | {"config.intervalSeconds": "soon"})["config"]["intervalSeconds"] == "soon"
    )


def test_the_apis_422_is_shown_next_to_its_field() -> None:
    refused = ApiError(
        422,
        "VALIDATION_ERROR",
        "the config does not fit",
        fields=[{"field": "config.targets", "message": "the weights must sum to 1"}],
    )
    assert pages.field_problems(refused) == {"config.targets": "the weights must sum to 1"}
    html = _page("bot_new.html")
    targets = html.split('data-field="config.targets"')[1].split("</fieldset>")[0]
    assert "the weights must sum to 1" in targets and 'value="0.6"' in targets
    assert "the weights must sum to 1" not in html.split('data-field="config.targets"')[0]
    assert "the interval is too short" in html
    whole = {"config": "Value error, targets must sum to 1", "config.levels": "too many"}
    by_prop = {f.prop: f for f in schema_form.fields(REBALANCER, None, whole)}
    assert by_prop["targets"].error == "Value error, targets must sum to 1" and not by_prop["quote"].error
    assert schema_form.unplaced(whole, REBALANCER) == ["too many"]


def test_a_bots_page_says_plainly_that_the_kill_switch_halted_it() -> None:
    html = _page("bot.html")
    assert 'id="bot-halted"' in html and "Halted by the kill switch." in html and "KILL_SWITCH" in html
    uk = _page("bot.html", language="uk")
    assert "Зупинено аварійною зупинкою." in uk and ">Працює<" in uk and "<dt>Цільові ваги</dt>" in uk
    assert bot_pages.chart_symbol(BOT) == "BTC/USDT"
    assert bot_pages.chart_symbol({"config": {"symbol": "ETH/USDT"}}) == "ETH/USDT"


def test_a_viewer_sees_bots_but_cannot_act_on_them() -> None:
    trader, viewer = _page("bot.html", Role.TRADER), _page("bot.html", Role.VIEWER)
    assert 'action="/bots/' in trader and 'id="bot-pause"' in trader
    assert 'action="/bots/' not in viewer and "<button" not in viewer.split("</header>")[1]
    assert "/bots/new" in _page("bots.html") and "/bots/new" not in _page("bots.html", Role.VIEWER)
    assert 'id="create-bot"' not in _page("bot_new.html", Role.VIEWER)


def test_the_dashboard_installs_as_an_app_with_its_own_icons(client: TestClient) -> None:
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone" and manifest["theme_color"]
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/")
        drawn = client.get(icon["src"])
        assert drawn.status_code == 200 and drawn.headers["content-type"] == icon["type"]
        if icon["type"] == "image/png":
            width, height = struct.unpack(">II", drawn.content[16:24])
            assert f"{width}x{height}" == icon["sizes"]
    assert '<link rel="manifest" href="/manifest.webmanifest">' in _page("login.html")


def test_websocket_messages_are_checked_before_anything_is_done() -> None:
    assert websocket.parse('{"type": "ping"}') == {"type": "ping"}
    for bad, code in (("[1]", "BAD_MESSAGE"), ("{", "BAD_MESSAGE"), ('{"type": 3}', "BAD_MESSAGE")):
        with pytest.raises(ApiError) as refused:
            websocket.parse(bad)
        assert refused.value.code == code
    with pytest.raises(ApiError) as large:
        websocket.parse('{"type": "ping", "data": "' + "x" * 5000 + '"}')
    assert large.value.code == "MESSAGE_TOO_LARGE"
    assert websocket.resume_point({"lastEventId": 41}) == 41
    assert websocket.resume_point({"lastEventId": "41"}) == 41
    assert websocket.resume_point(None) is None and websocket.resume_point({}) is None
    with pytest.raises(ApiError) as bad_id:
        websocket.resume_point({"lastEventId": "-1"})
    assert bad_id.value.code == "BAD_LAST_EVENT_ID"
    sent = orjson.loads(websocket.update("orders", stream.Event(7, "order.accepted", {"a": 1})))
    assert sent | {"timestamp": None} == {
        "type": "update",
        "channel": "orders",
        "event": "order.accepted",
        "id": 7,
        "data": {"a": 1},
        "timestamp": None,
    }


def test_the_sign_in_page_asks_for_the_one_time_code_only_when_2fa_needs_it() -> None:
    plain = bytes(render(_request(), "login.html", Viewer(None, "uk"), {"email": ""}).body).decode()
    context = {"email": "a@b.c", "otp_required": True, "error": "code"}
    asked = bytes(render(_request(), "login.html", Viewer(None, "uk"), context).body).decode()

    assert 'name="otp"' not in plain
    assert 'name="otp"' in asked and 'autocomplete="one-time-code"' in asked
    assert "Одноразовий код" in asked


def test_a_backtests_form_becomes_the_api_body_and_its_422_is_shown_next_to_its_field() -> None:
    form = backtest_pages.form_values({}) | {"start": "2024-01-01", "end": "2024-01-05T12:00"}
    body = backtest_pages.backtest_body(form)
    assert body["config"]["levels"] == 21 and body["initialBalances"] == {"USDT": "10000"}
    assert (body["start"], body["end"]) == ("2024-01-01T00:00:00Z", "2024-01-05T12:00Z")
    assert body["dataset"] == "synthetic:range:42"
    with pytest.raises(ApiError) as refused:
        backtest_pages.backtest_body(form | {"config": "{levels: 3"})
    assert list(pages.field_problems(refused.value)) == ["config"]
    assert backtest_pages.errors_by_input({"config.levels": "too many", "initialBalances.XX": "bad"}) == {
        "config": "too many",
        "initialBalances": "bad",
    }
    html = _page("backtests.html")
    end = html.split('data-field="end"')[1].split("</label>")[0]
    assert (
        "end must be after start" in end
        and "end must be after start" not in html.split('data-field="end"')[0]
    )
    assert 'hx-trigger="every 2s"' in html and "42%" in html and "3.25" in html


def test_a_backtests_report_draws_its_equity_and_lists_its_trades() -> None:
    html = _page("backtest.html")
    assert 'id="backtest-equity"' in html and "data-equity=" in html and "2024-01-01T00:00:00Z" in html
    assert 'id="backtest-trades"' in html and "+9.50" in html and "Total return %" in html
    uk = _page("backtest_compare.html", language="uk")
    assert "Загальна дохідність, %" in uk and "3.25" in uk and "—" in uk


def test_a_viewer_reads_backtests_and_alerts_but_cannot_act() -> None:
    assert 'id="run-backtest"' in _page("backtests.html")
    assert 'id="run-backtest"' not in _page("backtests.html", Role.VIEWER)
    assert 'method="post"' not in _page("backtests.html", Role.VIEWER).split("</header>")[1]
    trader, viewer = _page("alerts.html"), _page("alerts.html", Role.VIEWER)
    assert trader.count('action="/alerts/') == 1 and 'data-live="alerts"' in trader
    assert 'action="/alerts/' not in viewer and "<button" not in viewer.split("</header>")[1]
    assert "Account locked" in viewer and "Сповіщення" in _page("alerts.html", language="uk")
