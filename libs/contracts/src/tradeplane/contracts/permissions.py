"""Who may publish and subscribe to what on NATS: one NATS user a service, derived from the subject builders.

Each service publishes only the subjects it produces and subscribes only to its own queries (JetStream
consumers deliver to `_INBOX.>`), so the caller of a query can be trusted: only the gateway (and the
`operator` user of the CLI and tests) may publish `tp.query.>`. The embedded nats-server's config,
docker-compose's and the Kubernetes manifests are all rendered from `ALL_USERS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from uuid import UUID

from . import catalog, streams, subjects
from .queries import BACKTESTS, BOTS, EXECUTION, MARKETDATA, NOTIFIER, PNL, RISK

GATEWAY = catalog.GATEWAY
OPERATOR = "operator"
"""The CLI's user (kill switch, tail, migrations) and the tests' raw publisher: everything, like root."""
ANALYTICS = "analytics"
"""Downstream analytics (docs/events.md): reads every published subject, publishes none."""
ANALYTICS_CONSUMERS: tuple[str, ...] = ("analytics-1", "analytics-2", "analytics-3")
"""The durable consumer names the analytics user may create, read from, ack and delete (on any stream):
NATS permissions match whole tokens, so its consumers have these names and no service's."""
SERVICE_USERS: tuple[str, ...] = (GATEWAY, RISK, EXECUTION, PNL, NOTIFIER, MARKETDATA, BOTS, BACKTESTS)

_ANYONE = UUID(int=0)
JETSTREAM = ("$JS.API.>", "$JS.ACK.>", "$JS.FC.>")
"""The JetStream API, message acks and flow-control replies (ordered consumers: the KV watchers)."""
DESTRUCTIVE = ("$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.MSG.DELETE.>")
"""JetStream calls no service makes: a service's credentials cannot wipe the history (the operator can)."""


def inbox_prefix(user: str) -> str:
    """A user's own inbox prefix: replies and JetStream deliveries to one service are not another's to
    read."""
    return f"_INBOX_{user}"


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    allow_responses: bool = True
    """May answer a request on its reply subject (queries, health) without publish rights on `_INBOX`."""
    deny_publish: tuple[str, ...] = ()

    def as_config(self) -> dict[str, object]:
        """The `permissions` block of a nats-server user."""
        publish: dict[str, list[str]] = {"allow": list(self.publish)}
        if self.deny_publish:
            publish["deny"] = list(self.deny_publish)
        block: dict[str, object] = {"publish": publish, "subscribe": {"allow": list(self.subscribe)}}
        if self.allow_responses:
            block["allow_responses"] = True
        return block


def family(subject: str, specific: int = 1) -> str:
    """`tp.order.approved.3.<user>` with its 2 specific tokens → `tp.order.approved.>`."""
    return ".".join([*subject.split(".")[:-specific], ">"])


def _per_user(*builders: Callable[[int, UUID], str]) -> tuple[str, ...]:
    return tuple(family(build(0, _ANYONE), 2) for build in builders)


def _of_user(*builders: Callable[[UUID], str]) -> tuple[str, ...]:
    return tuple(family(build(_ANYONE)) for build in builders)


def _queries_of(service: str) -> str:
    return family(subjects.query(service, "any"))


def _service(service: str, publish: tuple[str, ...], subscribe: tuple[str, ...] = ()) -> Permissions:
    """Every service: JetStream, dead letters, answering health pings; then its own subjects."""
    common_pub = (*JETSTREAM, *streams.DLQ.subjects)
    common_sub = (f"{inbox_prefix(service)}.>", subjects.health(service), subjects.health("all"))
    return Permissions(
        publish=(*common_pub, *publish), subscribe=(*common_sub, *subscribe), deny_publish=DESTRUCTIVE
    )


def _analytics() -> Permissions:
    """Read-only: subscribe to the catalogue's subjects, and run its own durable consumers over the
    JetStream API (create, info, pull, ack, delete); no publish of any `tp.` subject, no stream change."""
    api = "$JS.API"
    own = [
        call
        for name in ANALYTICS_CONSUMERS
        for call in (
            f"{api}.CONSUMER.CREATE.*.{name}",
            f"{api}.CONSUMER.CREATE.*.{name}.>",
            f"{api}.CONSUMER.DURABLE.CREATE.*.{name}",
            f"{api}.CONSUMER.INFO.*.{name}",
            f"{api}.CONSUMER.DELETE.*.{name}",
            f"{api}.CONSUMER.MSG.NEXT.*.{name}",
            f"$JS.ACK.*.{name}.>",
        )
    ]
    reads = (f"{api}.INFO", f"{api}.STREAM.INFO.*", f"{api}.STREAM.NAMES", f"{api}.STREAM.LIST")
    published = tuple(dict.fromkeys(event.subject for event in catalog.EVENTS))
    return Permissions(
        publish=(*reads, *own),
        subscribe=(f"{inbox_prefix(ANALYTICS)}.>", *published),
        allow_responses=False,
    )


def _halt_bucket() -> str:
    return f"$KV.{streams.HALT_BUCKET}.>"


PERMISSIONS: Mapping[str, Permissions] = {
    GATEWAY: _service(
        GATEWAY,
        publish=(
            *_per_user(subjects.order_requested, subjects.order_cancel),
            family(subjects.audit("any")),
            family(subjects.query("any", "any"), 2),
            subjects.health("all"),
            subjects.SESSIONS_REVOKED,
        ),
        subscribe=(subjects.SESSIONS_REVOKED,),
    ),
    RISK: _service(
        RISK,
        publish=(
            *_per_user(subjects.order_approved, subjects.order_rejected),
            *_of_user(subjects.risk_state, subjects.user_disabled, subjects.user_enabled),
            family(subjects.halt_engaged(None)),
            family(subjects.halt_released(None)),
            family(subjects.audit("any")),
            subjects.heartbeat(RISK),
            subjects.query(PNL, "portfolio"),
            _halt_bucket(),
        ),
        subscribe=(_queries_of(RISK),),
    ),
    EXECUTION: _service(
        EXECUTION,
        publish=(
            *_per_user(
                subjects.order_accepted,
                subjects.order_filled,
                subjects.order_canceled,
                subjects.order_failed,
                subjects.order_rejected,
                subjects.venue_error,
                subjects.venue_ok,
            ),
            family(subjects.halt_ack("any")),
        ),
        subscribe=(_queries_of(EXECUTION), subjects.heartbeat(RISK)),
    ),
    PNL: _service(
        PNL,
        publish=(
            *_of_user(
                subjects.position_changed,
                subjects.trade_closed,
                subjects.pnl_updated,
                subjects.fill_booked,
            ),
            subjects.query(EXECUTION, "venues.list"),
            subjects.query(EXECUTION, "venues.balance"),
        ),
        subscribe=(_queries_of(PNL),),
    ),
    NOTIFIER: _service(NOTIFIER, publish=(), subscribe=(_queries_of(NOTIFIER),)),
    MARKETDATA: _service(
        MARKETDATA,
        publish=(family(subjects.ticker("any", "any"), 2), family(subjects.candle("any", "any", "any"), 3)),
        subscribe=(_queries_of(MARKETDATA),),
    ),
    BOTS: _service(
        BOTS,
        publish=(
            *_per_user(subjects.order_requested, subjects.order_cancel),
            *_of_user(subjects.bot_status, subjects.bot_log),
            subjects.query(EXECUTION, "venues.resolve"),
        ),
        subscribe=(_queries_of(BOTS),),
    ),
    BACKTESTS: _service(
        BACKTESTS,
        publish=(
            *_of_user(subjects.backtest_progress, subjects.backtest_done),
            subjects.query(RISK, "settings.get"),
            subjects.query(MARKETDATA, "market.candles"),
        ),
        subscribe=(_queries_of(BACKTESTS),),
    ),
    OPERATOR: Permissions(publish=(">",), subscribe=(">",), allow_responses=False),
    ANALYTICS: _analytics(),
}
ALL_USERS: tuple[str, ...] = (*SERVICE_USERS, OPERATOR, ANALYTICS)


def authorization(passwords: Mapping[str, str]) -> dict[str, object]:
    """The `authorization` block of a nats-server config: every user with its password and permissions."""
    missing = [user for user in ALL_USERS if not passwords.get(user)]
    if missing:
        raise ValueError(f"no NATS password for {', '.join(missing)}")
    users = [
        {"user": user, "password": passwords[user], "permissions": PERMISSIONS[user].as_config()}
        for user in ALL_USERS
    ]
    return {"authorization": {"users": users}}


def server_config(passwords: Mapping[str, str], **settings: object) -> str:
    """A nats-server config file (JSON is valid nats-server config syntax) with the users and `settings`."""
    return json.dumps({**settings, **authorization(passwords)}, indent=2) + "\n"


def password_variable(user: str) -> str:
    """`TP_NATS_PASSWORD_GATEWAY`: the variable (or secret) that holds a NATS user's password."""
    return f"TP_NATS_PASSWORD_{user.upper()}"


def deployed_config() -> str:
    """The `authorization` block for a deployed nats-server: passwords read from its environment
    (`$TP_NATS_PASSWORD_<USER>`), so the file itself holds no secret. Include it from the server's config."""
    variables = {user: f"${password_variable(user)}" for user in ALL_USERS}
    text = json.dumps(authorization(variables)["authorization"], indent=2)
    for variable in variables.values():
        text = text.replace(f'"{variable}"', variable)
    return f"{DEPLOYED_HEADER}authorization: {text}\n"


DEPLOYED_HEADER = (
    "# Generated from tradeplane.contracts.permissions by `tradeplane nats-config`: do not edit.\n"
    "# Every password comes from the server's environment, TP_NATS_PASSWORD_<USER>.\n"
)
