"""Rows to dataclasses and back, for stores whose columns are named like the fields they hold."""

from __future__ import annotations

from dataclasses import fields
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def from_row(cls: type[T], row: Any, **columns: str) -> T:
    """A `cls` with every field read from the row's column of the same name (`field="column"` where a
    column is named otherwise). A SQLAlchemy row is read by its mapping: some column names (`t`,
    `count`, `index`) are the row's own tuple attributes."""
    mapping = getattr(row, "_mapping", None)
    read = mapping.__getitem__ if mapping is not None else partial(getattr, row)
    return cls(**{f.name: read(columns.get(f.name, f.name)) for f in fields(cls)})


def to_columns(item: DataclassInstance, **columns: str) -> dict[str, Any]:
    """The column values of `item` (not deep-copied, unlike `dataclasses.asdict`), renamed like
    `from_row`'s; the reverse of `from_row`."""
    return {columns.get(f.name, f.name): getattr(item, f.name) for f in fields(item)}
