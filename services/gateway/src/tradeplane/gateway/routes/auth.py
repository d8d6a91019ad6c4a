"""Accounts and sessions: register, login, token refresh, logout, the current session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response
from tradeplane.contracts import Role, utcnow

from ..adapters import repo
from ..audit import audit
from ..auth.passwords import hash_password, verify_password, weakness
from ..config import Settings
from ..deps import ACCESS_COOKIE, CurrentUser, Gw, MaybeUser, unauthorized
from ..envelope import ApiError, EnvelopeRoute, ok
from ..schemas import (
    ERRORS,
    LoginRequest,
    LogoutRequest,
    Ok,
    PasswordChange,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    SessionOut,
    TokenPair,
    UserCreated,
)
from ..users import create_user
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


@router.post("/register", status_code=201, response_model=Ok[UserCreated])
async def register(body: RegisterRequest, gw: Gw) -> Response:
    """Create a trader account."""
    if not gw.settings.allow_registration:
        raise ApiError(403, "REGISTRATION_CLOSED", "registration is closed; ask an admin for an account")
    if reason := weakness(body.password, body.email):
        raise ApiError(422, "WEAK_PASSWORD", reason, field="password")
    row = await create_user(
        gw.rt.outbox,
        email=body.email,
        password=body.password,
        role=Role.TRADER,
        actor=body.email,
        name=body.name,
        timezone=body.timezone,
        language=body.language,
    )
    if row is None:
        raise ApiError(409, "EMAIL_TAKEN", "an account with this email exists", field="email")
    return ok({"user": user_json(row)}, 201)


@router.post("/login", response_model=Ok[TokenPair])
async def login(body: LoginRequest, gw: Gw) -> Response:
    """Log in with email (or username) and password; sets the access cookie too."""
    async with gw.rt.engine.connect() as conn:
        row = await repo.user_by_email(conn, body.login)
    verified = await verify_password(row.password_hash if row is not None else None, body.password)
    if row is None or not verified.ok:
        raise ApiError(401, "INVALID_CREDENTIALS", "wrong email or password")
    if verified.new_hash:
        async with gw.rt.engine.begin() as conn:
            await repo.set_password_hash(conn, row.id, verified.new_hash)
    return _with_cookie(await gw.sessions.start(row.id), gw.settings)


@router.post("/refresh", response_model=Ok[TokenPair])
async def refresh(body: RefreshRequest, gw: Gw) -> Response:
    """Exchange a refresh token for a new pair; the old refresh token stops working."""
    return _with_cookie(await gw.sessions.rotate(body.refresh_token), gw.settings)


@router.post("/logout", response_model=Ok[dict[str, bool]])
async def logout(gw: Gw, user: MaybeUser, body: Annotated[LogoutRequest | None, Body()] = None) -> Response:
    """End the current session (and the one of the refresh token given, if any)."""
    await gw.sessions.end(user.session_id if user else None, body.refresh_token if body else None)
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
    return ok({"user": user_json(row)})
