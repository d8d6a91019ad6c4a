"""NATS permissions derived from the subject builders: each service publishes what it produces, only
the gateway (and the operator) may send queries, and only execution hears venue connects."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from tradeplane.contracts import permissions, streams, subjects
from tradeplane.contracts.permissions import (
    ALL_USERS,
    GATEWAY,
    OPERATOR,
    PERMISSIONS,
    SERVICE_USERS,
    family,
)
from tradeplane.contracts.queries import BOTS, COMPLIANCE, EXECUTION, MARKETDATA, NOTIFIER, PNL, RISK

USER = uuid4()


def allows(patterns: tuple[str, ...], subject: str) -> bool:
    """NATS subject matching: `*` one token, `>` one or more trailing tokens."""
    tokens = subject.split(".")
    for pattern in patterns:
        wanted = pattern.split(".")
        if wanted[-1] == ">" and len(tokens) >= len(wanted):
            wanted, compared = wanted[:-1], tokens[: len(wanted) - 1]
        else:
            compared = tokens
        if len(wanted) == len(compared) and all(w in ("*", t) for w, t in zip(wanted, compared, strict=True)):
            return True
    return False


def publishers(subject: str) -> set[str]:
    return {user for user in SERVICE_USERS if allows(PERMISSIONS[user].publish, subject)}


def subscribers(subject: str) -> set[str]:
    return {user for user in SERVICE_USERS if allows(PERMISSIONS[user].subscribe, subject)}


def test_family_replaces_the_specific_tokens_with_a_tail_wildcard() -> None:
    assert family(subjects.order_approved(3, USER), 2) == "tp.order.approved.>"


def test_only_the_gateway_sends_queries_that_act_for_a_user() -> None:
    for service in (RISK, EXECUTION, PNL, NOTIFIER, MARKETDATA, BOTS):
        assert publishers(subjects.query(service, "anything.new")) == {GATEWAY}


def test_only_marketdata_answers_market_queries() -> None:
    assert subscribers(subjects.query(MARKETDATA, "market.candles")) == {MARKETDATA}


def test_system_reads_between_services_are_the_only_other_queries() -> None:
    assert publishers(subjects.query(PNL, "portfolio")) == {GATEWAY, RISK}
    assert publishers(subjects.query(EXECUTION, "venues.balance")) == {GATEWAY, PNL, COMPLIANCE}


def test_only_execution_hears_venue_connects() -> None:
    assert subscribers(subjects.query(EXECUTION, "venues.connect")) == {EXECUTION}


@pytest.mark.parametrize(
    ("subject", "producer"),
    [
        (subjects.order_approved(1, USER), RISK),
        (subjects.halt_engaged(USER), RISK),
        (subjects.halt_released(None), RISK),
        (subjects.order_filled(1, USER), EXECUTION),
        (subjects.halt_ack("exec-3"), EXECUTION),
        (subjects.ticker("paper", "BTC/USDT"), MARKETDATA),
        (subjects.ticker("kraken", "BTC/USD"), MARKETDATA),
        (subjects.candle("paper", "BTC/USDT", "1m"), MARKETDATA),
        (subjects.pnl_updated(USER), PNL),
        (subjects.trade_closed(USER), PNL),
        (subjects.bot_status(USER), BOTS),
        (subjects.bot_log(USER), BOTS),
    ],
)
def test_each_event_has_exactly_its_producer(subject: str, producer: str) -> None:
    assert publishers(subject) == {producer}


def test_orders_and_cancels_come_from_the_gateway_and_bots() -> None:
    assert publishers(subjects.order_requested(1, USER)) == {GATEWAY, BOTS}
    assert publishers(subjects.order_cancel(1, USER)) == {GATEWAY, BOTS}


def test_bots_ask_execution_only_to_resolve_an_account() -> None:
    assert publishers(subjects.query(EXECUTION, "venues.resolve")) == {GATEWAY, BOTS}
    assert subscribers(subjects.query(BOTS, "bots.create")) == {BOTS}


def test_rejections_come_from_risk_and_execution() -> None:
    assert publishers(subjects.order_rejected(1, USER)) == {RISK, EXECUTION}


def test_every_service_may_dead_letter_and_use_jetstream() -> None:
    for service in SERVICE_USERS:
        assert allows(PERMISSIONS[service].publish, subjects.dead_letter(service, "tp.order.filled.1.x"))
        assert allows(PERMISSIONS[service].publish, "$JS.API.CONSUMER.CREATE.TP_ORDERS")


def test_only_risk_writes_the_halt_bucket() -> None:
    assert publishers(f"$KV.{streams.HALT_BUCKET}.{streams.halt_key(USER)}") == {RISK}


def test_each_service_reads_only_its_own_inbox() -> None:
    for service in SERVICE_USERS:
        assert subscribers(f"{permissions.inbox_prefix(service)}.abc") == {service}


def test_the_operator_may_do_everything() -> None:
    assert PERMISSIONS[OPERATOR].publish == (">",) and PERMISSIONS[OPERATOR].subscribe == (">",)


def test_server_config_has_every_user_with_password_and_permissions() -> None:
    config = json.loads(permissions.server_config({user: f"pw-{user}" for user in ALL_USERS}))

    users = config["authorization"]["users"]
    assert [u["user"] for u in users] == list(ALL_USERS)
    assert all(u["password"] == f"pw-{u['user']}" for u in users)


def test_server_config_refuses_a_missing_password() -> None:
    with pytest.raises(ValueError, match="pnl"):
        permissions.server_config({user: "pw" for user in ALL_USERS if user != PNL})


def test_deployed_config_reads_passwords_from_the_environment() -> None:
    text = permissions.deployed_config()

    assert all(f'"password": ${permissions.password_variable(user)},' in text for user in ALL_USERS)


def test_no_service_may_delete_or_purge_a_stream() -> None:
    config = permissions.PERMISSIONS[PNL].as_config()

    for user in SERVICE_USERS:
        assert PERMISSIONS[user].deny_publish == permissions.DESTRUCTIVE
    assert config["publish"] == {
        "allow": list(PERMISSIONS[PNL].publish),
        "deny": list(permissions.DESTRUCTIVE),
    }
