"""Static Kraken spot reference data (assets and asset pairs) as the real /0/public endpoints describe
them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TAKER_FEE = Decimal("0.0026")
MAKER_FEE = Decimal("0.0016")

# Kraken sends its fee schedule as JSON numbers in percent; only the first tier is ever charged here.
_TAKER_TIERS = [[0, 0.26], [50000, 0.24], [100000, 0.22], [250000, 0.2], [500000, 0.18]]
_MAKER_TIERS = [[0, 0.16], [50000, 0.14], [100000, 0.12], [250000, 0.1], [500000, 0.08]]

# Kraken asset id -> (altname, decimals, display_decimals); ccxt maps X/Z-prefixed ids to the altname.
ASSETS: dict[str, tuple[str, int, int]] = {
    "XXBT": ("XBT", 10, 5),
    "XETH": ("ETH", 10, 5),
    "SOL": ("SOL", 10, 5),
    "USDT": ("USDT", 8, 4),
    "ZUSD": ("USD", 4, 2),
}

_CODE_TO_ASSET = {"BTC": "XXBT", "XBT": "XXBT", "ETH": "XETH", "USD": "ZUSD", "SOL": "SOL", "USDT": "USDT"}


def asset_id(code: str) -> str:
    """The Kraken asset id for a unified code ("BTC") or an asset id ("XXBT")."""
    if code in ASSETS:
        return code
    try:
        return _CODE_TO_ASSET[code]
    except KeyError:
        raise ValueError(f"unknown asset {code!r}") from None


def assets_document() -> dict[str, Any]:
    """The `result` of /0/public/Assets."""
    return {
        aid: {
            "aclass": "currency",
            "altname": alt,
            "decimals": decimals,
            "display_decimals": display,
            "status": "enabled",
        }
        for aid, (alt, decimals, display) in ASSETS.items()
    }


@dataclass(frozen=True)
class Pair:
    """One tradable asset pair with Kraken's precision and minimums."""

    id: str
    altname: str
    symbol: str
    base: str
    quote: str
    pair_decimals: int
    lot_decimals: int
    ordermin: Decimal
    costmin: Decimal

    @property
    def tick_size(self) -> Decimal:
        return Decimal(1).scaleb(-self.pair_decimals)

    @property
    def lot_size(self) -> Decimal:
        return Decimal(1).scaleb(-self.lot_decimals)

    def fmt_price(self, value: Decimal) -> str:
        return f"{value.quantize(self.tick_size):f}"

    def fmt_volume(self, value: Decimal) -> str:
        return f"{value.quantize(self.lot_size):f}"

    def document(self) -> dict[str, Any]:
        """This pair's entry in /0/public/AssetPairs."""
        base_alt, quote_alt = ASSETS[self.base][0], ASSETS[self.quote][0]
        return {
            "altname": self.altname,
            "wsname": f"{base_alt}/{quote_alt}",
            "aclass_base": "currency",
            "base": self.base,
            "aclass_quote": "currency",
            "quote": self.quote,
            "lot": "unit",
            "cost_decimals": 5,
            "pair_decimals": self.pair_decimals,
            "lot_decimals": self.lot_decimals,
            "lot_multiplier": 1,
            "leverage_buy": [],
            "leverage_sell": [],
            "fees": _TAKER_TIERS,
            "fees_maker": _MAKER_TIERS,
            "fee_volume_currency": "ZUSD",
            "margin_call": 80,
            "margin_stop": 40,
            "ordermin": str(self.ordermin),
            "costmin": str(self.costmin),
            "tick_size": str(self.tick_size),
            "status": "online",
        }


PAIRS: tuple[Pair, ...] = (
    Pair("XXBTZUSD", "XBTUSD", "BTC/USD", "XXBT", "ZUSD", 1, 8, Decimal("0.00005"), Decimal("0.5")),
    Pair("XBTUSDT", "XBTUSDT", "BTC/USDT", "XXBT", "USDT", 1, 8, Decimal("0.00005"), Decimal("0.5")),
    Pair("ETHUSDT", "ETHUSDT", "ETH/USDT", "XETH", "USDT", 2, 8, Decimal("0.002"), Decimal("0.5")),
    Pair("SOLUSDT", "SOLUSDT", "SOL/USDT", "SOL", "USDT", 2, 8, Decimal("0.02"), Decimal("0.5")),
)

DEFAULT_PRICES: dict[str, Decimal] = {
    "BTC/USD": Decimal("60000.0"),
    "BTC/USDT": Decimal("60000.0"),
    "ETH/USDT": Decimal("3000.00"),
    "SOL/USDT": Decimal("150.00"),
}


def find_pair(name: str) -> Pair | None:
    """A pair by Kraken id, altname or unified symbol, case-insensitively as Kraken accepts ids."""
    wanted = name.upper()
    for pair in PAIRS:
        if wanted in (pair.id, pair.altname, pair.symbol):
            return pair
    return None
