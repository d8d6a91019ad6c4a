"""A login attempt, in order: the IP's request limit, backoff and locks (before any hashing), the
password, a disabled account, the second factor; every attempt audited with its IP and user agent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from tradeplane.contracts import utcnow

from ..adapters import repo
from ..audit import audit
from ..context import Gateway
from ..envelope import ApiError
from ..schemas import LoginRequest, TokenPair
from . import lockout, totp
from .passwords import verify_password

INVALID = "wrong email or password"


@dataclass(frozen=True, slots=True)
class Attempt:
    body: LoginRequest
    ip: str
    user_agent: str

    def details(self, **more: Any) -> dict[str, Any]:
        return {"email": self.body.login[:254], "ip": self.ip, "userAgent": self.user_agent[:300]} | more


async def login(gw: Gateway, attempt: Attempt) -> TokenPair:
    now = utcnow()
    keys = lockout.keys_of(attempt.body.login, attempt.ip, gw.login_policies)
    async with gw.rt.engine.connect() as conn:
        states = await lockout.states(conn, keys)
        row = await repo.user_by_email(conn, attempt.body.login)
    refusals = [r for key, p in keys.items() if (r := lockout.refusal(states.get(key), key, p, now))]
    if refusals:
        worst = max(refusals, key=lambda r: (r.code == "LOGIN_LOCKED", r.retry_after))
        await _failed(gw, attempt, row, now, worst.code.lower(), count=any(r.counts for r in refusals))
        message = (
            "too many failed logins: logging in is locked for a while"
            if worst.code == "LOGIN_LOCKED"
            else "too many failed logins: wait before trying again"
        )
        raise ApiError(
            429,
            worst.code,
            f"{message} (retry in {worst.retry_after} s)",
            headers={"Retry-After": str(worst.retry_after)},
            retryAfter=worst.retry_after,
        )
    verified = await verify_password(row.password_hash if row is not None else None, attempt.body.password)
    if row is None or not verified.ok:
        await _failed(gw, attempt, row, now, "password")
        raise ApiError(401, "INVALID_CREDENTIALS", INVALID)
    if verified.new_hash:
        async with gw.rt.engine.begin() as conn:
            await repo.set_password_hash(conn, row.id, verified.new_hash)
    if row.disabled_at is not None:
        await _failed(gw, attempt, row, now, "disabled", count=False)
        raise ApiError(403, "ACCOUNT_DISABLED", "this account is disabled; ask an admin")
    if row.two_factor_enabled:
        await _second_factor(gw, attempt, row, now)
    async with gw.rt.engine.begin() as conn:
        await lockout.forget(conn, lockout.account_key(attempt.body.login))
    event = audit(attempt.body.login, "auth.login", str(row.id), **attempt.details())
    return await gw.sessions.start(row.id, event)


async def _second_factor(gw: Gateway, attempt: Attempt, row: Row[Any], now: datetime) -> None:
    code = attempt.body.otp
    if not code:
        await _failed(gw, attempt, row, now, "otp missing", count=False)
        raise ApiError(
            401, "TWO_FACTOR_REQUIRED", "two-factor authentication is on: send the `otp` code", field="otp"
        )
    if not await accept_code(gw, row, code, now):
        await _failed(gw, attempt, row, now, "otp")
        raise ApiError(401, "TWO_FACTOR_REQUIRED", "the one-time code is not valid", field="otp")


async def accept_code(gw: Gateway, row: Row[Any], code: str, now: datetime) -> bool:
    """Spend a TOTP code (its time step, once) or a recovery code (once) of a user with 2FA on."""
    if row.totp_secret is None:
        return False
    secret = totp.unseal(gw.keyring, row.id, row.totp_secret)
    async with gw.rt.engine.begin() as conn:
        if totp.looks_like_totp(code.replace(" ", "")):
            step = totp.matching_step(secret, code, now)
            return step is not None and await repo.accept_totp_step(conn, row.id, step)
        return await repo.use_recovery_code(conn, row.id, totp.recovery_digest(code), now)


async def _failed(
    gw: Gateway, attempt: Attempt, row: Row[Any] | None, now: datetime, reason: str, count: bool = True
) -> None:
    """Audit a failed attempt; when it `count`s, count it per account and per IP (maybe starting a lock,
    audited as `auth.login.locked`)."""
    target = str(row.id) if row is not None else ""
    async with gw.rt.outbox.transaction() as tx:
        tx.emit(*audit(attempt.body.login, "auth.login.failed", target, reason, **attempt.details()))
        if not count:
            return
        for key, policy in lockout.keys_of(attempt.body.login, attempt.ip, gw.login_policies).items():
            until = await lockout.record_failure(tx.conn, key, policy, now)
            if until is not None:
                scope = "account" if key.startswith("account:") else "ip"
                details = attempt.details(scope=scope, lockedUntil=until.isoformat())
                reason = f"{policy.lock_failures} failed logins"
                whom = target if scope == "account" else ""
                tx.emit(*audit(attempt.body.login, "auth.login.locked", whom, reason, **details))
