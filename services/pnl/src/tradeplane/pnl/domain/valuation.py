"""What a user's accounts are worth: baseline cash plus PnL, positions marked to market, in USD.

An account's equity is `baseline + realized - fees + unrealized`, where the baseline is what its
balances were worth when the service first saw the account. Amounts in a quote currency other than
USD (or a USD stablecoin) are converted at the latest mark of that currency, or taken at par when
no mark is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID

from tradeplane.contracts.base import decimal_or_none

from .breakdown import Period, period_start
from .lots import Position
from .marks import Marks

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
TOTAL = UUID(int=0)
"""The scope id of a user's all-accounts figures (next to each account's own id)."""


@dataclass(frozen=True, slots=True)
class Holding:
    """A stored position and the venue whose marks value it."""

    venue: str
    position: Position
    opened_at: datetime | None = None
    """When the current round trip opened (None when flat or unknown)."""

    @property
    def quote(self) -> str:
        return self.position.symbol.partition("/")[2]


@dataclass(frozen=True, slots=True)
class Valued:
    """One open position at its mark (the average entry when no mark is known), in quote currency."""

    holding: Holding
    mark: Decimal
    unrealized: Decimal
    value: Decimal
    """Signed: a short is worth a negative amount."""

    @property
    def unrealized_pct(self) -> Decimal:
        cost = self.holding.position.cost
        return self.unrealized / cost * _HUNDRED if cost else _ZERO


@dataclass(frozen=True, slots=True)
class Figures:
    """One account's (or, with `scope` TOTAL, all of a user's) running numbers in USD."""

    scope: UUID
    baseline: Decimal
    realized: Decimal
    fees: Decimal
    unrealized: Decimal
    positions_value: Decimal

    @property
    def equity(self) -> Decimal:
        return self.baseline + self.realized - self.fees + self.unrealized

    @property
    def cash(self) -> Decimal:
        return self.equity - self.positions_value

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            TOTAL,
            self.baseline + other.baseline,
            self.realized + other.realized,
            self.fees + other.fees,
            self.unrealized + other.unrealized,
            self.positions_value + other.positions_value,
        )


@dataclass(frozen=True, slots=True)
class UserFigures:
    accounts: dict[UUID, Figures]
    total: Figures
    unvalued: frozenset[UUID] = frozenset()
    """Accounts whose balances are not known yet: their baseline counts as 0 in the figures."""

    @property
    def equity(self) -> Decimal | None:
        """The total equity; None while an account's balances are unknown (never a made-up figure)."""
        return None if self.unvalued else self.total.equity


def value(holding: Holding, marks: Marks) -> Valued:
    position = holding.position
    mark = marks.price(position.symbol, holding.venue) or position.average_entry
    return Valued(holding, mark, position.unrealized(mark), position.quantity * mark)


def user_figures(
    baselines: Mapping[UUID, Decimal | None], holdings: Iterable[Holding], marks: Marks
) -> UserFigures:
    """Figures per account (every account in `baselines` or holding a position) and their total.

    A baseline of None (balances not read yet) counts as 0, and the account is listed as unvalued.
    """
    sums: dict[UUID, list[Decimal]] = {
        account: [b or _ZERO, _ZERO, _ZERO, _ZERO, _ZERO] for account, b in baselines.items()
    }
    for holding in holdings:
        position = holding.position
        rate = marks.usd(holding.quote) or _ONE
        row = sums.setdefault(position.account_id, [_ZERO] * 5)
        row[1] += position.realized_pnl * rate
        row[2] += position.fees * rate
        if position.quantity:
            valued = value(holding, marks)
            row[3] += valued.unrealized * rate
            row[4] += valued.value * rate
    accounts = {account: Figures(account, *row) for account, row in sums.items()}
    total = sum(accounts.values(), Figures(TOTAL, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO))
    unvalued = frozenset(account for account, b in baselines.items() if b is None)
    return UserFigures(accounts, total, unvalued)


def value_balances(balances: Mapping[str, Any], marks: Marks) -> tuple[Decimal, list[str]]:
    """USD value of `{currency: {free, used, total}}`, and the currencies with no mark (counted as 0)."""
    worth = _ZERO
    unpriced = []
    for currency, amounts in balances.items():
        total = _amount(amounts.get("total") if isinstance(amounts, Mapping) else amounts)
        if not total:
            continue
        rate = marks.usd(currency.upper())
        if rate is None:
            unpriced.append(currency)
        else:
            worth += total * rate
    return worth, unpriced


def local_start(now: datetime, period: Period, tz: tzinfo) -> datetime:
    """When the current day, week (from Monday) or month began in `tz`, as an aware instant."""
    day: date = period_start(now.astimezone(tz).date(), period)
    return datetime.combine(day, time(0), tzinfo=tz)


def _amount(raw: Any) -> Decimal:
    amount = decimal_or_none(raw)
    return _ZERO if amount is None else amount
