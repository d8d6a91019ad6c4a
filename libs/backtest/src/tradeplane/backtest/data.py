"""Candle datasets: the seeded synthetic generator, CSV parsing, and the sha256 every dataset has.

A dataset is a spec string: `synthetic:<regime>:<seed>` (regime `uptrend`, `downtrend`, `range` or
`crash`) or `csv:<path>`. Candles stream in time order (symbols interleaved by open time) and are
never all held in memory: a year of 1-minute candles is half a million of them.

The generator works in integers (prices in ticks, moves in parts per billion) and turns them into
Decimal at the end, so the same spec, symbols, timeframe and period give the same candles on every
machine. Candles it yields or a CSV parse checked are built with `trusted_candle`, unvalidated: their
invariants are established here, so pydantic does not validate half a million of them again.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

from tradeplane.paper.markets import PAPER_MARKETS, PAPER_START_PRICES, MarketSpec
from tradeplane.strategies.candles import Candle, Timeframe

PPB = 1_000_000_000
"""Relative moves are integers in parts per billion."""

MAX_CANDLES = 6_000_000
"""The most candles one backtest replays (a year of 1-minute candles is 525,600 per symbol)."""

CSV_COLUMNS = ("t", "open", "high", "low", "close", "volume")


class DatasetError(ValueError):
    """A dataset spec, file or line that cannot be used; the message names the spec or the line."""


class Regime(StrEnum):
    UPTREND = "uptrend"
    DOWNTREND = "downtrend"
    RANGE = "range"
    CRASH = "crash"


@dataclass(frozen=True, slots=True)
class RegimeShape:
    """How a regime moves over the requested period (independent of its length and timeframe).

    The close follows a target path (`move_ppb` over the period, linear; for a crash the fall is
    packed into `crash_window` of the period starting at `crash_at`) times a mean-reverting noise
    factor: each candle the noise keeps `1 - revert` of itself and adds a uniform draw of at most
    `shock_ppb`. Wicks reach up to `wick_ppb` beyond the open and close.
    """

    move_ppb: int
    revert_ppb: int
    shock_ppb: int
    wick_ppb: int
    crash_at_ppb: int = 0
    crash_window_ppb: int = PPB


REGIMES: Mapping[Regime, RegimeShape] = {
    Regime.UPTREND: RegimeShape(
        move_ppb=300_000_000, revert_ppb=20_000_000, shock_ppb=3_000_000, wick_ppb=1_500_000
    ),
    Regime.DOWNTREND: RegimeShape(
        move_ppb=-300_000_000, revert_ppb=20_000_000, shock_ppb=3_000_000, wick_ppb=1_500_000
    ),
    Regime.RANGE: RegimeShape(move_ppb=0, revert_ppb=2_000_000, shock_ppb=2_000_000, wick_ppb=1_000_000),
    Regime.CRASH: RegimeShape(
        move_ppb=-450_000_000,
        revert_ppb=20_000_000,
        shock_ppb=3_000_000,
        wick_ppb=2_000_000,
        crash_at_ppb=400_000_000,
        crash_window_ppb=50_000_000,
    ),
}


@dataclass(frozen=True, slots=True)
class Period:
    """Candles of `timeframe` opening at `start`, `start + timeframe`, ... before `end`."""

    timeframe: Timeframe
    start: datetime
    end: datetime

    @property
    def count(self) -> int:
        return max((self.end - self.start) // self.timeframe.duration, 0)

    def contains(self, t: datetime) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True, slots=True)
class Synthetic:
    regime: Regime
    seed: int

    @property
    def spec(self) -> str:
        return f"synthetic:{self.regime}:{self.seed}"


@dataclass(frozen=True, slots=True)
class CsvFile:
    path: Path

    @property
    def spec(self) -> str:
        return f"csv:{self.path}"


@dataclass(frozen=True, slots=True)
class Recorded:
    """The candles `services/marketdata` stored, handed to `open_dataset` by the host that fetched them."""

    @property
    def spec(self) -> str:
        return "recorded"


DatasetSpec = Synthetic | CsvFile | Recorded


def parse_spec(spec: str) -> DatasetSpec:
    """`synthetic:<regime>:<seed>` or `csv:<path>`; a DatasetError says what is wrong."""
    kind, _, rest = spec.partition(":")
    if kind == "synthetic":
        regime, _, seed = rest.partition(":")
        if regime not in Regime.__members__.values():
            known = ", ".join(Regime)
            raise DatasetError(f"unknown regime {regime!r} in {spec!r}; known: {known}")
        if not seed.isdigit() or len(seed) > 18:
            raise DatasetError(f"the seed in {spec!r} must be a whole number (0 to 18 digits)")
        return Synthetic(Regime(regime), int(seed))
    if kind == "csv" and rest:
        return CsvFile(Path(rest))
    if spec == "recorded":
        return Recorded()
    raise DatasetError(f"dataset {spec!r} is not synthetic:<regime>:<seed>, csv:<path> or recorded")


def market(symbol: str, markets: Mapping[str, MarketSpec] = PAPER_MARKETS) -> MarketSpec:
    try:
        return markets[symbol]
    except KeyError:
        known = ", ".join(sorted(markets))
        raise DatasetError(f"{symbol} is not a paper market; known: {known}") from None


# --- the synthetic generator ------------------------------------------------------------------


def synthetic(
    regime: Regime,
    seed: int,
    symbol: str,
    period: Period,
    *,
    start_price: Decimal | None = None,
    markets: Mapping[str, MarketSpec] = PAPER_MARKETS,
) -> Iterator[Candle]:
    """The candles of `symbol` over `period` in `regime`; the same arguments give the same candles.

    Prices are whole ticks of the paper market (`price_precision`), volumes whole steps; each
    candle opens at the previous close and has low <= open, close <= high, low >= ten ticks.
    """
    spec = market(symbol, markets)
    shape = REGIMES[regime]
    tick = spec.price_precision
    step = spec.amount_precision
    first = start_price if start_price is not None else PAPER_START_PRICES.get(symbol, tick * 100_000)
    base_ticks = int(first / tick)
    floor_ticks = 10
    rng = random.Random(f"tradeplane-synthetic/{regime}/{seed}/{symbol}")
    bits = rng.getrandbits
    shock_span, wick_span = 2 * shape.shock_ppb + 1, shape.wick_ppb + 1
    revert = shape.revert_ppb
    count = period.count
    duration = period.timeframe.duration
    tf = period.timeframe
    noise = 0
    previous = base_ticks
    t = period.start
    for index in range(count):
        # One 128-bit draw per candle, cut into four 32-bit uniforms scaled to their ranges.
        draw = bits(128)
        shock = ((draw & _MASK32) * shock_span >> 32) - shape.shock_ppb
        up = ((draw >> 32) & _MASK32) * wick_span >> 32
        down = ((draw >> 64) & _MASK32) * wick_span >> 32
        volume = 1_000 + ((draw >> 96) * 999_001 >> 32)
        target = base_ticks * (PPB + _progress(shape, index + 1, count)) // PPB
        noise += shock - noise * revert // PPB
        close = max(target * (PPB + noise) // PPB, floor_ticks)
        high = max(previous, close)
        low = min(previous, close)
        high += high * up // PPB
        low = max(low - low * down // PPB, floor_ticks)
        yield trusted_candle(
            symbol, tf, t, previous * tick, high * tick, low * tick, close * tick, volume * step
        )
        previous = close
        t += duration


_MASK32 = (1 << 32) - 1
_CANDLE_FIELDS = frozenset(Candle.model_fields)
_new_candle = Candle.__new__
_set = object.__setattr__


def trusted_candle(
    symbol: str,
    timeframe: Timeframe,
    t: datetime,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    volume: Decimal,
) -> Candle:
    """A Candle built without validation, for values this module checked (or generated) itself.

    What `Candle.model_construct` does, minus its per-field bookkeeping: about a microsecond instead of
    three, which counts over half a million candles. `test_data.py` checks it equals a validated one.
    """
    candle = _new_candle(Candle)
    _set(
        candle,
        "__dict__",
        {
            "symbol": symbol,
            "timeframe": timeframe,
            "t": t,
            "open": open,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
        },
    )
    _set(candle, "__pydantic_fields_set__", _CANDLE_FIELDS)
    _set(candle, "__pydantic_extra__", None)
    _set(candle, "__pydantic_private__", None)
    return candle


def _progress(shape: RegimeShape, done: int, count: int) -> int:
    """The target's move after `done` of `count` candles, in ppb of the start price."""
    if shape.crash_window_ppb == PPB:
        return shape.move_ppb * done // count
    fraction = done * PPB // count
    into = fraction - shape.crash_at_ppb
    if into <= 0:
        return 0
    if into >= shape.crash_window_ppb:
        return shape.move_ppb
    return shape.move_ppb * into // shape.crash_window_ppb


# --- CSV -----------------------------------------------------------------------------------


def parse_csv(
    text: str | Iterable[str],
    symbol: str,
    timeframe: Timeframe,
    *,
    markets: Mapping[str, MarketSpec] = PAPER_MARKETS,
) -> list[Candle]:
    """Candles from CSV with the header `t,open,high,low,close,volume`.

    `t` is the candle's open time: ISO 8601 with a timezone (or `Z`), or Unix seconds or
    milliseconds. Prices must be whole ticks of the market, times strictly increasing and aligned to
    the timeframe, low <= open, close <= high. Every problem raises a DatasetError naming its line.
    """
    spec = market(symbol, markets)
    lines = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != CSV_COLUMNS:
        raise DatasetError(f"line 1: the header must be {','.join(CSV_COLUMNS)}, got {header}")
    candles: list[Candle] = []
    previous: datetime | None = None
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        candle = _csv_candle(row, line, symbol, timeframe, spec)
        if previous is not None and candle.t <= previous:
            raise DatasetError(f"line {line}: t {candle.t.isoformat()} is not after the line before")
        previous = candle.t
        candles.append(candle)
    if not candles:
        raise DatasetError("the CSV holds no candles")
    return candles


def read_csv(path: Path, symbol: str, timeframe: Timeframe) -> list[Candle]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return parse_csv(handle, symbol, timeframe)
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not UTF-8 text: {exc}") from exc


def _csv_candle(row: Sequence[str], line: int, symbol: str, timeframe: Timeframe, spec: MarketSpec) -> Candle:
    if len(row) != len(CSV_COLUMNS):
        raise DatasetError(f"line {line}: expected {len(CSV_COLUMNS)} columns, got {len(row)}")
    t = _csv_time(row[0].strip(), line)
    if (t - _EPOCH) % timeframe.duration:
        raise DatasetError(f"line {line}: t {t.isoformat()} is not aligned to the {timeframe} timeframe")
    o, h, lo, c = (
        _csv_price(name, cell, line, spec) for name, cell in zip(CSV_COLUMNS[1:5], row[1:5], strict=True)
    )
    volume = _csv_decimal("volume", row[5], line)
    if volume < 0:
        raise DatasetError(f"line {line}: volume {row[5].strip()} is negative")
    if lo > min(o, c) or h < max(o, c) or lo > h:
        raise DatasetError(f"line {line}: needs low <= open, close <= high (got {o}, {h}, {lo}, {c})")
    return trusted_candle(symbol, timeframe, t, o, h, lo, c, _canonical(volume))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _csv_time(cell: str, line: int) -> datetime:
    if cell.isdigit():
        seconds = int(cell)
        if seconds > 100_000_000_000:
            seconds //= 1000
        return _EPOCH + timedelta(seconds=seconds)
    try:
        t = datetime.fromisoformat(cell)
    except ValueError:
        raise DatasetError(f"line {line}: t {cell!r} is not an ISO 8601 time or Unix seconds") from None
    if t.tzinfo is None:
        raise DatasetError(f"line {line}: t {cell!r} needs a timezone (e.g. Z or +00:00)")
    return t.astimezone(UTC)


def _csv_decimal(name: str, cell: str, line: int) -> Decimal:
    try:
        value = Decimal(cell.strip())
    except InvalidOperation:
        raise DatasetError(f"line {line}: {name} {cell.strip()!r} is not a number") from None
    if not value.is_finite():
        raise DatasetError(f"line {line}: {name} {cell.strip()!r} is not a finite number")
    return value


def _csv_price(name: str, cell: str, line: int, spec: MarketSpec) -> Decimal:
    value = _csv_decimal(name, cell, line)
    if value <= 0:
        raise DatasetError(f"line {line}: {name} {cell.strip()} must be positive")
    if value % spec.price_precision:
        raise DatasetError(
            f"line {line}: {name} {cell.strip()} is not a whole tick "
            f"({spec.price_precision}) of {spec.symbol}"
        )
    return value.quantize(spec.price_precision)


def _canonical(value: Decimal) -> Decimal:
    """One spelling per number (`1.50` → `1.5`, `1E+2` → `100`), so equal data hashes equally."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal  # type: ignore[operator]


# --- merging and hashing ------------------------------------------------------------------


def merged(streams: Iterable[Iterable[Candle]]) -> Iterator[Candle]:
    """Candles of several symbols in one stream ordered by open time, then symbol."""
    return heapq.merge(*streams, key=lambda c: (c.t, c.symbol))


def canonical_line(candle: Candle) -> str:
    """The candle as the dataset hash reads it: symbol, timeframe, Unix seconds, O, H, L, C, volume."""
    d = candle.__dict__
    key = (d["symbol"], d["timeframe"])
    prefix = _PREFIXES.get(key)
    if prefix is None:
        prefix = _PREFIXES[key] = f"{key[0]},{Timeframe(key[1]).value},"
    # `!s`: str() is the same text as format() for a Decimal, several times faster.
    return (
        f"{prefix}{int(d['t'].timestamp())},{d['open']!s},{d['high']!s},{d['low']!s},"
        f"{d['close']!s},{d['volume']!s}\n"
    )


_PREFIXES: dict[tuple[str, Timeframe], str] = {}


class Hasher:
    """sha256 of the canonical lines of the candles passed through `add` (in order)."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._lines: list[str] = []
        self._append = self._lines.append

    def add(self, candle: Candle) -> None:
        self._append(canonical_line(candle))
        if len(self._lines) >= 4096:
            self._flush()

    def hexdigest(self) -> str:
        self._flush()
        return self._sha.hexdigest()

    def _flush(self) -> None:
        if self._lines:
            self._sha.update("".join(self._lines).encode())
            self._lines.clear()


def dataset_hash(candles: Iterable[Candle]) -> str:
    hasher = Hasher()
    for candle in candles:
        hasher.add(candle)
    return hasher.hexdigest()


@dataclass(frozen=True, slots=True)
class Dataset:
    """A replayable candle source: `candles()` streams the same candles each time it is called."""

    spec: str
    symbols: tuple[str, ...]
    period: Period
    candles: Callable[[], Iterator[Candle]]

    def sha256(self) -> str:
        return dataset_hash(self.candles())


def open_dataset(
    spec: str,
    symbols: Sequence[str],
    period: Period,
    *,
    markets: Mapping[str, MarketSpec] = PAPER_MARKETS,
    recorded: Mapping[str, Sequence[Candle]] | None = None,
) -> Dataset:
    """The dataset `spec` names, for `symbols` over `period` (a CSV holds one symbol). `recorded` holds
    the stored candles of each symbol for the `recorded` dataset (from the marketdata service)."""
    if not symbols:
        raise DatasetError("a backtest needs at least one symbol")
    for symbol in symbols:
        market(symbol, markets)
    if period.count * len(symbols) > MAX_CANDLES:
        raise DatasetError(
            f"{period.count * len(symbols):,} candles ({len(symbols)} symbols x {period.count:,}) "
            f"exceed the limit of {MAX_CANDLES:,}; shorten the period or use a longer timeframe"
        )
    parsed = parse_spec(spec)
    ordered = tuple(sorted(set(symbols)))
    if isinstance(parsed, Synthetic):

        def generate() -> Iterator[Candle]:
            streams = [synthetic(parsed.regime, parsed.seed, s, period, markets=markets) for s in ordered]
            return iter(streams[0]) if len(streams) == 1 else merged(streams)

        return Dataset(parsed.spec, ordered, period, generate)
    if isinstance(parsed, Recorded):
        return _recorded(ordered, period, recorded)
    if len(ordered) != 1:
        raise DatasetError("a CSV dataset holds one symbol; pass exactly one")
    rows = [c for c in read_csv(parsed.path, ordered[0], period.timeframe) if period.contains(c.t)]
    if not rows:
        raise DatasetError(f"{parsed.path} has no candle between {period.start} and {period.end}")
    return Dataset(parsed.spec, ordered, period, lambda: iter(rows))


def _recorded(
    symbols: tuple[str, ...], period: Period, recorded: Mapping[str, Sequence[Candle]] | None
) -> Dataset:
    if recorded is None:
        raise DatasetError("recorded candles need the marketdata service; offline, use synthetic or csv")
    per_symbol = []
    for symbol in symbols:
        rows = sorted(
            (c for c in recorded.get(symbol, ()) if period.contains(c.t) and c.timeframe is period.timeframe),
            key=lambda c: c.t,
        )
        if not rows:
            raise DatasetError(
                f"no recorded {period.timeframe} candle of {symbol} between {period.start.isoformat()} "
                f"and {period.end.isoformat()}"
            )
        per_symbol.append(rows)

    def replay() -> Iterator[Candle]:
        return iter(per_symbol[0]) if len(per_symbol) == 1 else merged(per_symbol)

    return Dataset("recorded", symbols, period, replay)
