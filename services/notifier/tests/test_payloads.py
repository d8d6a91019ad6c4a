"""Platform events become `{type, timestamp, data}` webhook bodies with stable webhook ids."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from tradeplane.contracts.alerts import AlertCategory, AlertRaised, AlertSeverity, AlertType
from tradeplane.contracts.base import Message, Meta
from tradeplane.contracts.enums import (
    HaltScope,
    LiquiditySide,
    RejectCode,
    Side,
    TradingState,
    VenueErrorCategory,
)
from tradeplane.contracts.events import (
    FillBooked,
    HaltEngaged,
    HaltReleased,
    PnlUpdated,
    RiskStateChanged,
    TradeClosed,
    UserDisabled,
    VenueError,
)
from tradeplane.contracts.orders import OrderCanceled, OrderFilled, OrderRejected
from tradeplane.notifier.domain.payloads import EventType, WebhookPayload, iso_utc, to_payload, webhook_id

USER = UUID("11111111-1111-1111-1111-111111111111")
ACCOUNT = UUID("22222222-2222-2222-2222-222222222222")
ORDER = UUID("33333333-3333-3333-3333-333333333333")
AT = datetime(2026, 1, 17, 22, 0, tzinfo=UTC)


def meta() -> Meta:
    return Meta(producer="test", occurred_at=AT)


def trade_closed() -> TradeClosed:
    return TradeClosed(
        meta=meta(), trade_id=uuid4(), user_id=USER, account_id=ACCOUNT, symbol="BTC/USD", side="long",
        quantity=Decimal("0.5"), entry_price=Decimal("40000"), exit_price=Decimal("40800"),
        entry_at=AT - timedelta(hours=1), exit_at=AT, fees=Decimal("1.20"), pnl_usd=Decimal("398.80"),
        pnl_pct=Decimal("1.994"), duration_seconds=3600,
    )  # fmt: skip


def order_filled() -> OrderFilled:
    return OrderFilled(
        meta=meta(), order_id=ORDER, user_id=USER, account_id=ACCOUNT, fill_id="f-1", venue="paper",
        symbol="ETH/USD", side=Side.BUY, quantity=Decimal("0.25"), price=Decimal("2500.10"),
        fee=Decimal("0.5"), fee_currency="USD", liquidity=LiquiditySide.TAKER,
        filled_quantity=Decimal("0.25"), order_quantity=Decimal("1"), filled_at=AT,
    )  # fmt: skip


def booked(opened: str = "0.25", closed: str = "0", position: str = "0.25", **fields: Any) -> FillBooked:
    return FillBooked(
        meta=meta(), fill=order_filled(), opened_quantity=Decimal(opened), closed_quantity=Decimal(closed),
        position_quantity=Decimal(position), pnl_usd=Decimal(fields.pop("pnl_usd", "0")),
        pnl_pct=Decimal(fields.pop("pnl_pct", "0")), **fields,
    )  # fmt: skip


def all_events() -> list[Message]:
    return [
        booked(),
        trade_closed(),
        OrderRejected(meta=meta(), order_id=ORDER, user_id=USER, account_id=ACCOUNT,
                      code=RejectCode.DAILY_LOSS, reason="daily loss cap reached"),
        OrderCanceled(meta=meta(), order_id=ORDER, user_id=USER, account_id=ACCOUNT, reason="user"),
        VenueError(meta=meta(), user_id=USER, account_id=ACCOUNT, venue="kraken",
                   category=VenueErrorCategory.NONCE, message="invalid nonce"),
        RiskStateChanged(meta=meta(), user_id=USER, previous=TradingState.ACTIVE,
                         current=TradingState.HALTED, reason_code="DAILY_LOSS", reason="cap"),
        HaltEngaged(meta=meta(), scope=HaltScope.GLOBAL, reason="market chaos", actor="admin"),
        HaltReleased(meta=meta(), scope=HaltScope.USER, user_id=USER, actor="admin"),
        UserDisabled(meta=meta(), user_id=USER, reason="5 nonce errors", error_counts={"nonce": 5}),
    ]  # fmt: skip


def payload_of(message: Message, **kwargs: str) -> WebhookPayload:
    payload = to_payload(message, **kwargs)
    assert payload is not None
    return payload


def data_of(message: Message, **kwargs: str) -> dict[str, Any]:
    data: dict[str, Any] = payload_of(message, **kwargs).body()["data"]
    return data


def test_trade_exit_carries_seed_fields_with_decimals_as_strings() -> None:
    data = data_of(trade_closed())

    assert (data["user_id"], data["symbol"]) == (str(USER), "BTC/USD")
    assert (data["pnl_usd"], data["pnl_pct"]) == ("398.80", "1.994")


def test_trade_exit_body_has_type_and_exit_time() -> None:
    body = payload_of(trade_closed()).body()

    assert (body["type"], body["timestamp"]) == ("trade_exit", "2026-01-17T22:00:00Z")


def test_trade_entry_from_an_opening_fill_carries_symbol_side_quantity_and_price() -> None:
    data = data_of(booked())

    assert (data["symbol"], data["side"], data["quantity"], data["price"]) == (
        "ETH/USD", "Buy", "0.25", "2500.10",
    )  # fmt: skip
    assert data["order_id"] == str(ORDER)


def test_trade_entry_timestamps_are_iso_utc() -> None:
    assert data_of(booked())["filled_at"] == "2026-01-17T22:00:00Z"


def test_fill_that_closes_a_position_sends_no_entry_its_trade_closed_is_the_exit() -> None:
    closing = booked(opened="0", closed="0.25", position="0", pnl_usd="3.5", pnl_pct="1.2", trade_id=uuid4())

    assert to_payload(closing) is None


def test_fill_that_reduces_a_position_is_an_exit_with_its_pnl() -> None:
    payload = to_payload(booked(opened="0", closed="0.25", position="0.75", pnl_usd="-2.5", pnl_pct="-0.4"))

    assert payload is not None and payload.type is EventType.TRADE_EXIT
    data = payload.body()["data"]
    assert (data["pnl_usd"], data["pnl_pct"], data["partial"], data["quantity"]) == (
        "-2.5",
        "-0.4",
        True,
        "0.25",
    )
    assert (data["user_id"], data["symbol"], data["order_id"]) == (str(USER), "ETH/USD", str(ORDER))


def test_fill_that_reverses_a_position_is_an_entry_of_what_it_opened() -> None:
    reversal = booked(
        opened="0.1", closed="0.15", position="0.1", pnl_usd="1", pnl_pct="0.3", trade_id=uuid4()
    )

    payload = to_payload(reversal)

    assert payload is not None and payload.type is EventType.TRADE_ENTRY
    assert payload.body()["data"]["quantity"] == "0.1"


def test_raw_fill_is_not_a_webhook_event() -> None:
    assert to_payload(order_filled()) is None


def test_order_rejected_carries_code_reason_and_given_symbol() -> None:
    data = data_of(all_events()[2], symbol="BTC/USD")

    assert (data["code"], data["reason"], data["symbol"]) == (
        "DAILY_LOSS",
        "daily loss cap reached",
        "BTC/USD",
    )


def test_event_without_symbol_has_null_symbol_when_caller_does_not_know_it() -> None:
    assert data_of(all_events()[3])["symbol"] is None


def test_killswitch_engaged_is_true_for_a_halt() -> None:
    data = data_of(all_events()[6])

    assert (data["engaged"], data["scope"], data["user_id"]) == (True, "global", None)


def test_killswitch_engaged_is_false_for_a_release() -> None:
    data = data_of(all_events()[7])

    assert (data["engaged"], data["scope"], data["user_id"]) == (False, "user", str(USER))


def test_user_disabled_carries_reason_and_error_counts() -> None:
    data = data_of(all_events()[8])

    assert (data["reason"], data["error_counts"]) == ("5 nonce errors", {"nonce": 5})


@pytest.mark.parametrize(
    ("index", "expected"),
    list(enumerate([
        EventType.TRADE_ENTRY, EventType.TRADE_EXIT, EventType.ORDER_REJECTED, EventType.ORDER_CANCELLED,
        EventType.ERROR, EventType.RISK_STATE, EventType.KILLSWITCH, EventType.KILLSWITCH,
        EventType.USER_DISABLED,
    ])),
)  # fmt: skip
def test_each_platform_event_maps_to_its_webhook_type(index: int, expected: EventType) -> None:
    assert payload_of(all_events()[index]).type is expected


@pytest.mark.parametrize("message", all_events(), ids=lambda m: type(m).__name__)
def test_payload_body_is_json_with_snake_case_data_keys_and_event_id(message: Message) -> None:
    body = json.loads(json.dumps(payload_of(message).body()))

    assert set(body) == {"type", "timestamp", "data"}
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in body["data"])
    assert body["data"]["event_id"] == str(message.meta.event_id)


def test_event_without_webhook_type_gives_no_payload() -> None:
    pnl = PnlUpdated(
        meta=meta(), user_id=USER, realized_pnl=Decimal(0), unrealized_pnl=Decimal(0), fees=Decimal(0),
        equity=Decimal(0), daily_pnl=Decimal(0), weekly_pnl=Decimal(0),
    )  # fmt: skip

    assert to_payload(pnl) is None


def test_webhook_id_is_the_same_for_the_same_endpoint_and_event() -> None:
    endpoint = UUID("44444444-4444-4444-4444-444444444444")
    event = UUID("55555555-5555-5555-5555-555555555555")

    # Pinned: the id must not change between processes or releases, or receivers see a new event.
    assert webhook_id(endpoint, event) == "msg_8f7bbd9a766e556a81b396cd0d01a92d"


def test_webhook_id_differs_between_endpoints_for_one_event() -> None:
    event = uuid4()

    assert webhook_id(uuid4(), event) != webhook_id(uuid4(), event)


def test_webhook_id_differs_between_events_for_one_endpoint() -> None:
    endpoint = uuid4()

    assert webhook_id(endpoint, uuid4()) != webhook_id(endpoint, uuid4())


def test_webhook_id_is_msg_prefixed_hex() -> None:
    assert re.fullmatch(r"msg_[0-9a-f]{32}", webhook_id(uuid4(), uuid4()))


def test_iso_utc_converts_other_offsets_to_z() -> None:
    moment = datetime(2026, 1, 17, 23, 0, tzinfo=timezone(timedelta(hours=1)))

    assert iso_utc(moment) == "2026-01-17T22:00:00Z"


def test_iso_utc_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_utc(datetime(2026, 1, 17, 22, 0))


def test_killswitch_payload_does_not_name_the_operator() -> None:
    halt = HaltEngaged(meta=meta(), scope=HaltScope.GLOBAL, reason="market chaos", actor="ops@example.com")

    payload = to_payload(halt)

    assert payload is not None
    assert "ops@example.com" not in json.dumps(payload.body())


@pytest.mark.parametrize(
    "event",
    [
        RiskStateChanged(meta=meta(), user_id=USER, previous=TradingState.ACTIVE, current=TradingState.HALTED,
                         reason_code="DAILY_LOSS", reason="cap"),
        UserDisabled(meta=meta(), user_id=USER, reason="broken"),
        HaltReleased(meta=meta(), scope=HaltScope.USER, user_id=USER, actor="admin"),
    ],
)  # fmt: skip
def test_events_without_a_symbol_carry_user_and_null_symbol(event: Message) -> None:
    payload = to_payload(event)

    assert payload is not None
    assert (payload.data["user_id"], payload.data["symbol"]) == (str(USER), None)


def _alert(webhook: bool, user_id: UUID | None = USER) -> AlertRaised:
    return AlertRaised(
        meta=meta(),
        alert_id=uuid4(),
        user_id=user_id,
        type=AlertType.ERROR,
        category=AlertCategory.TRADING,
        severity=AlertSeverity.HIGH,
        title="Trading halted: daily loss cap",
        message="daily loss 12 beyond 5",
        metadata={"reasonCode": "DAILY_LOSS"},
        webhook=webhook,
    )


def test_an_alert_the_settings_send_to_webhooks_is_an_alert_payload() -> None:
    event = _alert(webhook=True)

    payload = to_payload(event)

    assert payload is not None and payload.type is EventType.ALERT
    data = payload.body()["data"]
    assert (data["alert_id"], data["user_id"], data["severity"]) == (str(event.alert_id), str(USER), "High")
    assert data["metadata"] == {"reasonCode": "DAILY_LOSS"}


@pytest.mark.parametrize("event", [_alert(webhook=False), _alert(webhook=True, user_id=None)])
def test_alerts_not_for_webhooks_and_platform_alerts_send_nothing(event: AlertRaised) -> None:
    assert to_payload(event) is None
