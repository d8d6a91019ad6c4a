"""The marketdata service's settings: the paper feed, the candles it builds and the live venues it follows."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, field_validator
from tradeplane.contracts.market import Timeframe
from tradeplane.contracts.orders import SYMBOL_PATTERN
from tradeplane.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    """`TP_FEED_*` (the paper feed, as execution read them before), `TP_MARKETDATA_*` and `TP_CCXT_*`."""

    http_port: int = Field(default=8105, ge=0, le=65535)

    feed_enabled: bool = True
    """Publish the paper venue's synthetic feed (tests that set prices themselves turn it off)."""
    feed_seed: int = 42
    feed_interval_seconds: float = Field(default=1.0, gt=0)
    feed_volatility_bps: Decimal = Field(default=Decimal("5"), ge=0)
    feed_spread_bps: Decimal = Field(default=Decimal("1"), ge=0)

    marketdata_timeframes: list[Timeframe] = Field(default_factory=lambda: list(Timeframe), min_length=1)
    """Candle widths built from ticks, e.g. `TP_MARKETDATA_TIMEFRAMES='["1m","1h"]'`."""
    marketdata_close_delay_seconds: float = Field(default=0.5, ge=0)
    """A candle closes this long after its end, so ticks stamped before the end still in flight count."""
    marketdata_flush_seconds: float = Field(default=2.0, gt=0)
    """How often forming candles are stored (a restart resumes them and replays the ticks since)."""
    marketdata_venues: dict[str, list[str]] = Field(default_factory=dict)
    """Live venues to follow through ccxt's public endpoints: `{"kraken": ["BTC/USD"]}`."""
    marketdata_poll_seconds: float = Field(default=2.0, gt=0)
    """How often the followed venues' tickers are fetched and published."""
    marketdata_cache_seconds: float = Field(default=2.0, ge=0)
    """How long a venue's order book, trades, candles and stats fetched for a query are reused."""

    ccxt_api_urls: dict[str, str] = Field(default_factory=dict)
    """`{exchange id: base URL}` replacing every `urls.api` entry (tests: a local emulator); the same
    variable, TP_CCXT_API_URLS, that execution reads."""
    ccxt_rate_limit: bool = True
    """ccxt's own pacing of calls to one exchange (off only against a local emulator)."""
    ccxt_timeout_ms: int = Field(default=3_000, gt=0)
    """Below the gateway's query timeout, so a slow exchange answers VENUE_UNAVAILABLE, not silence."""

    @field_validator("marketdata_venues")
    @classmethod
    def _known_shape(cls, venues: dict[str, list[str]]) -> dict[str, list[str]]:
        import re

        for venue, symbols in venues.items():
            if venue == "paper" or not re.fullmatch(r"[a-z0-9_]{1,32}", venue):
                raise ValueError(f"TP_MARKETDATA_VENUES: {venue!r} is not a ccxt exchange id")
            bad = [s for s in symbols if not re.fullmatch(SYMBOL_PATTERN, s)]
            if bad:
                raise ValueError(f"TP_MARKETDATA_VENUES: symbols must look like BTC/USDT, not {bad}")
        return venues
