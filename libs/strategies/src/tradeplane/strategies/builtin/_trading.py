"""Order helpers the single-symbol built-ins share: spend a share of the free quote, sell all free base."""

from __future__ import annotations

from decimal import Decimal

from ..context import StrategyContext
from ..intents import Intent, LogLevel, split_symbol


def buy_with_quote(ctx: StrategyContext, symbol: str, quote_amount: Decimal, reason: str) -> Intent | None:
    """A market buy spending about `quote_amount` (at most the free quote), if it meets the minimums."""
    price = ctx.price(symbol)
    if price is None:
        return None
    _, quote = split_symbol(symbol)
    budget = min(quote_amount, ctx.free(quote))
    quantity = ctx.round_quantity(symbol, budget / (price * (1 + ctx.market_buy_buffer)))
    if not ctx.meets_minimums(symbol, quantity, price):
        ctx.log(LogLevel.INFO, f"{reason}: buy too small, skipped", {"symbol": symbol, "budget": str(budget)})
        return None
    ctx.log(LogLevel.INFO, reason, {"symbol": symbol, "price": str(price), "quantity": str(quantity)})
    return ctx.buy(symbol, quantity)


def sell_all(ctx: StrategyContext, symbol: str, reason: str) -> Intent | None:
    """A market sell of the bot's whole free base, if it meets the minimums."""
    price = ctx.price(symbol)
    base, _ = split_symbol(symbol)
    quantity = ctx.round_quantity(symbol, ctx.free(base))
    if price is None or not ctx.meets_minimums(symbol, quantity, price):
        return None
    ctx.log(LogLevel.INFO, reason, {"symbol": symbol, "price": str(price), "quantity": str(quantity)})
    return ctx.sell(symbol, quantity)


def holds(ctx: StrategyContext, symbol: str) -> bool:
    """Whether the bot holds a sellable amount of the base."""
    price = ctx.price(symbol)
    base, _ = split_symbol(symbol)
    quantity = ctx.round_quantity(symbol, ctx.free(base))
    return price is not None and ctx.meets_minimums(symbol, quantity, price)
