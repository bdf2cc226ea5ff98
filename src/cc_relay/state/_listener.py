"""One pub/sub connection per replica, for every channel the shared state listens on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from redis.asyncio import Redis

__all__ = ["listen"]


async def listen(
    url: str,
    handlers: Mapping[str, Callable[[bytes], None]],
    catch_up: Callable[[], Awaitable[None]],
    *,
    retry: float,
) -> None:
    """Hand each message to its channel's handler until cancelled; after every
    (re)subscription ``catch_up`` reads what was missed meanwhile. Its own client has no
    read timeout: a quiet channel is not a dead Redis (the heartbeat tells that)."""
    while True:
        client: Redis = Redis.from_url(url, socket_connect_timeout=1.0)
        try:
            async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(*handlers)
                await catch_up()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        channel = message["channel"]
                        name = channel.decode() if isinstance(channel, bytes) else str(channel)
                        handler = handlers.get(name)
                        if handler is not None:
                            handler(message["data"])
        except asyncio.CancelledError:
            raise
        except Exception:
            await asyncio.sleep(retry)
        finally:
            await client.aclose()
