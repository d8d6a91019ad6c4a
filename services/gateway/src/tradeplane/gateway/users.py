"""Creating users and changing their roles, with an audit event in the same transaction."""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from tradeplane.contracts import Role, utcnow
from tradeplane.runtime import Outbox

from .adapters import repo
from .audit import audit
from .auth.passwords import hash_password, weakness
from .envelope import ApiError

log = logging.getLogger(__name__)


async def create_user(
    outbox: Outbox,
    *,
    email: str,
    password: str,
    role: Role,
    actor: str,
    name: str = "",
    timezone: str = "UTC",
    language: str = "en",
    invite: str | None = None,
) -> Row[Any] | None:
    """The new user, or None when the email is taken. The password must already satisfy the policy.
    `invite` (an invite code's digest) must be unused and unexpired: 403 INVALID_INVITE otherwise."""
    password_hash = await hash_password(password)
    async with outbox.transaction() as tx:
        if invite is not None and not await repo.use_invite(tx.conn, invite, email, utcnow()):
            raise ApiError(403, "INVALID_INVITE", "the invite code is not valid (used, expired or another's)")
        row = await repo.insert_user(
            tx.conn,
            email=email,
            name=name,
            password_hash=password_hash,
            role=role.value,
            timezone=timezone,
            language=language,
        )
        if row is None and invite is not None:  # keep the invite for a retry with another email
            raise ApiError(409, "EMAIL_TAKEN", "an account with this email exists", field="email")
        if row is not None:
            if invite is not None:
                await repo.mark_invite_user(tx.conn, invite, row.id)
            tx.emit(*audit(actor, "user.create", str(row.id), email=email, role=role.value))
    return row


def new_invite_code() -> str:
    return secrets.token_urlsafe(18)


def invite_digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


async def change_role(outbox: Outbox, user_id: UUID, role: Role, actor: str) -> Row[Any] | None:
    async with outbox.transaction() as tx:
        before = await repo.user_by_id(tx.conn, user_id)
        if before is None:
            return None
        row = await repo.set_role(tx.conn, user_id, role)
        if before.role != role.value:
            tx.emit(*audit(actor, "user.role", str(user_id), previous=before.role, role=role.value))
    return row


async def ensure_admin(outbox: Outbox, email: str, password: str) -> None:
    """The bootstrap admin (TP_ADMIN_EMAIL / TP_ADMIN_PASSWORD): created, or promoted if it exists."""
    if reason := weakness(password, email):
        log.warning("TP_ADMIN_PASSWORD is weak: %s", reason)
    async with outbox.engine.connect() as conn:
        existing = await repo.user_by_email(conn, email)
    if existing is None:
        created = await create_user(outbox, email=email, password=password, role=Role.ADMIN, actor="system")
        if created is not None:
            log.info("bootstrap admin created", extra={"email": email})
            return
        async with outbox.engine.connect() as conn:
            existing = await repo.user_by_email(conn, email)
    if existing is not None and existing.role != Role.ADMIN.value:
        await change_role(outbox, existing.id, Role.ADMIN, "system")
        log.info("bootstrap admin promoted", extra={"email": email})
