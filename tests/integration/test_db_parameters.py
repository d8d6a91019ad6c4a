"""Database errors never carry bound values (a password hash, a sealed secret) into logs."""

from __future__ import annotations

import traceback

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tradeplane.runtime import ServiceSettings, make_engine

SECRET = "argon2id$v=19$m=65536$not-to-be-logged"


async def test_a_failing_statement_does_not_show_its_bound_values(database_url: str) -> None:
    engine = make_engine(ServiceSettings(database_url=database_url, env="test"))
    try:
        with pytest.raises(DBAPIError) as failure:
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE no_such_table SET password_hash = :hash"), {"hash": SECRET})
    finally:
        await engine.dispose()

    shown = "".join(traceback.format_exception(failure.value))
    assert "no_such_table" in shown
    assert SECRET not in shown
