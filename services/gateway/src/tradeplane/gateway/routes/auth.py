"""Accounts and sessions: register, login, token refresh, logout, the current session."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Request, Response
from sqlalchemy import Row
from tradeplane.contracts import Role, utcnow

from ..adapters import repo
from ..audit import audit
from ..auth import login as logins
from ..auth import totp
from ..auth.passwords import hash_password, verify_password, weakness
from ..config import Settings
from ..context import Gateway
from ..deps import ACCESS_COOKIE, CurrentUser, Gw, MaybeUser, client_ip, unauthorized
from ..envelope import ApiError, EnvelopeRoute, ok
from ..ratelimit import Bucket
from ..schemas import (
    ERRORS,
    LoginRequest,
    LogoutRequest,
    Ok,
    PasswordChange,
    ProfileUpdate,
    RecoveryCodes,
    RefreshRequest,
    RegisterRequest,
    SessionOut,
    TokenPair,
    TwoFactorCode,
    TwoFactorSetup,
    UserCreated,
)
from ..users import create_user, invite_digest
from ..views import user_json, user_out

router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=EnvelopeRoute, responses=ERRORS)


def _with_cookie(pair: TokenPair, settings: Settings) -> Response:
    response = ok(pair.model_dump(mode="json"))
    response.set_cookie(
        ACCESS_COOKIE,
        pair.access_token,
        max_age=pair.expires_in,
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return response


async def _anonymous(request: Request, gw: Gw) -> None:
    await gw.limiter.hit(Bucket.ANONYMOUS, f"ip:{client_ip(request)}")


@router.post("/register", status_code=201, response_model=Ok[UserCreated])
async def register(body: RegisterRequest, gw: Gw, request: Request) -> Response:
    """Create a trader account (TP_REGISTRATION: open, closed, or invite-only with `inviteCode`)."""
    await _anonymous(request, gw)
    mode = gw.settings.registration_mode
    if mode == "closed":
        raise ApiError(403, "REGISTRATION_CLOSED", "registration is closed; ask an admin for an account")
    if mode == "invite" and not body.invite_code:
        raise ApiError(
            403, "INVITE_REQUIRED", "registration is by invitation: send `inviteCode`", field="inviteCode"
        )
    if reason := weakness(body.password, body.email):
        raise ApiError(422, "WEAK_PASSWORD", reason, field="password")
    invite = invite_digest(body.invite_code) if mode == "invite" and body.invite_code else None
    row = await create_user(
        gw.rt.outbox,
        email=body.email,
        password=body.password,
        role=Role.TRADER,
        actor=body.email,
        name=body.name,
        timezone=body.timezone,
        language=body.language,
        invite=invite,
    )
    if row is None:
        raise ApiError(409, "EMAIL_TAKEN", "an account with this email exists", field="email")
    return ok({"user": user_json(row)}, 201)


@router.post("/login", response_model=Ok[TokenPair])
async def login(body: LoginRequest, gw: Gw, request: Request) -> Response:
    """Log in with email (or username) and password, and `otp` when 2FA is on; sets the access cookie
    too. Repeated failures slow down, then lock, the account and the IP for a while (429)."""
    await _anonymous(request, gw)
    attempt = logins.Attempt(body, client_ip(request), request.headers.get("user-agent", ""))
    return _with_cookie(await logins.login(gw, attempt), gw.settings)


@router.post("/refresh", response_model=Ok[TokenPair])
async def refresh(body: RefreshRequest, gw: Gw, request: Request) -> Response:
    """Exchange a refresh token for a new pair; the old refresh token stops working."""
    await _anonymous(request, gw)
    return _with_cookie(await gw.sessions.rotate(body.refresh_token), gw.settings)


@router.post("/logout", response_model=Ok[dict[str, bool]])
async def logout(gw: Gw, user: MaybeUser, body: Annotated[LogoutRequest | None, Body()] = None) -> Response:
    """End the current session (and the one of the refresh token given, if any)."""
    ended = await gw.sessions.end(user.session_id if user else None, body.refresh_token if body else None)
    for session_id in ended:
        await gw.forget_sessions(user.id if user else None, session_id)
    response = ok({"loggedOut": True})
    response.delete_cookie(ACCESS_COOKIE, path="/", secure=gw.settings.cookie_secure, httponly=True)
    return response


@router.get("/session", response_model=Ok[SessionOut])
async def session(user: CurrentUser) -> Response:
    """The current user and when the access token expires."""
    out = SessionOut(user=user_out(user.row), session_id=user.session_id, expires_at=user.expires_at)
    return ok(out.model_dump(mode="json"))


@router.patch("/profile", response_model=Ok[UserCreated])
async def update_profile(body: ProfileUpdate, user: CurrentUser, gw: Gw) -> Response:
    """Change the caller's name, timezone (days and weeks of PnL and risk follow it) or language."""
    async with gw.rt.engine.begin() as conn:
        row = await repo.update_user(conn, user.id, **body.model_dump(exclude_none=True))
    if row is None:
        raise unauthorized("TOKEN_REVOKED", "the account no longer exists")
    await gw.forget_sessions(user.id)
    return ok({"user": user_json(row)})


@router.post("/password", response_model=Ok[UserCreated])
async def change_password(body: PasswordChange, user: CurrentUser, gw: Gw) -> Response:
    """Change the caller's password; every other session of theirs ends."""
    if not (await verify_password(user.row.password_hash, body.current_password)).ok:
        raise ApiError(403, "INVALID_CREDENTIALS", "the current password is wrong", field="currentPassword")
    if reason := weakness(body.new_password, user.email):
        raise ApiError(422, "WEAK_PASSWORD", reason, field="newPassword")
    password_hash = await hash_password(body.new_password)
    async with gw.rt.outbox.transaction() as tx:
        row = await repo.update_user(tx.conn, user.id, password_hash=password_hash)
        await repo.revoke_other_sessions(tx.conn, user.id, user.session_id, "password changed", utcnow())
        tx.emit(*audit(user.email, "user.password", str(user.id)))
    assert row is not None
    await gw.forget_sessions(user.id)
    return ok({"user": user_json(row)})


async def _fresh(gw: Gateway, user_id: UUID) -> Row[Any]:
    """The user's row as stored now (the request's may come from the session cache)."""
    async with gw.rt.engine.connect() as conn:
        row = await repo.user_by_id(conn, user_id)
    if row is None:
        raise unauthorized("TOKEN_REVOKED", "the account no longer exists")
    return row


@router.post("/2fa/setup", response_model=Ok[TwoFactorSetup])
async def two_factor_setup(user: CurrentUser, gw: Gw) -> Response:
    """Start turning on 2FA: a new TOTP secret (shown only now) for an authenticator app; confirm it
    with `POST /api/auth/2fa/enable`."""
    if user.row.two_factor_enabled:
        raise ApiError(409, "TWO_FACTOR_ENABLED", "two-factor authentication is already on")
    secret = totp.new_secret()
    async with gw.rt.engine.begin() as conn:
        await repo.update_user(conn, user.id, totp_pending=totp.seal(gw.keyring, user.id, secret))
    out = TwoFactorSetup(secret=secret, otpauth_url=totp.otpauth_url(secret, user.email))
    return ok(out.model_dump(mode="json"))


@router.post("/2fa/enable", response_model=Ok[RecoveryCodes])
async def two_factor_enable(body: TwoFactorCode, user: CurrentUser, gw: Gw) -> Response:
    """Turn on 2FA with a code from the authenticator; answers the recovery codes (shown only now,
    each works once in place of a code)."""
    row = await _fresh(gw, user.id)
    if row.two_factor_enabled:
        raise ApiError(409, "TWO_FACTOR_ENABLED", "two-factor authentication is already on")
    if row.totp_pending is None:
        raise ApiError(409, "TWO_FACTOR_NOT_SET_UP", "call POST /api/auth/2fa/setup first")
    secret = totp.unseal(gw.keyring, user.id, row.totp_pending)
    step = totp.matching_step(secret, body.code, utcnow())
    if step is None:
        raise ApiError(403, "INVALID_OTP", "the code does not match the authenticator's", field="code")
    codes = totp.new_recovery_codes()
    async with gw.rt.outbox.transaction() as tx:
        await repo.update_user(
            tx.conn,
            user.id,
            totp_secret=row.totp_pending,
            totp_pending=None,
            totp_last_step=step,
            two_factor_enabled=True,
        )
        await repo.replace_recovery_codes(tx.conn, user.id, [totp.recovery_digest(c) for c in codes])
        tx.emit(*audit(user.email, "user.2fa.enable", str(user.id)))
    await gw.forget_sessions(user.id)
    return ok(RecoveryCodes(recovery_codes=codes).model_dump(mode="json"))


@router.post("/2fa/disable", response_model=Ok[UserCreated])
async def two_factor_disable(body: TwoFactorCode, user: CurrentUser, gw: Gw) -> Response:
    """Turn off 2FA with a current code (or a recovery code)."""
    fresh = await _fresh(gw, user.id)
    if not fresh.two_factor_enabled:
        raise ApiError(409, "TWO_FACTOR_DISABLED", "two-factor authentication is not on")
    if not await logins.accept_code(gw, fresh, body.code, utcnow()):
        raise ApiError(403, "INVALID_OTP", "the code is not valid", field="code")
    async with gw.rt.outbox.transaction() as tx:
        row = await repo.update_user(
            tx.conn, user.id, totp_secret=None, totp_pending=None, two_factor_enabled=False
        )
        await repo.replace_recovery_codes(tx.conn, user.id, [])
        tx.emit(*audit(user.email, "user.2fa.disable", str(user.id)))
    assert row is not None
    await gw.forget_sessions(user.id)
    return ok({"user": user_json(row)})
