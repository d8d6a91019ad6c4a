"""The caller's venue accounts (owned by the execution service)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from tradeplane.contracts.queries import (
    CREDENTIAL_FIELDS,
    EXECUTION,
    SEALED_CREDENTIALS,
    credentials_context,
)
from tradeplane.runtime.crypto import seal

from ..deps import CurrentUser, Gw, Trader
from ..envelope import ApiError, EnvelopeRoute
from ..proxy import Forwarded, forward, passthrough
from ..schemas import ERRORS, ConnectVenue, Ok

router = APIRouter(prefix="/api/venues", tags=["venues"], route_class=EnvelopeRoute, responses=ERRORS)
Data = Ok[dict[str, object]]
Items = Ok[list[dict[str, object]]]


@router.post("/connect", status_code=201, response_model=Data)
async def connect_venue(body: ConnectVenue, user: Trader, gw: Gw) -> Response:
    """Connect a venue account (paper, or an exchange with API credentials)."""
    params = sealed_credentials(body.params(), gw.settings.execution_public_key, user.id)
    return await forward(gw, user, EXECUTION, "venues.connect", params, 201)


def sealed_credentials(params: dict[str, Any], public_key: str | None, user_id: UUID) -> dict[str, Any]:
    """`params` with the exchange credentials sealed to execution's key: only execution can read them."""
    credentials = {name: params.pop(name) for name in CREDENTIAL_FIELDS if name in params}
    if not credentials:
        return params
    if not public_key:
        raise ApiError(503, "SEALING_KEY_MISSING", "exchange credentials cannot be sent: no execution key")
    plaintext = json.dumps(credentials).encode()
    return params | {SEALED_CREDENTIALS: seal(public_key, plaintext, credentials_context(user_id))}


@router.get("", response_model=Items)
async def list_venues(user: CurrentUser, gw: Gw) -> Response:
    """The caller's venue accounts."""
    return await forward(gw, user, EXECUTION, "venues.list")


@router.get("/{venue_id:uuid}", response_model=Data)
async def get_venue(venue_id: UUID, user: CurrentUser, gw: Gw) -> Response:
    """One venue account."""
    return await forward(gw, user, EXECUTION, "venues.get", {"id": str(venue_id)})


@router.delete("/{venue_id:uuid}", response_model=Data)
async def delete_venue(venue_id: UUID, user: Trader, gw: Gw) -> Response:
    """Disconnect a venue account (refused while it has open orders)."""
    gw.venues.forget(user.id, venue_id)
    return await forward(gw, user, EXECUTION, "venues.delete", {"id": str(venue_id)})


@router.post("/{venue_id:uuid}/sync", response_model=Data)
async def sync_venue(venue_id: UUID, user: Trader, gw: Gw) -> Response:
    """Refresh balances and markets from the venue."""
    gw.venues.forget(user.id, venue_id)
    return await forward(gw, user, EXECUTION, "venues.sync", {"id": str(venue_id)})


@router.post("/{venue_id:uuid}/nonce/reset", response_model=Data)
async def reset_venue_nonce(venue_id: UUID, user: Trader, gw: Gw) -> Response:
    """Reset an exchange account's nonce state."""
    return await forward(gw, user, EXECUTION, "venues.nonce_reset", {"id": str(venue_id)})


READS: dict[str, Forwarded] = {}
"""A venue account's read-only figures by the last part of their path (the venues page calls them)."""
for part, model, doc in (
    ("balance", Data, "Balances per currency: free, used, total."),
    ("instruments", Items, "Tradable markets with their precision, minimum sizes and fees."),
    ("nonce", Data, "Nonce statistics of an exchange account."),
):
    path, query, name = f"/{{venue_id:uuid}}/{part}", f"venues.{part}", f"venue_{part}"
    READS[part] = passthrough(
        router, EXECUTION, CurrentUser, "GET", path, query, doc, name=name, response_model=model
    )
