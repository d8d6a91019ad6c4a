"""What JetStream knows of a service's consumers: how many deliveries they made, redeliveries included."""

from __future__ import annotations

from tests.support.natsauth import connect_operator


async def deliveries(nats_url: str, stream: str, durable_prefix: str) -> int:
    """Every delivery (first or again) of the stream's durable consumers named `durable_prefix...`: more
    deliveries than messages means JetStream redelivered some."""
    nc = await connect_operator(nats_url)
    try:
        infos = await nc.jetstream().consumers_info(stream)
        return sum(
            info.delivered.consumer_seq or 0
            for info in infos
            if (info.name or "").startswith(durable_prefix) and info.delivered is not None
        )
    finally:
        await nc.close()
