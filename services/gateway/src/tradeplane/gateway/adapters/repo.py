"""SQL for users, sessions, refresh tokens and the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import Role

from .tables import audit_log, invites, recovery_codes, refresh_tokens, sessions, users


async def user_by_id(conn: AsyncConnection, user_id: UUID) -> Row[Any] | None:
    return (await conn.execute(select(users).where(users.c.id == user_id))).first()


async def user_by_email(conn: AsyncConnection, email: str) -> Row[Any] | None:
    return (await conn.execute(select(users).where(users.c.email == email))).first()


async def insert_user(conn: AsyncConnection, **values: Any) -> Row[Any] | None:
    """The new user, or None when the email is taken (checked by the unique index, race-free)."""
    stmt = (
        insert(users)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(index_elements=[users.c.email])
        .returning(*users.c)
    )
    return (await conn.execute(stmt)).first()


async def set_role(conn: AsyncConnection, user_id: UUID, role: Role) -> Row[Any] | None:
    stmt = (
        update(users)
        .where(users.c.id == user_id)
        .values(role=role.value, updated_at=func.now())
        .returning(*users.c)
    )
    return (await conn.execute(stmt)).first()


async def set_password_hash(conn: AsyncConnection, user_id: UUID, password_hash: str) -> None:
    await conn.execute(
        update(users).where(users.c.id == user_id).values(password_hash=password_hash, updated_at=func.now())
    )


async def update_user(conn: AsyncConnection, user_id: UUID, **values: Any) -> Row[Any] | None:
    stmt = (
        update(users).where(users.c.id == user_id).values(**values, updated_at=func.now()).returning(*users.c)
    )
    return (await conn.execute(stmt)).first()


async def touch_login(conn: AsyncConnection, user_id: UUID, at: datetime) -> Row[Any] | None:
    stmt = update(users).where(users.c.id == user_id).values(last_login=at).returning(*users.c)
    return (await conn.execute(stmt)).first()


async def users_page(conn: AsyncConnection, offset: int, limit: int) -> tuple[Sequence[Row[Any]], int]:
    rows = (
        await conn.execute(select(users).order_by(users.c.created_at, users.c.id).offset(offset).limit(limit))
    ).all()
    total = (await conn.execute(select(func.count()).select_from(users))).scalar_one()
    return rows, int(total)


async def users_by_role(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(users.c.role, func.count()).group_by(users.c.role))
    return {role: int(count) for role, count in rows.all()}


async def authenticate(conn: AsyncConnection, user_id: UUID, session_id: UUID) -> Row[Any] | None:
    """The user of a live session with `session_created_at` and `last_seen_at`: None when the session
    was revoked (logout, token reuse, an admin)."""
    stmt = (
        select(
            users,
            sessions.c.created_at.label("session_created_at"),
            sessions.c.last_seen_at.label("last_seen_at"),
        )
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(users.c.id == user_id, sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
    )
    return (await conn.execute(stmt)).first()


async def touch_session(conn: AsyncConnection, session_id: UUID, at: datetime) -> None:
    await conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.last_seen_at < at)
        .values(last_seen_at=at)
    )


async def revoke_user_sessions(conn: AsyncConnection, user_id: UUID, reason: str, at: datetime) -> int:
    result = await conn.execute(
        update(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_reason=reason)
    )
    return int(result.rowcount)


async def accept_totp_step(conn: AsyncConnection, user_id: UUID, step: int) -> bool:
    """Record `step` as the last TOTP step used; False when it (or a later one) was used already."""
    stmt = (
        update(users)
        .where(users.c.id == user_id, or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
        .values(totp_last_step=step)
        .returning(users.c.id)
    )
    return (await conn.execute(stmt)).first() is not None


async def replace_recovery_codes(conn: AsyncConnection, user_id: UUID, digests: Sequence[str]) -> None:
    await conn.execute(recovery_codes.delete().where(recovery_codes.c.user_id == user_id))
    if digests:
        await conn.execute(recovery_codes.insert(), [{"user_id": user_id, "code_hash": d} for d in digests])


async def use_recovery_code(conn: AsyncConnection, user_id: UUID, digest: str, at: datetime) -> bool:
    stmt = (
        update(recovery_codes)
        .where(
            recovery_codes.c.user_id == user_id,
            recovery_codes.c.code_hash == digest,
            recovery_codes.c.used_at.is_(None),
        )
        .values(used_at=at)
        .returning(recovery_codes.c.code_hash)
    )
    return (await conn.execute(stmt)).first() is not None


async def insert_invite(
    conn: AsyncConnection, digest: str, created_by: UUID, expires_at: datetime, email: str | None
) -> None:
    await conn.execute(
        invites.insert().values(code_hash=digest, created_by=created_by, expires_at=expires_at, email=email)
    )


async def use_invite(conn: AsyncConnection, digest: str, email: str, at: datetime) -> bool:
    """Spend an invite (unused, unexpired, and for this email when it names one)."""
    stmt = (
        update(invites)
        .where(
            invites.c.code_hash == digest,
            invites.c.used_at.is_(None),
            invites.c.expires_at > at,
            or_(invites.c.email.is_(None), invites.c.email == email),
        )
        .values(used_at=at)
        .returning(invites.c.code_hash)
    )
    return (await conn.execute(stmt)).first() is not None


async def mark_invite_user(conn: AsyncConnection, digest: str, user_id: UUID) -> None:
    await conn.execute(update(invites).where(invites.c.code_hash == digest).values(used_by=user_id))


async def create_session(conn: AsyncConnection, user_id: UUID) -> UUID:
    session_id = uuid.uuid4()
    await conn.execute(sessions.insert().values(id=session_id, user_id=user_id))
    return session_id


async def store_refresh(
    conn: AsyncConnection, session_id: UUID, token_hash: str, expires_at: datetime
) -> None:
    await conn.execute(
        refresh_tokens.insert().values(token_hash=token_hash, session_id=session_id, expires_at=expires_at)
    )


async def lock_refresh(conn: AsyncConnection, token_hash: str) -> Row[Any] | None:
    """The token with its session's state, locked so that two concurrent uses cannot both rotate it."""
    stmt = (
        select(
            refresh_tokens.c.session_id,
            refresh_tokens.c.expires_at,
            refresh_tokens.c.used_at,
            sessions.c.user_id,
            sessions.c.revoked_at.label("session_revoked_at"),
            sessions.c.created_at.label("session_created_at"),
            sessions.c.last_seen_at,
        )
        .join(sessions, sessions.c.id == refresh_tokens.c.session_id)
        .where(refresh_tokens.c.token_hash == token_hash)
        .with_for_update(of=refresh_tokens)
    )
    row: Row[Any] | None = (await conn.execute(stmt)).first()  # type: ignore[assignment]
    return row


async def mark_used(conn: AsyncConnection, token_hash: str, at: datetime) -> None:
    await conn.execute(
        update(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash).values(used_at=at)
    )


async def revoke_session(conn: AsyncConnection, session_id: UUID, reason: str, at: datetime) -> None:
    await conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_reason=reason)
    )


async def revoke_other_sessions(
    conn: AsyncConnection, user_id: UUID, keep: UUID, reason: str, at: datetime
) -> None:
    await conn.execute(
        update(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.id != keep, sessions.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_reason=reason)
    )


async def session_of_refresh(conn: AsyncConnection, token_hash: str) -> UUID | None:
    stmt = select(refresh_tokens.c.session_id).where(refresh_tokens.c.token_hash == token_hash)
    value = (await conn.execute(stmt)).scalar_one_or_none()
    return value if isinstance(value, UUID) else None


async def audit_count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(audit_log))).scalar_one())
