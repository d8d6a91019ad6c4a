"""Runtime pieces every service uses: settings, logging, database, outbox, inbox, broker and health."""

from . import telemetry
from .app import Runtime, run, serve
from .bus import consumer, declare_streams, make_broker, publish, publish_message
from .db import make_engine, reading, service_metadata
from .failures import Failure, PermanentError, TransientError, classify
from .inbox import Inbox
from .outbox import OneWrite, Outbox, Tx
from .periodic import Periodic
from .settings import ServiceSettings
from .subscriptions import Subscription, subscribe

__all__ = [
    "Failure",
    "Inbox",
    "OneWrite",
    "Outbox",
    "Periodic",
    "PermanentError",
    "Runtime",
    "ServiceSettings",
    "Subscription",
    "TransientError",
    "Tx",
    "classify",
    "consumer",
    "declare_streams",
    "make_broker",
    "make_engine",
    "publish",
    "publish_message",
    "reading",
    "run",
    "serve",
    "service_metadata",
    "subscribe",
    "telemetry",
]
