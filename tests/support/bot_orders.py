"""Orders published on the bus the way a bot places them (as the `bots` producer, outside the gateway)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from tradeplane.contracts import OrderRequested, OrderType, Side, new_meta, subjects
from tradeplane.runtime.outbox import envelope

from tests.support.natsauth import connect_operator


def bot_order(
    user_id: UUID, account_id: UUID, quantity: Decimal, bot_id: UUID | None = None
) -> OrderRequested:
    """A BTC/USDT market buy on a paper account; `bot_id` None is an order placed by hand elsewhere."""
    order_id = uuid.uuid4()
    return OrderRequested(
        meta=new_meta("bots", correlation_id=order_id),
        order_id=order_id,
        user_id=user_id,
        account_id=account_id,
        client_order_id=f"bot-{order_id.hex[:16]}",
        venue="paper",
        symbol="BTC/USDT",
        side=Side.BUY,
        type=OrderType.MARKET,
        quantity=quantity,
        bot_id=bot_id,
    )


async def publish_orders(nats_url: str, intents: Sequence[OrderRequested], partitions: int) -> list[str]:
    """Publish each intent on its user's partition, as the operator; returns their order ids."""
    nc = await connect_operator(nats_url)
    try:
        for intent in intents:
            partition = subjects.partition_of(intent.user_id, partitions)
            env = envelope(subjects.order_requested(partition, intent.user_id), intent)
            await nc.jetstream().publish(env.subject, env.payload, headers=env.headers)
    finally:
        await nc.close()
    return [str(intent.order_id) for intent in intents]
