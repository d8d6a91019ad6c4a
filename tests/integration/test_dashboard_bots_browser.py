"""Issue 14's flow in a real browser (headless system Chromium, Playwright) on the real stack, as a new
user: register → connect a paper account → create a rebalancer bot from its generated form (a refused
config first: the API's message next to the field) → start it → its order appears on the orders page
(open in another tab) without a reload → engage the kill switch → the bot's page says plainly that it is
halted → the same pages in Ukrainian, and at phone width.

Screenshots land in `<basetemp>/<test>/screens`. No request may leave the gateway.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from tests.support.browser import PHONE, REFUSED_FORM, browsing, playwright_expect
from tests.support.client import PASSWORD
from tests.support.servers import LIVE_PRICES_ENV, Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

expect = playwright_expect()


def test_a_new_user_runs_a_rebalancer_from_the_dashboard_until_the_kill_switch_halts_it(
    stack: Stack, browser: object, tmp_path: Path
) -> None:
    stack.start(env=LIVE_PRICES_ENV)  # the rebalancer values its targets at the feed's prices
    with browsing(browser, stack.url("gateway"), tmp_path / "screens", expect, tolerated=REFUSED_FORM) as web:
        page = web.page
        # Register, and land signed in on Venues.
        page.goto("/login")
        page.click("#register-link")
        email = f"bots-{uuid.uuid4().hex[:8]}@example.com"
        page.fill("#register input[name=email]", email)
        page.fill("#register input[name=name]", "Olena")
        page.fill("#register input[name=password]", PASSWORD)
        page.click("#register button[type=submit]")
        expect(page.locator("h1")).to_have_text("Venues")
        expect(page.locator(".who .email")).to_have_text(email)

        page.fill("#connect-paper input[name=label]", "Practice")
        page.fill("#connect-paper input[name=balances]", "USDT=100000")
        page.click("#connect-paper button[type=submit]")
        expect(page.locator(".flash.notice")).to_contain_text("Paper account connected")

        # The catalogue, then the rebalancer's form generated from its configSchema.
        page.click("nav >> text=Bots")
        expect(page.locator("#strategy-rebalancer")).to_contain_text("Portfolio rebalancer")
        expect(page.locator(".strategy")).to_have_count(5)
        page.click("#strategy-rebalancer a.button")
        form = page.locator("#create-bot")
        expect(form.locator("input[name='config.intervalSeconds']")).to_have_value("3600")
        keys = form.locator("input[name='config.targets.key']")
        values = form.locator("input[name='config.targets.value']")
        expect(keys.nth(0)).to_have_value("BTC")
        form.locator("input[name=name]").fill("Half and half")
        values.nth(0).fill("0.6")  # 0.6 + 0.5: refused, and said next to the targets
        form.locator("input[name='allocation.key']").nth(0).fill("USDT")
        form.locator("input[name='allocation.value']").nth(0).fill("10000")
        form.locator("button[type=submit]").click()
        targets = page.locator("[data-field='config.targets'] .field-error")
        expect(targets).to_contain_text("sum to 1")
        expect(page.locator("input[name='config.targets.value']").nth(0)).to_have_value("0.6")  # kept
        expect(page.locator("input[name=name]")).to_have_value("Half and half")
        web.shot("bot-form-refused")
        page.locator("input[name='config.targets.value']").nth(0).fill("0.5")
        page.locator("input[name='config.intervalSeconds']").fill("60")
        page.click("#create-bot button[type=submit]")
        expect(page).to_have_url(re.compile(r"/bots/[0-9a-f-]{36}$"))
        bot_url = page.url
        expect(page.locator("#bot-status")).to_have_attribute("data-status", "Stopped")
        expect(page.locator("#bot-config")).to_contain_text("BTC 0.5")

        # The orders page, open in another tab before the bot starts.
        orders = web.context.new_page()
        orders.goto("/orders")
        expect(orders.locator("html[data-live-orders=ready]")).to_have_count(1)
        orders.evaluate("window.__sameDocument = true")

        page.click("#bot-start")
        expect(page.locator("#bot-status")).to_have_attribute("data-status", "Running")
        expect(page.locator(".flash.notice")).to_contain_text("Bot started")
        bought = orders.locator("#orders-table tbody tr", has_text="BTC/USDT").first
        expect(bought.locator(".status")).to_have_text("Filled")  # the rebalancer's buy, live
        assert orders.evaluate("window.__sameDocument") is True
        orders.screenshot(path=str(web.screens / "orders-with-bot-order.png"), full_page=True)
        expect(page.locator("#bot-orders tbody tr")).to_have_count(1)  # on the bot's page too, live
        expect(page.locator("#bot-logs")).to_contain_text("rebalanc")
        expect(page.locator("#bot-chart.drawn canvas").first).to_be_attached()
        web.shot("bot-running")

        # The kill switch, then the bot's page says so plainly.
        page.click("nav >> text=Overview")
        page.check("#killswitch input[name=confirm]")
        page.click("#killswitch-button")
        expect(page.locator("#halt-state")).to_contain_text("Your trading is halted")
        page.goto(bot_url)
        expect(page.locator("#bot-halted")).to_contain_text("Halted by the kill switch.")
        page.click("#bot-run")  # a run now sends nothing, or its orders are refused with KILL_SWITCH
        expect(page.locator("#bot-halted")).to_contain_text("Halted by the kill switch.")
        expect(page.locator("#bot-orders tbody tr .status", has_text="Filled")).to_have_count(1)
        web.shot("bot-halted")

        # Ukrainian: the same pages.
        web.speak_ukrainian()
        page.click("nav >> text=Боти")
        expect(page.locator("h1")).to_have_text("Боти")
        expect(page.locator("#bots tbody tr")).to_contain_text("Працює")
        expect(page.locator("#strategy-rebalancer")).to_contain_text("Ребалансувальник портфеля")
        web.shot("bots-uk")
        page.goto(bot_url)
        expect(page.locator("#bot-halted")).to_contain_text("Зупинено аварійною зупинкою.")
        expect(page.locator("#bot-pause")).to_have_text("Призупинити")
        web.shot("bot-uk")
        page.goto("/bots/new?strategy=grid")
        expect(page.locator("[data-field='config.quantityPerLevel']")).to_contain_text("Кількість на рівень")
        web.shot("bot-form-grid-uk")
        page.set_viewport_size(PHONE)
        page.goto(bot_url)
        web.shot("bot-phone")
        page.goto("/")
        expect(page.locator("#equity-chart.drawn canvas").first).to_be_attached()
        web.shot("overview-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
