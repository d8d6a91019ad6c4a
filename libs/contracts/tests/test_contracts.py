"""Every contract round-trips through JSON, and bad input is refused with a clear validation error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError
from tradeplane.contracts import (
    MESSAGE_TYPES,
    AuditRecorded,
    BotLogged,
    BotStatusChanged,
    CancelOrder,
    DeadLettered,
    FillBooked,
    HaltAck,
    HaltEngaged,
    HaltReleased,
    HaltScope,
    Message,
    OrderAccepted,
    OrderApproved,
    OrderCanceled,
    OrderFailed,
    OrderFilled,
    OrderRejected,
    OrderRequested,
    PnlUpdated,
    PositionChanged,
    RejectCode,
    RiskStateChanged,
    Ticker,
    TradeClosed,
    TradingState,
    UserDisabled,
    UserEnabled,
    VenueError,
    VenueErrorCategory,
    VenueSucceeded,
    new_meta,
    streams,
    subjects,
)

USER, ACCOUNT, ORDER = uuid4(), uuid4(), uuid4()
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
IDS = {"order_id": ORDER, "user_id": USER, "account_id": ACCOUNT}
INTENT = {
    **IDS,
    "client_order_id": "c1",
    "venue": "paper",
    "symbol": "BTC/USDT",
    "side": "Buy",
    "type": "Limit",
    "quantity": "0.015",
    "price": "65000.5",
}

SAMPLES: dict[type[Message], dict[str, Any]] = {
    OrderRequested: INTENT,
    OrderApproved: INTENT,
    OrderRejected: {**IDS, "code": "DAILY_LOSS", "reason": "daily loss cap reached"},
    OrderAccepted: {**IDS, "venue_order_id": "V1", "accepted_at": NOW},
    OrderFilled: {
        **IDS,
        "fill_id": "f1",
        "venue": "paper",
        "symbol": "BTC/USDT",
        "side": "Sell",
        "quantity": "0.01",
        "price": "65000",
        "fee": "0.65",
        "fee_currency": "USDT",
        "liquidity": "taker",
        "filled_quantity": "0.01",
        "order_quantity": "0.015",
        "filled_at": NOW,
    },
    OrderCanceled: {**IDS, "reason": "kill switch", "filled_quantity": "0"},
    OrderFailed: {**IDS, "code": "INSUFFICIENT_FUNDS", "reason": "not enough USDT"},
    CancelOrder: IDS,
    HaltEngaged: {
        "scope": "user",
        "user_id": USER,
        "reason": "manual",
        "actor": "admin@x",
        "actor_role": "admin",
    },
    HaltReleased: {"scope": "global", "actor": "admin@x"},
    HaltAck: {"halt_event_id": uuid4(), "executor": "exec-0", "scope": "global", "cancelled_orders": 3},
    VenueError: {
        "user_id": USER,
        "account_id": ACCOUNT,
        "venue": "kraken",
        "category": "nonce",
        "message": "EAPI",
    },
    VenueSucceeded: {"user_id": USER, "account_id": ACCOUNT},
    UserDisabled: {"user_id": USER, "reason": "5 auth errors", "error_counts": {"auth": 5}},
    UserEnabled: {"user_id": USER, "actor": "admin@x"},
    Ticker: {
        "venue": "paper",
        "symbol": "ETH/USDT",
        "bid": "3400.1",
        "ask": "3400.2",
        "last": "3400.1",
        "at": NOW,
    },
    PositionChanged: {
        "user_id": USER,
        "account_id": ACCOUNT,
        "symbol": "BTC/USDT",
        "quantity": "-0.5",
        "average_entry": "65000",
        "realized_pnl": "-12.5",
        "unrealized_pnl": "3",
    },
    TradeClosed: {
        "trade_id": uuid4(),
        "user_id": USER,
        "account_id": ACCOUNT,
        "symbol": "BTC/USDT",
        "side": "long",
        "quantity": "0.1",
        "entry_price": "65000",
        "exit_price": "66000",
        "entry_at": NOW,
        "exit_at": NOW + timedelta(hours=1),
        "fees": "13.1",
        "pnl_usd": "86.9",
        "pnl_pct": "1.33",
        "duration_seconds": 3600,
    },
    FillBooked: {
        "fill": {
            "meta": new_meta("execution"),
            **IDS,
            "fill_id": "f2",
            "venue": "paper",
            "symbol": "BTC/USDT",
            "side": "Sell",
            "quantity": "0.1",
            "price": "66000",
            "fee": "6.6",
            "fee_currency": "USDT",
            "liquidity": "taker",
            "filled_quantity": "0.1",
            "order_quantity": "0.1",
            "filled_at": NOW,
        },
        "opened_quantity": "0",
        "closed_quantity": "0.1",
        "position_quantity": "0",
        "pnl_usd": "86.9",
        "pnl_pct": "1.33",
        "trade_id": uuid4(),
    },
    PnlUpdated: {
        "user_id": USER,
        "realized_pnl": "1",
        "unrealized_pnl": "2",
        "fees": "0.1",
        "equity": "10000",
        "daily_pnl": "1",
        "weekly_pnl": "1",
    },
    RiskStateChanged: {
        "user_id": USER,
        "previous": "Active",
        "current": "Halted",
        "reason_code": "DAILY_LOSS",
        "reason": "daily loss $100 reached",
    },
    AuditRecorded: {
        "actor": "admin@x",
        "action": "killswitch.activate",
        "target": "global",
        "reason": "drill",
    },
    BotStatusChanged: {
        "bot_id": uuid4(),
        "user_id": USER,
        "account_id": ACCOUNT,
        "previous": "Running",
        "status": "Error",
        "reason": "the strategy raised ValueError: boom",
    },
    BotLogged: {
        "bot_id": uuid4(),
        "user_id": USER,
        "at": NOW,
        "level": "info",
        "message": "dry run: would buy 0.07 BTC/USDT market",
        "data": {"quantity": "0.07"},
    },
    DeadLettered: {
        "original_subject": "tp.order.requested.1.x",
        "consumer": "risk",
        "reason": "bad",
        "payload": "{}",
    },
}


def build(model: type[Message], **overrides: Any) -> Message:
    return model(meta=new_meta("test"), **{**SAMPLES[model], **overrides})


def test_every_message_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(MESSAGE_TYPES)


@pytest.mark.parametrize("model", MESSAGE_TYPES, ids=lambda m: m.__name__)
def test_message_round_trips_through_json(model: type[Message]) -> None:
    message = build(model)
    assert model.model_validate_json(message.model_dump_json()) == message


def test_money_is_serialised_as_exact_strings() -> None:
    body = build(OrderRequested).model_dump(mode="json")
    assert body["quantity"] == "0.015"
    assert body["price"] == "65000.5"


def test_decimal_survives_without_float_rounding() -> None:
    message = build(OrderRequested, quantity="0.1000000000000000055511151231257827")
    parsed = OrderRequested.model_validate_json(message.model_dump_json())
    assert parsed.quantity == Decimal("0.1000000000000000055511151231257827")


@pytest.mark.parametrize("quantity", ["-1", "0", "NaN", "Infinity"])
def test_non_positive_or_non_finite_quantity_is_rejected(quantity: str) -> None:
    with pytest.raises(ValidationError, match="quantity"):
        build(OrderRequested, quantity=quantity)


def test_float_money_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValidationError, match="not floats"):
        build(OrderRequested, quantity=0.1)


def test_unknown_side_is_rejected() -> None:
    with pytest.raises(ValidationError, match="side"):
        build(OrderRequested, side="Hold")


def test_missing_meta_is_rejected() -> None:
    with pytest.raises(ValidationError, match="meta"):
        OrderRequested(**INTENT)


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(ValidationError, match="leverage"):
        build(OrderRequested, leverage="10")


def test_limit_order_without_price_is_rejected() -> None:
    with pytest.raises(ValidationError, match="need a price"):
        build(OrderRequested, price=None)


def test_market_order_with_price_is_rejected() -> None:
    with pytest.raises(ValidationError, match="take no price"):
        build(OrderRequested, type="Market")


def test_naive_timestamp_is_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        build(OrderAccepted, accepted_at=datetime(2026, 1, 1, 12, 0))


def test_timestamps_are_normalised_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    message = build(OrderAccepted, accepted_at=datetime(2026, 1, 1, 13, 0, tzinfo=cet))
    assert message.accepted_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    assert message.accepted_at.utcoffset() == timedelta(0)  # type: ignore[attr-defined]


def test_user_halt_without_user_is_rejected() -> None:
    with pytest.raises(ValidationError, match="exactly one user"):
        build(HaltEngaged, user_id=None)


def test_global_halt_naming_a_user_is_rejected() -> None:
    with pytest.raises(ValidationError, match="exactly one user"):
        build(HaltEngaged, scope=HaltScope.GLOBAL)


def test_halt_recorded_before_the_actor_role_was_kept_still_reads() -> None:
    old = build(HaltEngaged).model_dump(mode="json", exclude={"actor_role"})

    assert HaltEngaged.model_validate(old).actor_role is None


def test_pnl_update_of_version_1_is_still_accepted() -> None:
    v1 = build(PnlUpdated).model_dump(mode="json") | {"meta": {"producer": "pnl", "schema_version": 1}}

    assert PnlUpdated.model_validate(v1).equity == Decimal(10000)


def test_pnl_update_of_version_2_may_say_the_equity_is_unknown() -> None:
    unknown = build(PnlUpdated, equity=None)

    assert PnlUpdated.SCHEMA_VERSION == 2
    assert PnlUpdated.model_validate_json(unknown.model_dump_json()).equity is None


def test_messages_are_immutable() -> None:
    message = build(OrderRejected)
    with pytest.raises(ValidationError):
        message.code = RejectCode.KILL_SWITCH  # type: ignore[attr-defined]


def test_caused_message_keeps_correlation_and_names_its_cause() -> None:
    request = build(OrderRequested)
    approved = request.caused(OrderApproved, "risk", **SAMPLES[OrderApproved])
    assert approved.meta.correlation_id == request.meta.event_id
    assert approved.meta.causation_id == request.meta.event_id
    assert approved.meta.producer == "risk"


def test_partition_is_stable_and_in_range() -> None:
    user = UUID("8d7f5f1e-3b1c-4d0a-9f1e-1c2b3a4d5e6f")
    # Pinned: every process (and release) must put a user in the same partition.
    assert (subjects.partition_of(user, 16), subjects.partition_of(user, 64)) == (1, 49)
    assert all(0 <= subjects.partition_of(uuid4(), 16) < 16 for _ in range(200))


def test_users_spread_over_partitions() -> None:
    seen = {subjects.partition_of(uuid4(), 16) for _ in range(500)}
    assert seen == set(range(16))


def test_subjects_carry_partition_and_user() -> None:
    assert subjects.order_approved(3, USER) == f"tp.order.approved.3.{USER}"
    assert subjects.ticker("paper", "BTC/USDT") == "tp.market.ticker.paper.BTC-USDT"
    assert subjects.halt_engaged() == "tp.halt.engaged.global"
    assert subjects.halt_engaged(USER) == f"tp.halt.engaged.user.{USER}"


@pytest.mark.parametrize(
    "subject",
    [
        subjects.order_requested(0, USER),
        subjects.order_filled(1, USER),
        subjects.halt_ack("exec-0"),
        subjects.venue_error(2, USER),
        subjects.user_disabled(USER),
        subjects.ticker("paper", "SOL/USDT"),
        subjects.trade_closed(USER),
        subjects.fill_booked(USER),
        subjects.risk_state(USER),
        subjects.audit("risk", "killswitch.activate"),
        subjects.dead_letter("risk", "tp.order.requested.1.x"),
    ],
)
def test_every_published_subject_belongs_to_one_stream(subject: str) -> None:
    owners = [s for s in streams.ALL_STREAMS if any(subject.startswith(p[:-1]) for p in s.subjects)]
    assert len(owners) == 1
    assert streams.stream_for(subject) is owners[0]


def test_subject_outside_every_stream_is_refused() -> None:
    with pytest.raises(LookupError):
        streams.stream_for("tp.nowhere.x")


def test_account_breaking_error_categories() -> None:
    breaking = {c for c in VenueErrorCategory if c.breaks_account}
    assert breaking == {VenueErrorCategory.AUTH, VenueErrorCategory.NONCE, VenueErrorCategory.NETWORK}


def test_trading_states_match_the_api() -> None:
    assert [s.value for s in TradingState] == ["Active", "Reducing", "Halted"]
