"""The event catalogue cannot lie: every subject a builder makes is in it once, each service's NATS
publish permissions are exactly its entries, every entry is kept by a stream, and the analytics user
reads every entry and publishes nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest
from tradeplane.contracts import MESSAGE_TYPES, catalog, subjects
from tradeplane.contracts.permissions import ANALYTICS, ANALYTICS_CONSUMERS, PERMISSIONS, SERVICE_USERS

from .test_permissions import allows

USER = uuid4()

NOT_EVENTS = ("tp.query.", "tp.health.", "tp.heartbeat.", subjects.SESSIONS_REVOKED)
"""Core NATS request/reply, liveness and the gateway workers' cache invalidations: permitted, never
stored, not in the catalogue."""

BUILT = [
    (subjects.order_requested(3, USER), "tp.order.requested"),
    (subjects.order_approved(3, USER), "tp.order.approved"),
    (subjects.order_rejected(3, USER), "tp.order.rejected"),
    (subjects.order_accepted(3, USER), "tp.order.accepted"),
    (subjects.order_filled(3, USER), "tp.order.filled"),
    (subjects.order_canceled(3, USER), "tp.order.canceled"),
    (subjects.order_failed(3, USER), "tp.order.failed"),
    (subjects.order_cancel(3, USER), "tp.order.cancel"),
    (subjects.venue_error(3, USER), "tp.venue.error"),
    (subjects.venue_ok(3, USER), "tp.venue.ok"),
    (subjects.user_disabled(USER), "tp.user.disabled"),
    (subjects.user_enabled(USER), "tp.user.enabled"),
    (subjects.risk_state(USER), "tp.risk.state"),
    (subjects.halt_engaged(None), "tp.halt.engaged"),
    (subjects.halt_engaged(USER), "tp.halt.engaged"),
    (subjects.halt_released(USER), "tp.halt.released"),
    (subjects.halt_ack("execution-0"), "tp.halt.ack"),
    (subjects.position_changed(USER), "tp.position.changed"),
    (subjects.trade_closed(USER), "tp.trade.closed"),
    (subjects.fill_booked(USER), "tp.trade.booked"),
    (subjects.pnl_updated(USER), "tp.pnl.updated"),
    (subjects.bot_status(USER), "tp.bot.status"),
    (subjects.bot_log(USER), "tp.bot.log"),
    (subjects.backtest_progress(USER), "tp.backtest.progress"),
    (subjects.backtest_done(USER), "tp.backtest.done"),
    (subjects.audit("gateway", "user.login"), "tp.audit.gateway"),
    (subjects.audit("risk", "killswitch.engage"), "tp.audit.risk"),
    (subjects.audit("notifier", "webhook.endpoint.disabled"), "tp.audit.notifier"),
    (subjects.alert_raised(USER), "tp.risk.alert"),
    (subjects.alert_raised(None), "tp.risk.alert"),
    (subjects.ticker("paper", "BTC/USDT"), "tp.market.ticker"),
    (subjects.candle("kraken", "BTC/USD", "1h"), "tp.market.candle"),
    (subjects.dead_letter("pnl-fills", subjects.order_filled(3, USER)), "tp.dlq"),
]


@pytest.mark.parametrize(("subject", "family"), BUILT)
def test_every_built_subject_is_of_exactly_one_family(subject: str, family: str) -> None:
    matching = [event.name for event in catalog.EVENTS if event.matches(subject)]

    assert matching == [family]


def test_each_family_is_listed_once_and_kept_by_a_stream() -> None:
    names = [event.name for event in catalog.EVENTS]

    assert len(names) == len(set(names))
    for event in catalog.EVENTS:
        assert event.stream.max_age.total_seconds() > 0, event.name


def test_every_message_type_is_published_on_some_subject() -> None:
    published = {event.model for event in catalog.EVENTS}

    assert set(MESSAGE_TYPES) <= published


@pytest.mark.parametrize("service", SERVICE_USERS)
def test_each_services_publish_permissions_are_exactly_its_catalogue_entries(service: str) -> None:
    permitted = {
        pattern
        for pattern in PERMISSIONS[service].publish
        if pattern.startswith("tp.") and not pattern.startswith(NOT_EVENTS)
    }

    assert permitted == {event.subject for event in catalog.published_by(service)}


def test_the_catalogue_names_only_known_services() -> None:
    assert set(catalog.SERVICES) == set(SERVICE_USERS)
    for event in catalog.EVENTS:
        assert event.publishers and set(event.publishers) <= set(SERVICE_USERS), event.name


def test_the_analytics_user_reads_every_family_and_publishes_no_subject() -> None:
    analytics = PERMISSIONS[ANALYTICS]

    for subject, _ in BUILT:
        assert allows(analytics.subscribe, subject), subject
        assert not allows(analytics.publish, subject), subject
    assert not allows(analytics.subscribe, subjects.query("execution", "venues.connect"))
    assert not any(p.startswith(("tp.", ">", "_INBOX")) for p in analytics.publish)
    assert not analytics.allow_responses


def test_the_analytics_user_drives_only_its_own_consumers() -> None:
    publish = PERMISSIONS[ANALYTICS].publish
    mine, theirs = ANALYTICS_CONSUMERS[0], "pnl-fills"

    assert allows(publish, f"$JS.API.CONSUMER.CREATE.TP_ORDERS.{mine}.tp.order.filled.>")
    assert allows(publish, f"$JS.API.CONSUMER.MSG.NEXT.TP_ORDERS.{mine}")
    assert allows(publish, f"$JS.ACK.TP_ORDERS.{mine}.1.2.3.4.5")
    for call in ("CREATE", "DELETE", "MSG.NEXT", "INFO"):
        assert not allows(publish, f"$JS.API.CONSUMER.{call}.TP_ORDERS.{theirs}")
    assert not allows(publish, f"$JS.ACK.TP_ORDERS.{theirs}.1.2.3.4.5")
    for stream_call in ("CREATE", "UPDATE", "DELETE", "PURGE", "MSG.DELETE"):
        assert not allows(publish, f"$JS.API.STREAM.{stream_call}.TP_ORDERS")
