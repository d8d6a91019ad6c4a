"""The event catalogue: every subject family the platform publishes, one line each.

Each entry names its subject (with `{parameters}`), its message model, the services that publish it,
and its de-duplication key and ordering; the stream that keeps it follows from `streams`. The AsyncAPI
document (`tradeplane.contracts.asyncapi`, `docs/asyncapi.yaml`) is generated from here, the analytics
NATS user may read exactly these subjects, and a test checks that each service's publish permissions
are exactly its entries here: a subject added to the platform without a line here fails that test.

Not events, and so not here: request/reply queries (`tp.query.>`), health pings (`tp.health.>`),
risk's heartbeat (`tp.heartbeat.risk`) and the gateway workers' session cache invalidations
(`tp.gateway.sessions.revoked`): core NATS, never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import streams
from .alerts import AlertRaised
from .backtests import BacktestDone, BacktestProgress
from .base import Message
from .bots import BotLogged, BotStatusChanged
from .events import (
    AuditRecorded,
    DeadLettered,
    FillBooked,
    HaltAck,
    HaltEngaged,
    HaltReleased,
    PnlUpdated,
    PositionChanged,
    RiskStateChanged,
    Ticker,
    TradeClosed,
    UserDisabled,
    UserEnabled,
    VenueError,
    VenueSucceeded,
)
from .market import CandleClosed
from .orders import (
    CancelOrder,
    OrderAccepted,
    OrderApproved,
    OrderCanceled,
    OrderFailed,
    OrderFilled,
    OrderRejected,
    OrderRequested,
)
from .queries import BACKTESTS, BOTS, COMPLIANCE, EXECUTION, MARKETDATA, NOTIFIER, PNL, RISK

GATEWAY = "gateway"
SERVICES: tuple[str, ...] = (GATEWAY, RISK, EXECUTION, PNL, NOTIFIER, MARKETDATA, BOTS, BACKTESTS, COMPLIANCE)
"""Every service (each is also its NATS user, see `permissions`)."""

EVENT_ID = "meta.event_id"
"""The default de-duplication key: the message's `meta.event_id`, sent as the `Nats-Msg-Id` header."""

PER_USER = "per user: a user's events of this family arrive in the order they happened"
PER_SCOPE = "per scope: the platform's or one user's kill switch changes in order"
PER_MARKET = "per venue, symbol (and timeframe): in time order"
PER_EXECUTOR = "per executor"
PER_ACTION = "in the order the actions were taken by each publisher"
PER_CONSUMER = "in the order the consumer refused the messages"

_PARAMETER = re.compile(r"\{([A-Za-z]+)\}")


@dataclass(frozen=True)
class Event:
    """One subject family: `address` is the subject with `{parameter}` for its variable tokens (the last
    one may span several tokens, e.g. the original subject of a dead letter)."""

    address: str
    model: type[Message]
    publishers: tuple[str, ...]
    summary: str
    ordering: str = PER_USER
    key: str = EVENT_ID
    """What `Nats-Msg-Id` is: within the stream's duplicate window, a message with the same id is dropped."""

    @property
    def name(self) -> str:
        """The family without its parameters: `tp.order.filled`."""
        return self.address.split(".{", 1)[0]

    @property
    def subject(self) -> str:
        """The NATS wildcard of the family: `tp.order.filled.>`."""
        return f"{self.name}.>"

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(_PARAMETER.findall(self.address))

    @property
    def stream(self) -> streams.StreamSpec:
        return streams.stream_for(self.address)

    def matches(self, subject: str) -> bool:
        """Whether a concrete subject is of this family (the parameters fill whole tokens)."""
        pattern = re.escape(self.address)
        names = self.parameters
        for index, name in enumerate(names):
            token = ".+" if index == len(names) - 1 else "[^.]+"
            pattern = pattern.replace(re.escape(f"{{{name}}}"), token, 1)
        return re.fullmatch(pattern, subject) is not None


_ORDER = "tp.order.{kind}.{{partition}}.{{userId}}"


def _order(kind: str) -> str:
    return _ORDER.format(kind=kind)


EVENTS: tuple[Event, ...] = (
    Event(_order("requested"), OrderRequested, (GATEWAY, BOTS), "An order a user or a bot asks for"),
    Event(_order("approved"), OrderApproved, (RISK,), "An order risk approved, for the executor"),
    Event(_order("rejected"), OrderRejected, (RISK, EXECUTION), "An order risk or the venue refused"),
    Event(_order("accepted"), OrderAccepted, (EXECUTION,), "The venue took the order"),
    Event(_order("filled"), OrderFilled, (EXECUTION,), "A fill (one per venue trade) of an order"),
    Event(_order("canceled"), OrderCanceled, (EXECUTION,), "The order was cancelled"),
    Event(_order("failed"), OrderFailed, (EXECUTION,), "The order failed for good"),
    Event(_order("cancel"), CancelOrder, (GATEWAY, BOTS), "Command: cancel one order"),
    Event("tp.venue.error.{partition}.{userId}", VenueError, (EXECUTION,), "A venue call failed"),
    Event("tp.venue.ok.{partition}.{userId}", VenueSucceeded, (EXECUTION,), "A venue call succeeded"),
    Event("tp.user.disabled.{userId}", UserDisabled, (RISK,), "A user stops trading (venue errors)"),
    Event("tp.user.enabled.{userId}", UserEnabled, (RISK,), "A user trades again"),
    Event("tp.risk.state.{userId}", RiskStateChanged, (RISK,), "A user's trading state moved"),
    Event("tp.halt.engaged.{target}", HaltEngaged, (RISK,), "Kill switch on", PER_SCOPE),
    Event("tp.halt.released.{target}", HaltReleased, (RISK,), "Kill switch off", PER_SCOPE),
    Event("tp.halt.ack.{executor}", HaltAck, (EXECUTION,), "An executor applied a halt", PER_EXECUTOR),
    Event("tp.position.changed.{userId}", PositionChanged, (PNL,), "A user's position changed"),
    Event("tp.trade.closed.{userId}", TradeClosed, (PNL,), "A position went flat: the closed trade"),
    Event("tp.trade.booked.{userId}", FillBooked, (PNL,), "pnl booked a fill (opened, closed, PnL)"),
    Event("tp.pnl.updated.{userId}", PnlUpdated, (PNL,), "A user's running PnL figures"),
    Event("tp.bot.status.{userId}", BotStatusChanged, (BOTS,), "A bot changed status"),
    Event("tp.bot.log.{userId}", BotLogged, (BOTS,), "A bot logged a line"),
    Event("tp.backtest.progress.{userId}", BacktestProgress, (BACKTESTS,), "A backtest job moved"),
    Event("tp.backtest.done.{userId}", BacktestDone, (BACKTESTS,), "A backtest job finished"),
    *(
        Event(
            f"tp.audit.{service}.{{action}}",
            AuditRecorded,
            (service,),
            f"{summary}: who, what, why",
            PER_ACTION,
        )
        for service, summary in (
            (GATEWAY, "Accounts, logins, settings and every state-changing API request"),
            (RISK, "Kill switch, releases and risk limits"),
            (NOTIFIER, "Webhook endpoints the notifier switched off"),
        )
    ),
    Event("tp.risk.alert.{userId}", AlertRaised, (COMPLIANCE,), "An alert for a user, or `platform`"),
    Event("tp.market.ticker.{venue}.{symbol}", Ticker, (MARKETDATA,), "Latest prices", PER_MARKET),
    Event(
        "tp.market.candle.{venue}.{symbol}.{timeframe}",
        CandleClosed,
        (MARKETDATA,),
        "A closed candle",
        PER_MARKET,
        key="candle:{venue}:{symbol}:{timeframe}:{t} (a candle published again is a duplicate)",
    ),
    Event("tp.dlq.{consumer}.{originalSubject}", DeadLettered, SERVICES, "A refused message", PER_CONSUMER),
)
"""Adding a subject family is one line here (and its publish permission in `permissions`)."""


def published_by(service: str) -> tuple[Event, ...]:
    return tuple(event for event in EVENTS if service in event.publishers)


def event_of(subject: str) -> Event:
    """The family of a concrete subject."""
    for event in EVENTS:
        if event.matches(subject):
            return event
    raise LookupError(f"no event family has subject {subject!r}")
