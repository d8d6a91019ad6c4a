"""The backtests and alerts pages in a real browser (headless system Chromium, Playwright) on the real
stack: run a synthetic grid backtest from the page (a refused period first: the API's message next to
its field) → its report shows the metrics and the equity chart → two runs compared side by side → a
test alert appears on /alerts without a reload → acknowledging it marks it read.

Screenshots land in `<basetemp>/<test>/screens`. No request may leave the gateway.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.browser import REFUSED_FORM, browsing, playwright_expect
from tests.support.client import ok, register
from tests.support.servers import QUIET_ENV, Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

expect = playwright_expect()

SERVICES = ["risk", "backtests", "gateway", "marketdata", "compliance"]
REPORT = re.compile(r"/backtests/[0-9a-f-]{36}$")


def test_a_user_runs_and_compares_backtests_and_acknowledges_an_alert(
    stack: Stack, browser: object, tmp_path: Path
) -> None:
    stack.start(SERVICES, env=QUIET_ENV)
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as api:
        user = register(api)
        with browsing(
            browser, stack.url("gateway"), tmp_path / "screens", expect, tolerated=REFUSED_FORM
        ) as web:
            page = web.page
            web.sign_in(user.email)

            # A refused period: the API's message next to the end, what was typed kept.
            page.click("nav >> text=Backtests")
            expect(page.locator("h1")).to_have_text("Backtests")
            form = page.locator("#run-backtest")
            expect(form.locator("input[name=dataset]")).to_have_value("synthetic:range:42")
            form.locator("input[name=end]").fill("2023-12-01")
            form.locator("button[type=submit]").click()
            expect(page.locator("[data-field=end] .field-error")).to_be_visible()
            expect(page.locator("#run-backtest input[name=end]")).to_have_value("2023-12-01")
            web.shot("backtest-refused")

            # The grid on a synthetic range: its report, once done, has metrics, a chart and trades.
            page.locator("#run-backtest input[name=end]").fill("2024-02-01")
            page.click("#run-backtest button[type=submit]")
            expect(page).to_have_url(REPORT)
            first = page.url
            expect(page.locator("#backtest-status")).to_have_attribute("data-status", "Done")
            expect(page.locator("#backtest-metrics")).to_contain_text("Total return %")
            expect(page.locator("#backtest-equity.drawn canvas").first).to_be_attached()
            expect(page.locator("#backtest-trades tbody tr").first).to_be_attached()
            web.shot("backtest-report")

            # A second run (the rebalancer's 50-50 over the same period), then both side by side.
            page.click("nav >> text=Backtests")
            page.select_option("#run-backtest select[name=strategy]", "rebalancer")
            page.fill("#run-backtest textarea[name=config]", '{"targets": {"BTC": "0.5", "USDT": "0.5"}}')
            page.click("#run-backtest button[type=submit]")
            expect(page).to_have_url(REPORT)
            assert page.url != first
            expect(page.locator("#backtest-status")).to_have_attribute("data-status", "Done")
            page.click("nav >> text=Backtests")
            rows = page.locator("#backtests tbody tr")
            expect(rows).to_have_count(2)
            rows.nth(0).locator("input[name=ids]").check()
            rows.nth(1).locator("input[name=ids]").check()
            page.click("#compare-button")
            expect(page.locator("h1")).to_have_text("Compare backtests")
            expect(page.locator("#backtest-comparison thead th")).to_have_count(3)
            expect(page.locator("#backtest-comparison")).to_contain_text("Sharpe ratio")
            web.shot("backtest-compare")

            # A test alert reaches the open alerts page live; acknowledging it marks it read.
            page.click("nav >> text=Alerts")
            expect(page.locator("html[data-live-alerts=ready]")).to_have_count(1)
            page.evaluate("window.__sameDocument = true")
            body = {"severity": "High", "category": "System"}
            ok(api.post("/api/monitoring/test-alert", json=body, headers=user.headers))
            unread = page.locator("#alerts tbody tr[data-read=no]")
            expect(unread).to_have_count(1)
            assert page.evaluate("window.__sameDocument") is True
            web.shot("alerts-unread")
            unread.first.locator("button.acknowledge").click()
            expect(page.locator(".flash.notice")).to_contain_text("Alert marked read.")
            expect(page.locator("#alerts tbody tr[data-read=yes]")).to_have_count(1)
            expect(page.locator("#alerts tbody tr[data-read=no]")).to_have_count(0)
            web.shot("alerts-read")
