"""The dashboard in a real browser (headless system Chromium driven by Playwright) on the real stack:
sign in, connect a paper account, place a limit order and see it (and another placed meanwhile through the
API) on the orders page without a reload, cancel it; a viewer sees no action buttons and is refused.

Screenshots of each page land in the test's tmp dir (`<basetemp>/<test>/screens`). No request may leave
the gateway: any other origin fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.browser import PHONE, browsing, playwright_expect
from tests.support.client import (
    User,
    eventually_sync,
    login,
    market,
    ok,
    place,
    register,
    settled,
)
from tests.support.servers import LIVE_PRICES_ENV, QUIET_ENV, Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

expect = playwright_expect()


def test_a_trader_connects_a_venue_and_watches_an_order_live_then_cancels_it(
    stack: Stack, browser: object, tmp_path: Path
) -> None:
    stack.start(env=LIVE_PRICES_ENV)
    base = stack.url("gateway")
    with httpx.Client(base_url=base, timeout=30) as api:
        trader = register(api)
    with browsing(browser, base, tmp_path / "screens", expect) as web:
        page = web.page
        web.sign_in(trader.email)
        expect(page.locator("#equity-chart, .empty").first).to_be_visible()

        page.click("nav >> text=Venues")
        expect(page.locator("h1")).to_have_text("Venues")
        page.fill("#connect-paper input[name=label]", "Practice")
        page.fill("#connect-paper input[name=balances]", "USDT=100000, BTC=1")
        page.click("#connect-paper button[type=submit]")
        expect(page.locator(".flash.notice")).to_contain_text("Paper account connected")
        expect(page.locator("#venue-list .venue")).to_have_count(1)
        expect(page.locator("#venue-list")).to_contain_text("100,000")
        web.shot("venues")

        page.click("nav >> text=Orders")
        expect(page.locator("h1")).to_have_text("Orders")
        expect(page.locator("html[data-live-orders=ready]")).to_have_count(1)
        page.evaluate("window.__sameDocument = true")  # a reload would lose it
        form = page.locator("#place-order")
        form.locator("select[name=type]").select_option("Limit")
        form.locator("input[name=quantity]").fill("0.001")
        form.locator("input[name=price]").fill("20000")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash.notice")).to_contain_text("Order placed")
        row = page.locator("#orders-table tbody tr").first
        expect(row.locator(".status")).to_have_text("Open")  # accepted by the venue: a live update

        with httpx.Client(base_url=base, timeout=30) as api:
            user = login(api, trader.email)
            venue = ok(api.get("/api/venues", headers=user.headers))[0]["id"]
            body = {"venueId": venue, "symbol": "ETH/USDT", "side": "Buy", "type": "Limit"}
            placed = ok(
                api.post(
                    "/api/orders", json=body | {"quantity": "0.01", "price": "1000"}, headers=user.headers
                )
            )
        other = page.locator(f"tr[data-order-id='{placed['order']['id']}']")
        expect(other.locator(".status")).to_have_text("Open")  # placed elsewhere, shown here without a reload
        assert page.evaluate("window.__sameDocument") is True
        web.shot("orders")

        btc = page.locator("#orders-table tbody tr", has_text="BTC/USDT")
        btc.locator("button", has_text="Cancel").click()
        expect(btc.locator(".status")).to_have_text("Cancelled")
        expect(btc.locator("button", has_text="Cancel")).to_have_count(0)
        page.select_option("#order-filters select[name=status]", "Cancelled")
        expect(page.locator("#orders-table tbody tr")).to_have_count(1)
        expect(page.locator("#orders-table tbody tr .status")).to_have_text("Cancelled")

        page.click("nav >> text=Webhooks")
        page.fill("#create-webhook input[name=url]", "http://127.0.0.1:9/tradeplane")
        page.click("#create-webhook button[type=submit]")
        secret = page.locator("#new-secret .secret-value").inner_text()
        assert len(secret) > 20
        expect(page.locator("#webhook-list tbody tr")).to_have_count(1)
        web.shot("webhooks")
        page.click("nav >> text=Webhooks")
        expect(page.locator("#new-secret")).to_have_count(0)
        expect(page.locator("#webhook-list tbody tr")).to_have_count(1)
        assert secret not in page.content()  # shown once

        page.click("nav >> text=Settings")
        page.fill("#limits-form input[name=maxDailyTrades]", "123")
        page.click("#limits-form button[type=submit]")
        expect(page.locator(".flash.notice")).to_contain_text("Risk limits saved")
        expect(page.locator("#limits-form input[name=maxDailyTrades]")).to_have_value("123")
        web.shot("settings")

        page.click("nav >> text=Overview")
        expect(page.locator("#killswitch-button")).to_be_visible()
        eventually_sync(lambda: page.goto("/") and page.locator("#equity-chart.drawn canvas").count(), bool)
        expect(page.locator("#total-value")).to_contain_text(",")  # 100,000 USDT and 1 BTC, valued
        page.evaluate("window.__sameDocument = true")
        expect(page.locator("#positions")).to_have_count(0)
        with httpx.Client(base_url=base, timeout=30) as api:
            user = login(api, trader.email).with_account(venue)
            eventually_sync(  # a fresh risk replica refuses market orders until it heard a price
                lambda: settled(api, user, place(api, user, market(user.account, quantity="0.01"))["id"]),
                lambda order: order["status"] == "Filled",
            )
        expect(page.locator("#positions")).to_contain_text("BTC/USDT")  # a live update, no reload
        assert page.evaluate("window.__sameDocument") is True
        web.shot("overview")
        page.check("#killswitch input[name=confirm]")
        page.click("#killswitch-button")
        expect(page.locator("#halt-state")).to_contain_text("Your trading is halted")
        page.check("#killswitch input[name=confirm]")
        page.click("#killswitch-button")
        expect(page.locator("#halt-state")).to_contain_text("Your trading is running")

        web.speak_ukrainian()
        page.click("nav >> text=Ордери")
        expect(page.locator("#orders-table")).to_contain_text("Скасований")
        web.shot("orders-uk")
        page.set_viewport_size(PHONE)
        web.shot("orders-phone")

        web.context.clear_cookies(name="tp_access")  # as when the access token expires
        page.goto("/orders")
        expect(page).to_have_url(re.compile(r"/orders$"))  # renewed from the refresh cookie
        expect(page.locator("#orders-table")).to_contain_text("ETH/USDT")

        page.click(".who form[action='/logout'] button")
        expect(page).to_have_url(re.compile(r"/login$"))
        page.goto("/orders")
        expect(page).to_have_url(re.compile(r"/login$"))  # the session ended, its refresh token too


def test_a_viewer_sees_no_action_buttons_and_is_refused(
    stack: Stack, browser: object, tmp_path: Path
) -> None:
    stack.start(env=QUIET_ENV)
    base = stack.url("gateway")
    with httpx.Client(base_url=base, timeout=30) as api:
        viewer = register(api)
        venue = ok(
            api.post(
                "/api/venues/connect",
                json={"venue": "paper", "initialBalances": {"USDT": "1000"}},
                headers=viewer.headers,
            )
        )["id"]
        order = {"venueId": venue, "symbol": "BTC/USDT", "side": "Buy", "type": "Limit"}
        resting = order | {"quantity": "0.001", "price": "20000"}
        placed = ok(api.post("/api/orders", json=resting, headers=viewer.headers))["order"]["id"]
        admin: User = login(api, stack.admin_email, stack.admin_password)
        ok(api.patch(f"/api/admin/users/{viewer.id}", json={"role": "viewer"}, headers=admin.headers))
    with browsing(browser, base, tmp_path / "screens", expect) as web:
        page = web.page
        web.sign_in(viewer.email)
        expect(page.locator(".badge.role-viewer")).to_have_text("viewer")
        expect(page.locator("#killswitch form")).to_have_count(0)
        expect(page.locator("nav >> text=Admin")).to_have_count(0)

        page.click("nav >> text=Orders")
        expect(page.locator("#orders-table tbody tr")).to_have_count(1)
        expect(page.locator("#place-order")).to_have_count(0)
        expect(page.locator("#orders-table button")).to_have_count(0)
        web.shot("viewer-orders")

        page.click("nav >> text=Venues")
        expect(page.locator("#venue-list .venue")).to_have_count(1)
        expect(page.locator("#connect-paper")).to_have_count(0)
        page.click("nav >> text=Webhooks")
        expect(page.locator("#create-webhook")).to_have_count(0)
        page.click("nav >> text=Settings")
        expect(page.locator("#limits-form button")).to_have_count(0)

        market = {"venueId": venue, "symbol": "BTC/USDT", "side": "Buy", "type": "Market", "quantity": "1"}
        forged = page.request.post("/orders", form=market)  # no CSRF token: refused before anything
        assert forged.status == 403 and "CSRF_FAILED" in forged.text()
        token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
        refused = page.request.post("/orders", form={**market, "csrf_token": token})
        assert refused.status == 403
        assert "viewers may look" in refused.text()
        assert page.request.post(f"/orders/{placed}/cancel", form={"csrf_token": token}).status == 403
        assert page.request.get("/admin").status == 403
        page.goto("/orders")
        expect(page.locator("#orders-table tbody tr")).to_have_count(1)

    with browsing(browser, base, tmp_path / "screens", expect) as admin_web:
        page = admin_web.page
        admin_web.sign_in(stack.admin_email, stack.admin_password)
        page.click("nav >> text=Admin")
        row = page.locator(f"#users tr[data-user-id='{viewer.id}']")
        expect(row.locator("select[name=role]")).to_have_value("viewer")
        expect(page.locator("#audit")).to_contain_text("user.role")
        page.check("#global-killswitch input[name=confirm]")
        page.click("#global-killswitch button[type=submit]")
        expect(page.locator("#global-state")).to_contain_text("halted for everyone")
        admin_web.shot("admin")
        page.goto("/api/docs")  # Swagger UI from the vendored files: it draws with no request outside
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tradeplane API")
        page.goto("/admin")
        page.check("#global-killswitch input[name=confirm]")
        page.click("#global-killswitch button[type=submit]")
        expect(page.locator("#global-state")).to_contain_text("running for everyone")
