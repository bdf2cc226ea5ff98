"""One attempt: send the request to a provider and wait for something to forward.

Nothing reaches the client here. An attempt succeeds once the upstream has sent a
success status and, for a stream, its first complete event; every failure up to that
moment is an UpstreamFailure, so the caller can still try the next candidate.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cc_relay import http1
from cc_relay.encoding import plain_body, plain_stream
from cc_relay.errors import (
    UpstreamCutError,
    UpstreamStatusError,
    UpstreamTimeout,
)
from cc_relay.headers import downstream_headers
from cc_relay.sse import StreamDecoder
from cc_relay.types import Attempt, RelayRequest, UpstreamAnswer

#: An upstream answer being received, from whichever client the provider holds.
UpstreamResponse = http1.Response | http1.AiohttpResponse


@dataclass(slots=True)
class Opened:
    """A successful attempt, ready to relay."""

    attempt: Attempt
    response: UpstreamResponse
    first: bytes
    """A non-streamed answer's whole body, or a stream's first complete events."""
    decoder: StreamDecoder | None


async def open_attempt(
    attempt: Attempt, request: RelayRequest, *, client_model: str | None
) -> Opened:
    """Send; return once there is something to forward, or raise UpstreamFailure.

    ``client_model`` is set when the upstream model name differs from the client's,
    so the answer can name the model the client asked for.
    """
    provider = attempt.provider
    body = provider.body(request, attempt.upstream_model)
    url = provider.url(request, attempt.upstream_model)
    where = f"provider {provider.name!r}"
    response: UpstreamResponse | None = None
    try:
        async with asyncio.timeout(provider.config.timeouts.first_byte):
            headers = await provider.headers(request, attempt.key, url=url, body=body)
            response = await provider.client.request("POST", url, headers, body)
            if response.status >= 400:
                answer = UpstreamAnswer(
                    response.status,
                    downstream_headers(response.headers.items()),
                    plain_body(response.headers, await response.read(), where),
                )
                raise UpstreamStatusError(provider.error(answer))
            if not request.stream or not provider.is_stream(response.content_type):
                body = plain_body(response.headers, await response.read(), where)
                return Opened(attempt, response, provider.whole(body), None)
            decoder = plain_stream(
                response.headers, provider.decoder(client_model=client_model), where
            )
            while not (first := decoder.feed(await _read_chunk(response, where))):
                pass
            return Opened(attempt, response, first, decoder)
    except http1.RequestError as exc:  # before TimeoutError: a ConnectTimeout is one
        _discard(response)
        raise http1.upstream_failure(exc, where=where, base_url=provider.base_url) from None
    except TimeoutError:
        _discard(response)
        raise UpstreamTimeout(
            f"{where} sent nothing within {provider.config.timeouts.first_byte:g} s"
        ) from None
    except OSError as exc:
        _discard(response)
        raise UpstreamCutError(
            f"{where} closed the connection early: {type(exc).__name__}"
        ) from None
    except BaseException:
        _discard(response)
        raise


async def _read_chunk(response: UpstreamResponse, where: str) -> bytes:
    chunk = await response.content.readany()
    if not chunk:
        raise UpstreamCutError(f"{where} ended the stream before its first event")
    return chunk


def _discard(response: UpstreamResponse | None) -> None:
    if response is not None:
        response.close()
