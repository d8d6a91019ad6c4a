"""The executor: account actors for its partitions, the kill switch, latest prices and the startup order."""

from __future__ import annotations

import asyncio
import importlib
import logging
from contextlib import suppress
from uuid import UUID

import nats.js.errors
from cryptography.exceptions import InvalidTag
from faststream.nats import NatsBroker
from tradeplane.contracts import (
    CancelOrder,
    HaltEngaged,
    HaltReleased,
    OrderApproved,
    Ticker,
    VenueErrorCategory,
    streams,
    subjects,
)
from tradeplane.paper.markets import PAPER_MARKETS
from tradeplane.runtime import Periodic, Runtime, TransientError

from . import metrics, tasks
from .account_actor import AccountActor, Deps
from .actors import ActorPool, log_failure
from .adapters import accounts, repo
from .adapters.paper_venue import PaperVenue, initial_state, tick_of
from .adapters.store import SqlStore
from .adapters.venue import Venue, VenueCallError
from .config import Settings
from .halts import HaltBook
from .killswitch import KillSwitch
from .market import LatestTickers

log = logging.getLogger(__name__)


class ShuttingDown(TransientError):
    pass


class Executor:
    def __init__(self, rt: Runtime, settings: Settings) -> None:
        self.rt = rt
        self.settings = settings
        self.owned = frozenset(settings.owned_partitions)
        self.halts = HaltBook(settings.risk_heartbeat_timeout_seconds, self._connected, read=self._read_halt)
        self.tickers = LatestTickers()
        self.vault = accounts.Vault(settings.keyring())
        self.accounts = accounts.AccountCache(rt.engine)
        self.store = SqlStore(rt.engine, rt.outbox, settings.partitions)
        self.deps = Deps(self.store, self.open_venue, self.halts, self.tickers, settings.partitions)
        self.pool: ActorPool[UUID, AccountActor] = ActorPool(
            lambda account_id: AccountActor(account_id, self.deps), lambda s: s.close()
        )
        self.killswitch = KillSwitch(
            self.pool, self.store, settings.executor_id, settings.halt_cancel_timeout_seconds
        )
        self.closing = False
        self._periodic: Periodic | None = None

    @property
    def broker(self) -> NatsBroker:
        return self.rt.broker

    def _connected(self) -> bool:
        try:
            return bool(self.broker.config.connection_state.connection.is_connected)
        except Exception:
            return False

    async def open_venue(self, account: accounts.Account) -> Venue:
        """The venue an account's actor uses: the paper engine from its stored state, or a ccxt exchange."""
        if account.is_paper:
            state = await self.store.paper_state(account.id) or initial_state({})
            return PaperVenue(state, latest=lambda symbol: self.tickers.tick("paper", symbol))
        return self.exchange_venue(account)

    def exchange_venue(self, account: accounts.Account) -> Venue:
        from .adapters import ccxt_venue  # imports ccxt: seconds, and only needed for live accounts

        try:
            credentials = self.vault.open(account)
        except (InvalidTag, KeyError, ValueError):
            message = "the stored credentials do not open with the configured master key"
            raise VenueCallError(VenueErrorCategory.AUTH, False, message) from None
        venue: Venue = ccxt_venue.create_venue(account.info, credentials, self.rt.engine)
        return venue

    async def on_approved(self, msg: OrderApproved) -> None:
        self._refuse_when_closing()
        await self.pool.post(msg.account_id, lambda s: s.approve(msg))

    async def on_cancel(self, cmd: CancelOrder) -> None:
        self._refuse_when_closing()
        await self.pool.post(cmd.account_id, lambda s: s.cancel(cmd))

    def _refuse_when_closing(self) -> None:
        if self.closing:
            raise ShuttingDown("this executor is stopping; the message is redelivered")

    def on_ticker(self, ticker: Ticker) -> None:
        if not self.tickers.update(ticker) or ticker.venue != "paper" or self.closing:
            return
        tick = tick_of(ticker)
        for actor in self.pool.actors():
            state = actor.state
            if state.is_paper and ticker.symbol in state.symbols():
                actor.post(lambda s: s.tick(tick)).add_done_callback(log_failure)

    async def on_halt(self, halt: HaltEngaged) -> None:
        self.halts.engage(halt)  # before any await: no order is sent from here on
        cancelled = await self.killswitch.apply(halt)
        log.warning(
            "halt applied",
            extra={"scope": halt.scope.value, "user_id": str(halt.user_id), "cancelled": cancelled},
        )

    def on_release(self, released: HaltReleased) -> None:
        self.halts.release(released)
        log.warning("halt released", extra={"scope": released.scope.value, "user_id": str(released.user_id)})

    async def startup(self) -> None:
        """Before consuming: ccxt, halts from the KV bucket, latest prices, then every unfinished order."""
        # ccxt takes seconds to import. Importing it before the process reports ready keeps that off
        # the order path: a background import holds the GIL and stalls every account meanwhile.
        self._import_ccxt()
        halted = self.halts.load(await self._read_halts())
        await self._load_latest_tickers()
        await self._reconcile()
        for halt in halted:  # a previous process may have died before cancelling
            await self.killswitch.apply(halt)

    async def started(self) -> None:
        """After consumers run: re-read the KV (closing the gap before the halt subscription), start loops."""
        await self.load_halts()
        self._periodic = tasks.start(self.pool, self.store, self.halts, self.settings)

    async def shutdown(self) -> None:
        """Refuse new work (it is redelivered), let jobs in hand finish, then stop."""
        self.closing = True
        if self._periodic is not None:
            await self._periodic.stop()
        await self.pool.drain(self.settings.shutdown_drain_seconds)
        await self.pool.stop()

    async def load_halts(self) -> None:
        for halt in self.halts.load(await self._read_halts()):
            await self.killswitch.apply(halt)

    async def _read_halt(self, key: str) -> HaltEngaged | None:
        kv = await self.broker.key_value(streams.HALT_BUCKET)
        try:
            entry = await kv.get(key)
        except nats.js.errors.KeyNotFoundError:  # deleted or purged too
            return None
        return HaltEngaged.model_validate_json(entry.value) if entry.value else None

    async def _read_halts(self) -> list[HaltEngaged]:
        kv = await self.broker.key_value(streams.HALT_BUCKET)
        try:
            keys = await kv.keys()
        except nats.js.errors.NoKeysError:
            return []
        found = []
        for key in keys:
            try:
                entry = await kv.get(key)
            except nats.js.errors.KeyNotFoundError:
                continue
            if entry.value:
                found.append(HaltEngaged.model_validate_json(entry.value))
        return found

    async def _load_latest_tickers(self) -> None:
        js = self.broker.config.connection_state.stream
        for symbol in PAPER_MARKETS:
            with suppress(nats.js.errors.NotFoundError):
                raw = await js.get_last_msg(streams.MARKET.name, subjects.ticker("paper", symbol))
                if raw.data:
                    self.tickers.update(Ticker.model_validate_json(raw.data))

    async def _reconcile(self) -> None:
        async with self.rt.engine.connect() as conn:
            rows = await repo.unfinished_orders(conn)
        mine = {
            r.account_id
            for r in rows
            if subjects.partition_of(r.user_id, self.settings.partitions) in self.owned
        }
        results = await asyncio.gather(
            *(self.pool.post(account_id, lambda s: s.ensure_started()) for account_id in mine),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            log.error(
                "accounts failed to reconcile", extra={"failed": len(failures), "first": repr(failures[0])}
            )
        metrics.ACTORS.set(len(self.pool))

    def _import_ccxt(self) -> None:
        try:
            importlib.import_module("tradeplane.execution.adapters.ccxt_venue")
        except Exception:
            log.exception("importing ccxt failed: live venues are unavailable")
