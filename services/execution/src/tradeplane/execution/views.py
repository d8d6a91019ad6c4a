"""Execution's answers as JSON objects (docs/api.md shapes): venue accounts and market specs."""

from __future__ import annotations

from typing import Any

from tradeplane.paper.markets import MarketSpec

from .adapters.accounts import Account


def account(a: Account) -> dict[str, Any]:
    """The API's account object: never the credentials."""
    return {
        "id": str(a.id),
        "venue": a.venue,
        "label": a.label,
        "status": a.status,
        "environment": a.environment,
        "keyHint": a.key_hint,
        "sandbox": a.sandbox,
        "createdAt": a.created_at.isoformat(),
    }


def market_spec(spec: MarketSpec) -> dict[str, Any]:
    return {
        "symbol": spec.symbol,
        "base": spec.base,
        "quote": spec.quote,
        "tickSize": format(spec.price_precision, "f"),
        "stepSize": format(spec.amount_precision, "f"),
        "minAmount": format(spec.min_amount, "f"),
        "minNotional": format(spec.min_notional, "f"),
        "makerFee": format(spec.maker_fee, "f"),
        "takerFee": format(spec.taker_fee, "f"),
    }
