"""The pinned client: connections go to the addresses checked at connect time, Host is unchanged."""

from __future__ import annotations

from collections.abc import Sequence

from tradeplane.notifier.adapters.sender import WebhookSender
from tradeplane.notifier.adapters.settings import DeliverySettings
from tradeplane.notifier.adapters.transport import build_client
from tradeplane.notifier.domain.retry import FailureKind


def answers(*rounds: tuple[str, ...]):
    """A resolver giving each round of addresses in turn, the last one forever after."""
    remaining = list(rounds)

    async def resolve(host: str, port: int) -> Sequence[str]:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return resolve


async def test_pinned_client_connects_to_resolved_address_keeping_host_header(receiver) -> None:
    settings = DeliverySettings(allow_http=True, allow_private_targets=True)
    async with build_client(settings, resolver=answers(("127.0.0.1",))) as client:
        response = await client.post(f"http://hooks.example.test:{receiver.port}/ok", content=b"{}")

    assert response.status_code == 200
    assert receiver.hits[0].headers["host"] == f"hooks.example.test:{receiver.port}"


async def test_pinned_client_falls_back_to_next_address_when_first_refuses(receiver) -> None:
    settings = DeliverySettings(allow_http=True, allow_private_targets=True)
    # The receiver listens on 127.0.0.1 only, so 127.0.0.2 refuses the connection.
    async with build_client(settings, resolver=answers(("127.0.0.2", "127.0.0.1"))) as client:
        response = await client.post(f"http://hooks.example.test:{receiver.port}/ok", content=b"{}")

    assert response.status_code == 200


async def test_dns_rebinding_to_private_address_after_check_is_refused(receiver, secret: str) -> None:
    settings = DeliverySettings(allow_http=True, allow_private_targets=False)
    resolver = answers(("93.184.216.34",), ("127.0.0.1",))
    async with build_client(settings, resolver=resolver) as client:
        sender = WebhookSender(client, settings, resolver=resolver)
        result = await sender.send(
            f"http://rebind.example.test:{receiver.port}/ok", secret, "msg_1", {"data": {}}, attempt=1
        )

    assert receiver.hits == []
    assert (result.ok, result.retryable, result.failure) == (False, False, FailureKind.REFUSED)
