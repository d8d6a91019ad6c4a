"""Creating users and changing their roles, with an audit event in the same transaction."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from tradeplane.contracts import Role
from tradeplane.runtime import Outbox

from .adapters import repo
from .audit import audit
from .auth.passwords import hash_password, weakness

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
) -> Row[Any] | None:
    """The new user, or None when the email is taken. The password must already satisfy the policy."""
    password_hash = await hash_password(password)
    async with outbox.transaction() as tx:
        row = await repo.insert_user(
            tx.conn,
            email=email,
            name=name,
            password_hash=password_hash,
            role=role.value,
            timezone=timezone,
            language=language,
        )
        if row is not None:
            tx.emit(*audit(actor, "user.create", str(row.id), email=email, role=role.value))
    return row


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
