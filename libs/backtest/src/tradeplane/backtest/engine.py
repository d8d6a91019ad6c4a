"""The backtest engine: candles replayed through a strategy, the paper venue's matching and the pre-trade
risk rules, on a simulated clock.

Per candle of a symbol, in time order:
1. **Intrabar path.** The candle becomes four ticks (`bid = ask = last`, no spread) at its open time
   and a quarter, half and three quarters into it: open → high → low → close, or with the adaptive
   order open → low → high → close when the open is nearer the low. Each goes to `PaperEngine.on_tick`
   (`tradeplane.paper`, the code the live paper venue runs), which fills the orders resting from
   before: makers at their limit price, partial fills past `liquidity_per_tick`, fees by the
   market's maker/taker rates. A candle whose range cannot reach any resting order (`limit_band`) is
   not walked: only its close is handed to the matching, before the next order goes in.
2. **Fills** go back to the strategy (`StrategyDriver.fill`) at their tick's time; what it sends then
   goes in at once against that tick, as on the live venue.
3. **The closed candle** goes to the strategy (`StrategyDriver.candle`) at its close time; its orders
   go in against the close. So no order ever fills on a price the strategy had not yet been able to
   see, and the strategy never sees a candle before it closed.

Every order first passes the pre-trade checks (`tradeplane.riskrules.check_order`) with the request's
limits (the platform defaults when none): equity is the account marked at the last prices, the risk
state follows fills (positions, trades per day, realized PnL net of fees) and is told the equity before
each decision and every simulated hour. Rejections (risk's codes, or the venue's) are reported with the
order and close it for the strategy.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from tradeplane.contracts import OrderStatus, RejectCode
from tradeplane.paper.book import PaperAccount, PaperFill, PaperOrder, PaperSettings, PaperUpdate
from tradeplane.paper.engine import PaperEngine
from tradeplane.paper.feed import Tick
from tradeplane.paper.markets import PAPER_MARKETS, MarketSpec
from tradeplane.riskrules import Fill as RiskFill
from tradeplane.riskrules import (
    ProposedOrder,
    Rejected,
    RiskLimits,
    RiskState,
    check_order,
    on_fill,
    on_pnl,
    record_order,
    roll_day,
)
from tradeplane.strategies.candles import Candle
from tradeplane.strategies.context import StrategyContext
from tradeplane.strategies.driver import RunOutput, StrategyDriver
from tradeplane.strategies.intents import Cancel, Fill, Intent, Market
from tradeplane.strategies.registry import StrategyType, build, spec
from tradeplane.strategies.strategy import Strategy

from .data import Dataset, Hasher, open_dataset
from .metrics import ClosedTrade, EquityCurve, Ledger, metrics, money, monthly_returns, pct
from .report import BacktestResult, decimal_text
from .request import BacktestRequest, Intrabar

ENGINE_VERSION = "1"
"""Bumped when a change makes the engine fill, check or report differently: results record it."""

NAMESPACE = UUID("0e6f1f5c-93a4-5d1e-8c2b-7a4b2f0d9c31")
BOT_ID = uuid5(NAMESPACE, "bot")
USER_ID = uuid5(NAMESPACE, "user")
ACCOUNT_ID = uuid5(NAMESPACE, "account")
REJECTIONS_LISTED = 1000
"""Rejections listed one by one in the result; all are counted by code."""

_HOUR = timedelta(hours=1)
_UNKNOWN: Any = object()
_ZERO = Decimal(0)

Progress = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class Rejection:
    at: datetime
    intent: Intent
    code: str
    message: str
    source: str
    """`risk` (pre-trade checks) or `venue` (the paper venue refused it)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "t": self.at.isoformat(),
            "intentId": str(self.intent.intent_id),
            "symbol": self.intent.symbol,
            "side": self.intent.side.value,
            "type": self.intent.type.value,
            "quantity": decimal_text(self.intent.quantity),
            "price": None if self.intent.price is None else decimal_text(self.intent.price),
            "code": self.code,
            "message": self.message,
            "source": self.source,
        }


class Backtest:
    """One run of a request over a dataset; `run()` once and read the result."""

    def __init__(
        self,
        request: BacktestRequest,
        dataset: Dataset | None = None,
        *,
        markets: Mapping[str, MarketSpec] = PAPER_MARKETS,
        settings: PaperSettings | None = None,
        progress: Progress | None = None,
        strategy: Strategy[Any] | None = None,
    ) -> None:
        """`strategy` replaces the one the request names (tests, custom hosts); the request's config is
        then not used for it."""
        self.request = request
        self.dataset = dataset or open_dataset(
            request.dataset, request.markets, request.period, markets=markets
        )
        self.limits = request.limits or RiskLimits()
        self._markets = {symbol: markets[symbol] for symbol in self.dataset.symbols}
        self._progress = progress
        quotes = {m.quote for m in self._markets.values()}
        if len(quotes) != 1:
            raise ValueError(f"the symbols of one backtest share a quote currency, got {sorted(quotes)}")
        self.quote = quotes.pop()
        self._base_symbol = {m.base: m.symbol for m in self._markets.values()}
        unpriced = [a for a in request.initial_balances if a != self.quote and a not in self._base_symbol]
        if unpriced:
            raise ValueError(f"no market prices {unpriced} in {self.quote} among {list(self._markets)}")
        balances = {asset: Decimal(amount) for asset, amount in request.initial_balances.items()}
        self.engine = PaperEngine(PaperAccount(dict(balances)), self._markets, settings)
        ctx = StrategyContext(
            BOT_ID,
            balances,
            now=request.start,
            seed=request.seed,
            markets={s: _strategy_market(m) for s, m in self._markets.items()},
        )
        self.driver = StrategyDriver(strategy or build(request.strategy, request.config), ctx)
        self.ledger = Ledger()
        self.risk = RiskState()
        self.fills: list[PaperFill] = []
        self.rejections: list[Rejection] = []
        self.rejection_counts: Counter[str] = Counter()
        self.fees = _ZERO
        self.turnover = _ZERO
        self._adaptive = request.intrabar is Intrabar.ADAPTIVE
        self._intents: dict[str, Intent] = {}
        self._queue: deque[RunOutput] = deque()
        self._draining = False
        self._duration = request.timeframe.duration
        self._prices: dict[str, Decimal] = {}
        self._first_open: dict[str, Decimal] = {}
        self._pending: dict[str, Candle] = {}
        """Skipped candles whose close the matching has not been given yet."""
        self._bands: dict[str, tuple[Decimal | None, Decimal | None] | None] = {}
        self._curve: EquityCurve | None = None
        self._next_risk_mark: datetime | None = None
        self._targets = _targets(request)
        self._rebalances = 0
        self._tracking_sum = _ZERO
        self._tracking_samples = 0

    # --- the run ---------------------------------------------------------------------------

    def run(self) -> BacktestResult:
        request = self.request
        hasher = Hasher()
        total = max(request.period.count * len(self.dataset.symbols), 1)
        report_every = max(total // 100, 1)
        seen = 0
        self._process([*self.driver.start(request.start)], request.start)
        add = hasher.add
        step: list[Candle] = []
        for candle in self.dataset.candles():
            add(candle)
            if step and candle.t != step[0].t:
                self._step(step)
                step = []
            step.append(candle)
            seen += 1
            if self._progress is not None and seen % report_every == 0:
                self._progress(min(seen / total, 0.99))
        if step:
            self._step(step)
        return self._finish(hasher.hexdigest(), seen)

    def _finish(self, dataset_hash: str, candles: int) -> BacktestResult:
        """Stop the strategy at the end of the period and seal the result."""
        end = self.request.end
        self._process([self.driver.stop(max(self.driver.ctx.now, end))], end)
        curve = self._equity_curve()
        curve.finish()
        if self._progress is not None:
            self._progress(1.0)
        return self._result(curve, dataset_hash, candles)

    def _step(self, candles: list[Candle]) -> None:
        """The candles of one open time (one per symbol): every path is walked before the strategy sees
        any of them closed, so nothing it sends at the close can fill earlier in another's path.

        Runs once per candle of a year of them: the common case (no order can fill in the candle's
        range, the strategy sends nothing) does as little as it can.
        """
        bands, pending, prices = self._bands, self._pending, self._prices
        for candle in candles:
            symbol = candle.symbol
            if symbol not in self._first_open:
                self._first_candle(candle)
            band = bands.get(symbol, _UNKNOWN)
            if band is _UNKNOWN:
                band = bands[symbol] = self.engine.limit_band(symbol)
            if band is None or _reaches(band, candle.low, candle.high):
                pending.pop(symbol, None)
                self._walk(candle)
            else:
                pending[symbol] = candle
            prices[symbol] = candle.close
        closes = candles[0].t + self._duration
        for candle in candles:
            outputs = self.driver.candle(candle)
            for out in outputs:
                if out.actions:
                    self._process(outputs, closes)
                    break
        self._mark(closes)

    def _first_candle(self, candle: Candle) -> None:
        self._opening(candle.symbol, candle.open, candle.t)

    def _opening(self, symbol: str, price: Decimal, at: datetime) -> None:
        """The first price of a symbol: the ledger opens what is held of it at that price."""
        self._first_open[symbol] = price
        self._prices[symbol] = price
        base = self._markets[symbol].base
        self.ledger.opening(symbol, self.engine.account.balance(base), price, at)

    def _walk(self, candle: Candle) -> None:
        """The candle's four ticks, each given to the matching unless it can reach no resting order
        (then the candle's close is left pending, as for a candle not walked at all)."""
        symbol = candle.symbol
        quarter = self._duration / 4
        o, h, lo, c = candle.open, candle.high, candle.low, candle.close
        path = (o, lo, h, c) if self._adaptive and o - lo < h - o else (o, h, lo, c)
        for k, price in enumerate(path):
            band = self._bands.get(symbol, _UNKNOWN)
            if band is _UNKNOWN:
                band = self._bands[symbol] = self.engine.limit_band(symbol)
            if band is not None and not _reaches(band, price, price):
                if k == 3:
                    self._pending[symbol] = candle
                continue
            at = candle.t + quarter * k
            self._prices[symbol] = price
            self._apply(self.engine.on_tick(Tick(symbol, price, price, price, at)), at)

    def _flush(self) -> None:
        """Give the matching the close of every skipped candle (nothing can fill on it)."""
        while self._pending:
            symbol, candle = self._pending.popitem()
            at = candle.t + candle.timeframe.duration * 3 / 4
            price = candle.close
            self._apply(self.engine.on_tick(Tick(symbol, price, price, price, at)), at)

    # --- strategy output and the venue -----------------------------------------------------

    def _process(self, outputs: list[RunOutput], now: datetime) -> None:
        """Send what the strategy asked, run by run, in order. The answers to fills this causes (an
        order filling at once) wait in the queue until the run that sent it is done, as they would
        reach a live bot after its run."""
        self._queue.extend(outputs)
        if self._draining:
            return
        self._draining = True
        try:
            while self._queue:
                out = self._queue.popleft()
                if out.trigger.startswith("timer:") and out.intents:
                    self._rebalances += 1
                for action in out.actions:
                    if isinstance(action, Cancel):
                        self._cancel(action, max(out.at, now))
                    else:
                        self._submit(action, max(out.at, now))
        finally:
            self._draining = False

    def _cancel(self, cancel: Cancel, now: datetime) -> None:
        self._flush()
        order_id = str(cancel.intent_id)
        intent = self._intents.pop(order_id, None)
        if intent is not None:
            self._bands.pop(intent.symbol, None)
            self.engine.cancel(order_id)
        # Cancelled, or already closed (filled, rejected): either way the strategy's order is done.
        self.driver.order_closed(cancel.intent_id)

    def _submit(self, intent: Intent, now: datetime) -> None:
        self._flush()
        rejected = self._check(intent, now)
        if rejected is not None:
            self._reject(intent, now, rejected.code.value, rejected.message, "risk")
            return
        order_id = str(intent.intent_id)
        self._intents[order_id] = intent
        order = PaperOrder(order_id, intent.symbol, intent.side, intent.type, intent.quantity, intent.price)
        self._bands.pop(intent.symbol, None)
        self._apply([self.engine.submit(order, now)], now)

    def _check(self, intent: Intent, now: datetime) -> Rejected | None:
        price = self._prices.get(intent.symbol)
        if price is None:
            return Rejected(RejectCode.INVALID_ORDER, f"no market price known for {intent.symbol} yet")
        equity = self._equity()
        state, _ = roll_day(self.risk, now, UTC)
        state, _ = on_pnl(state, self.limits, now=now, tz=UTC, equity=equity)
        proposed = ProposedOrder(
            USER_ID, ACCOUNT_ID, intent.symbol, intent.side, intent.quantity, intent.price
        )
        decision = check_order(
            proposed,
            self.limits,
            state,
            halted_global=False,
            halted_user=False,
            price=price,
            equity=equity,
            now=now,
            tz=UTC,
        )
        if isinstance(decision, Rejected):
            self.risk = state
            return decision
        self.risk = record_order(state, now)
        return None

    def _reject(self, intent: Intent, at: datetime, code: str, message: str, source: str) -> None:
        self.rejection_counts[code] += 1
        if len(self.rejections) < REJECTIONS_LISTED:
            self.rejections.append(Rejection(at, intent, code, message, source))
        self.driver.order_closed(intent.intent_id)

    def _apply(self, updates: list[PaperUpdate], at: datetime) -> None:
        """Book what the matching reported; the strategy's answers queue up for `_process`."""
        for update in updates:
            intent = self._intents.get(update.order_id)
            if intent is None:
                continue
            self._bands.pop(intent.symbol, None)
            for fill in update.fills:
                self._on_fill(intent, fill)
            if update.status is OrderStatus.REJECTED:
                code = update.reject_code.value if update.reject_code else RejectCode.VENUE_ERROR.value
                self._reject(intent, at, code, update.reason, "venue")
            elif update.status.is_terminal:
                self.driver.order_closed(intent.intent_id)
            if update.status.is_terminal:
                del self._intents[update.order_id]
        if updates and self._queue:
            self._process([], at)

    def _on_fill(self, intent: Intent, fill: PaperFill) -> None:
        self.fills.append(fill)
        self.fees += fill.fee
        self.turnover += fill.quantity * fill.price
        trade = self.ledger.fill(fill.symbol, fill.side, fill.quantity, fill.price, fill.fee, fill.at)
        # A buy's fee is part of the cost its sell realizes (net of both fees).
        realized = trade.pnl if trade is not None else None
        risk_fill = RiskFill(
            ACCOUNT_ID,
            fill.symbol,
            fill.side,
            fill.quantity,
            order_filled_quantity=fill.filled_quantity,
            realized_pnl=realized,
        )
        self.risk, _ = on_fill(self.risk, self.limits, risk_fill, now=fill.at, tz=UTC)
        answer = self.driver.fill(
            Fill(
                intent_id=intent.intent_id,
                quantity=fill.quantity,
                price=fill.price,
                fee=fill.fee,
                fee_currency=fill.fee_currency,
                at=fill.at,
            )
        )
        if answer is not None:
            self._queue.append(answer)

    # --- valuation -------------------------------------------------------------------------

    def _equity(self) -> Decimal:
        return self._valuation()[0]

    def _valuation(self) -> tuple[Decimal, bool]:
        """The account marked at the last prices, and whether it holds anything but the quote."""
        balances = self.engine.account.balances
        total = balances.get(self.quote, _ZERO)
        exposed = False
        prices = self._prices
        for asset, symbol in self._base_symbol.items():
            amount = balances.get(asset)
            if amount:
                total += amount * prices.get(symbol, _ZERO)
                exposed = exposed or amount > 0
        return total, exposed

    def _equity_curve(self) -> EquityCurve:
        """The curve, started on first use: the starting balances at each symbol's first open."""
        if self._curve is None:
            request = self.request
            initial = Decimal(request.initial_balances.get(self.quote, _ZERO))
            for asset, amount in request.initial_balances.items():
                symbol = self._base_symbol.get(asset)
                if symbol is not None:
                    initial += Decimal(amount) * self._first_open.get(symbol, _ZERO)
            self._curve = EquityCurve(start=request.start, initial=initial, steps=request.period.count)
            self._next_risk_mark = request.start + _HOUR
        return self._curve

    def _mark(self, at: datetime) -> None:
        """The end of one step (every symbol's candle of one open time): record the equity."""
        total, exposed = self._valuation()
        curve = self._equity_curve()
        assert self._next_risk_mark is not None
        curve.add(at, total, exposed)
        if at >= self._next_risk_mark:
            self.risk, _ = on_pnl(self.risk, self.limits, now=at, tz=UTC, equity=total)
            self._next_risk_mark = at + _HOUR
            if self._targets is not None and total > 0:
                self._track(total)

    def _track(self, total: Decimal) -> None:
        """Add one (hourly) sample of how far the weights are from a rebalancer's targets."""
        assert self._targets is not None
        balances = self.engine.account.balances
        squares = _ZERO
        for asset, target in self._targets.items():
            price = (
                Decimal(1)
                if asset == self.quote
                else self._prices.get(self._base_symbol.get(asset, ""), _ZERO)
            )
            squares += (balances.get(asset, _ZERO) * price / total - target) ** 2
        self._tracking_sum += squares
        self._tracking_samples += 1

    # --- the result ------------------------------------------------------------------------

    def _buy_and_hold(self) -> Decimal:
        """The return of the starting equity split evenly over the symbols at their first open, held."""
        moves = [self._prices[s] / first for s, first in self._first_open.items()]
        return sum(moves, _ZERO) / len(moves) - 1 if moves else _ZERO

    def _result(self, curve: EquityCurve, dataset_hash: str, candles: int) -> BacktestResult:
        request = self.request
        figures = metrics(
            curve,
            self.ledger.trades,
            fees=self.fees,
            turnover=self.turnover,
            fills=len(self.fills),
            buy_and_hold=self._buy_and_hold(),
            span=request.end - request.start,
        )
        if self._targets is not None:
            figures["rebalances"] = self._rebalances
            figures["trackingErrorPct"] = (
                pct((self._tracking_sum / self._tracking_samples).sqrt() * 100)
                if self._tracking_samples
                else None
            )
        body: dict[str, Any] = {
            "request": request.canonical(),
            "strategyVersion": spec(request.strategy).version,
            "engine": {
                "version": ENGINE_VERSION,
                "intrabar": request.intrabar.value,
                "intrabarOrder": _INTRABAR_TEXT[request.intrabar],
                "spread": "0",
                "matching": "tradeplane.paper.engine.PaperEngine",
            },
            "dataset": {"spec": self.dataset.spec, "candles": candles, "symbols": list(self.dataset.symbols)},
            "datasetHash": dataset_hash,
            "metrics": {k: _json_value(v) for k, v in figures.items()},
            "equity": [{"t": at.isoformat(), "value": decimal_text(money(v))} for at, v, _ in curve.samples],
            "drawdown": [
                {"t": at.isoformat(), "value": decimal_text((d * 100).quantize(Decimal("0.0001")))}
                for at, _, d in curve.samples
            ],
            "monthlyReturns": monthly_returns(curve.days),
            "trades": [_trade_json(t) for t in self.ledger.trades],
            "fills": [_fill_json(f) for f in self.fills],
            "rejections": [r.to_json() for r in self.rejections],
            "rejectionCounts": dict(sorted(self.rejection_counts.items())),
            "finalBalances": {a: decimal_text(v) for a, v in sorted(self.engine.account.balances.items())},
            "openOrders": len(self.engine.open_orders()),
        }
        return BacktestResult.seal(body)


def _targets(request: BacktestRequest) -> dict[str, Decimal] | None:
    """A rebalancer's target weights (its report adds rebalances and tracking error); else None."""
    if spec(request.strategy).type is not StrategyType.REBALANCING:
        return None
    return {asset: Decimal(weight) for asset, weight in request.config["targets"].items()}


def _reaches(band: tuple[Decimal | None, Decimal | None], low: Decimal, high: Decimal) -> bool:
    """Whether prices from `low` to `high` (no spread) reach the highest buy or the lowest sell."""
    buy, sell = band
    return (buy is not None and low <= buy) or (sell is not None and high >= sell)


_INTRABAR_TEXT = {
    Intrabar.OHLC: "open→high→low→close",
    Intrabar.ADAPTIVE: "open→low→high→close when the open is nearer the low, else open→high→low→close",
}


def _strategy_market(m: MarketSpec) -> Market:
    return Market(
        symbol=m.symbol,
        min_quantity=m.min_amount,
        min_notional=m.min_notional,
        quantity_step=m.amount_precision,
        price_step=m.price_precision,
    )


def _json_value(value: Decimal | int | None) -> str | int | None:
    return decimal_text(value) if isinstance(value, Decimal) else value


def _trade_json(trade: ClosedTrade) -> dict[str, Any]:
    return {
        "symbol": trade.symbol,
        "quantity": decimal_text(trade.quantity),
        "entryPrice": decimal_text(money(trade.entry_price)),
        "exitPrice": decimal_text(trade.exit_price),
        "entryAt": trade.entry_at.isoformat(),
        "exitAt": trade.exit_at.isoformat(),
        "pnl": decimal_text(money(trade.pnl)),
        "returnPct": decimal_text(trade.return_pct),
        "fees": decimal_text(money(trade.fees)),
    }


def _fill_json(fill: PaperFill) -> dict[str, Any]:
    return {
        "t": fill.at.isoformat(),
        "orderId": fill.order_id,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "quantity": decimal_text(fill.quantity),
        "price": decimal_text(fill.price),
        "fee": decimal_text(fill.fee),
        "liquidity": fill.liquidity.value,
    }


def run_backtest(
    request: BacktestRequest,
    progress: Progress | None = None,
    recorded: Mapping[str, Sequence[Candle]] | None = None,
) -> BacktestResult:
    """Run `request` on its dataset and return the sealed result; `recorded` holds the stored candles
    per symbol for the `recorded` dataset."""
    dataset = open_dataset(request.dataset, request.markets, request.period, recorded=recorded)
    return Backtest(request, dataset, progress=progress).run()
