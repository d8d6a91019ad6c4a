"""Enumerations shared across services; their values are what the API and the bus carry."""

from enum import StrEnum


class Side(StrEnum):
    BUY = "Buy"
    SELL = "Sell"


class OrderType(StrEnum):
    MARKET = "Market"
    LIMIT = "Limit"
    STOP = "Stop"
    STOP_LIMIT = "StopLimit"


class OrderStatus(StrEnum):
    PENDING = "Pending"
    OPEN = "Open"
    PARTIALLY_FILLED = "PartiallyFilled"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED})


class LiquiditySide(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class RejectCode(StrEnum):
    """Why an order request was refused, by risk or by the venue."""

    KILL_SWITCH = "KILL_SWITCH"
    USER_DISABLED = "USER_DISABLED"
    TRADING_HALTED = "TRADING_HALTED"
    REDUCE_ONLY = "REDUCE_ONLY"
    MAX_POSITION = "MAX_POSITION"
    MAX_ORDER_NOTIONAL = "MAX_ORDER_NOTIONAL"
    DAILY_LOSS = "DAILY_LOSS"
    WEEKLY_LOSS = "WEEKLY_LOSS"
    MAX_DRAWDOWN = "MAX_DRAWDOWN"
    MAX_DAILY_TRADES = "MAX_DAILY_TRADES"
    CIRCUIT_BREAKER = "CIRCUIT_BREAKER"
    RATE_LIMIT = "RATE_LIMIT"
    SYMBOL_NOT_ALLOWED = "SYMBOL_NOT_ALLOWED"
    OUTSIDE_TRADING_HOURS = "OUTSIDE_TRADING_HOURS"
    ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    INVALID_ORDER = "INVALID_ORDER"
    VENUE_ERROR = "VENUE_ERROR"
    EQUITY_UNKNOWN = "EQUITY_UNKNOWN"
    """The account's value is not known yet (its balances could not be read): retry in a few seconds."""


class VenueErrorCategory(StrEnum):
    """ccxt's exception hierarchy folded into what the platform acts on."""

    NONCE = "nonce"
    AUTH = "auth"
    NETWORK = "network"
    RATE_LIMIT = "rate_limit"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    INVALID_ORDER = "invalid_order"
    EXCHANGE = "exchange"

    @property
    def breaks_account(self) -> bool:
        """Errors that, repeated, mean the account is broken and the user should be disabled."""
        return self in (VenueErrorCategory.AUTH, VenueErrorCategory.NONCE, VenueErrorCategory.NETWORK)


class HaltScope(StrEnum):
    GLOBAL = "global"
    USER = "user"


class TradingState(StrEnum):
    ACTIVE = "Active"
    REDUCING = "Reducing"
    HALTED = "Halted"


class Role(StrEnum):
    ADMIN = "admin"
    TRADER = "trader"
    VIEWER = "viewer"
