"""The risk queries (`tradeplane.contracts.queries.RISK_QUERIES`): settings, kill switch, users, ceilings."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any
from uuid import UUID

from faststream.nats import NatsRouter
from pydantic import ValidationError
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts.queries import RISK, Caller, Query, QueryError, Reply
from tradeplane.riskrules import RiskLimits, RiskState, user_zone
from tradeplane.runtime import Runtime
from tradeplane.runtime.queries import query_router

from . import access, events, views
from .adapters import halt_rows, repo
from .domain.ceilings import Excess, excesses, view
from .killswitch import KillSwitch
from .params import CeilingsPut, EnableParams, HaltCommand, PageParams, SettingsPut, UserParams, UsersParams
from .profiles import Profile, Profiles, parse
from .tracking import Tracker

log = logging.getLogger(__name__)


def merged_limits(current: RiskLimits, given: dict[str, Any]) -> RiskLimits:
    """`given` (camelCase or snake_case keys) over the current limits, validated as a whole."""
    return RiskLimits.model_validate(
        {**current.model_dump(mode="json"), **{to_camel(k): v for k, v in given.items()}}
    )


def beyond_ceilings(found: list[Excess]) -> QueryError:
    """A 422 naming each limit set above its ceiling, and the ceiling."""
    fields = [{"field": e.field, "message": e.message, "ceiling": e.ceiling_text} for e in found]
    names = ", ".join(e.field for e in found)
    return QueryError("VALIDATION_ERROR", f"above the platform ceilings: {names}", 422, fields=fields)


class Queries:
    def __init__(
        self, rt: Runtime, profiles: Profiles, halts: KillSwitch, tracker: Tracker, ceilings: RiskLimits
    ) -> None:
        self._rt = rt
        self._profiles = profiles
        self._halts = halts
        self._tracker = tracker
        self._default_ceilings = ceilings

    def router(self) -> NatsRouter:
        return query_router(
            RISK,
            {
                "settings.get": self.settings_get,
                "settings.put": self.settings_put,
                "killswitch.status": self.killswitch_status,
                "killswitch.activate": self.killswitch_activate,
                "killswitch.deactivate": self.killswitch_deactivate,
                "killswitch.history": self.killswitch_history,
                "users.enable": self.users_enable,
                "users.state": self.users_state,
                "ceilings.get": self.ceilings_get,
                "ceilings.put": self.ceilings_put,
            },
        )

    async def settings_get(self, q: Query) -> dict[str, Any]:
        target = access.target_user(q.caller, UserParams.model_validate(q.params).user_id)
        return await self._settings(q.caller, target)

    async def settings_put(self, q: Query) -> dict[str, Any]:
        params = SettingsPut.model_validate(q.params)
        access.require_writer(q.caller)
        target = access.target_user(q.caller, params.user_id)
        async with self._rt.outbox.transaction() as tx:
            current = parse(await repo.read_profile(tx.conn, target)).limits
            limits = merged_limits(current, params.limits)
            if not q.caller.is_admin:
                found = excesses(limits, current, await self._ceilings(tx.conn))
                if found:
                    raise beyond_ceilings(found)
            stored = limits.model_dump(mode="json")
            await repo.put_limits(tx.conn, target, stored)
            tx.emit(
                *events.audit(
                    None, access.actor(q.caller), "risk.settings.update", str(target), limits=stored
                )
            )
        self._profiles.invalidate(target)
        return await self._settings(q.caller, target)

    async def killswitch_status(self, q: Query) -> dict[str, Any]:
        target = access.target_user(q.caller, UserParams.model_validate(q.params).user_id)
        return self._status(q.caller, target)

    async def killswitch_activate(self, q: Query) -> dict[str, Any]:
        command = HaltCommand.model_validate(q.params)
        target = access.halt_target(q.caller, command.scope, command.user_id)
        await self._halts.activate(target, command.reason, access.actor(q.caller), q.caller.role)
        return self._status(q.caller, target or q.caller.user_id)

    async def killswitch_deactivate(self, q: Query) -> dict[str, Any]:
        """Release the halt; an admin releasing a user also ends a Halted/Reducing trading state."""
        command = HaltCommand.model_validate(q.params)
        target = access.halt_target(q.caller, command.scope, command.user_id)
        access.require_release(q.caller, self._halts.halt(target))
        await self._halts.deactivate(target, command.reason, access.actor(q.caller))
        if target is not None and q.caller.is_admin:
            await self._tracker.release(target, access.actor(q.caller))
        return self._status(q.caller, target or q.caller.user_id)

    async def killswitch_history(self, q: Query) -> Reply:
        page = PageParams.model_validate(q.params)
        visible_to = None if q.caller.is_admin else q.caller.user_id
        async with self._rt.engine.connect() as conn:
            entries, total = await halt_rows.history(
                conn, visible_to, (page.page - 1) * page.page_size, page.page_size
            )
        entries = [{**e, "actor": access.shown_actor(q.caller, e["actor"])} for e in entries]
        pages = max(1, -(-total // page.page_size))
        pagination = {"page": page.page, "pageSize": page.page_size, "totalPages": pages, "totalItems": total}
        return Reply.success(entries, pagination)

    async def users_enable(self, q: Query) -> dict[str, Any]:
        access.require_admin(q.caller)
        user_id = EnableParams.model_validate(q.params).user_id
        await self._tracker.enable(user_id, access.actor(q.caller))
        return {"userId": str(user_id), "disabled": False}

    async def users_state(self, q: Query) -> dict[str, Any]:
        access.require_admin(q.caller)
        user_ids = UsersParams.model_validate(q.params).user_ids
        async with self._rt.engine.connect() as conn:
            rows = await repo.read_many(conn, user_ids)
        result = {}
        for user_id in user_ids:
            row = rows.get(user_id)
            state, profile = (RiskState(), parse(None)) if row is None else (row.state, parse(row.profile))
            result[str(user_id)] = views.risk_state(state, profile)
        return result

    async def ceilings_get(self, q: Query) -> dict[str, Any]:
        access.require_admin(q.caller)
        async with self._rt.engine.connect() as conn:
            return view(await self._ceilings(conn))

    async def ceilings_put(self, q: Query) -> dict[str, Any]:
        """Change the ceilings named (the rest keep their value); limits already set stay as they are."""
        access.require_admin(q.caller)
        given = CeilingsPut.model_validate(q.params).ceilings
        async with self._rt.outbox.transaction() as tx:
            stored = view(merged_limits(await self._ceilings(tx.conn), given))
            await repo.put_ceilings(tx.conn, stored, access.actor(q.caller))
            tx.emit(
                *events.audit(
                    None, access.actor(q.caller), "risk.ceilings.update", "platform", ceilings=stored
                )
            )
        return stored

    async def _ceilings(self, conn: AsyncConnection) -> RiskLimits:
        """The ceilings an admin stored, else the settings' defaults."""
        stored = await repo.read_ceilings(conn)
        if stored is None:
            return self._default_ceilings
        try:
            return merged_limits(self._default_ceilings, stored)
        except ValidationError:
            log.error("stored risk ceilings no longer validate; using the settings' defaults", exc_info=True)
            return self._default_ceilings

    def _status(self, caller: Caller, user_id: UUID) -> dict[str, Any]:
        return self._halts.status(user_id, partial(access.shown_actor, caller))

    async def _settings(self, caller: Caller, target: UUID) -> dict[str, Any]:
        async with self._rt.engine.connect() as conn:
            row = await repo.read(conn, target)
            profile_row = row.profile if row is not None else await repo.read_profile(conn, target)
        profile = self._profiles.resolve(target, profile_row)
        if target == caller.user_id and caller.timezone != profile.timezone:
            profile = await self._remember_timezone(target, caller.timezone, profile)
        state = row.state if row is not None else RiskState()
        return {
            "limits": profile.limits.model_dump(mode="json"),
            "state": views.risk_state(state, profile),
            "timezone": profile.timezone,
        }

    async def _remember_timezone(self, user_id: UUID, timezone: str, profile: Profile) -> Profile:
        """Days and weeks are the user's own: keep the timezone their session reports."""
        try:
            zone = user_zone(timezone)
        except ValueError:
            return profile
        async with self._rt.engine.begin() as conn:
            await repo.put_timezone(conn, user_id, timezone)
        self._profiles.invalidate(user_id)
        log.info("user timezone changed", extra={"user_id": str(user_id), "timezone": timezone})
        return Profile(profile.limits, timezone, zone)
