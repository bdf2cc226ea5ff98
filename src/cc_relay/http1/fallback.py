"""The same API over aiohttp's client, for what the lean path does not cover.

:func:`~cc_relay.http1.select.open_client` picks this for an upstream reached through a
proxy from the environment, or a URL the lean client does not speak. aiohttp's
exceptions are translated into this package's tree here, so the call path catches one
set of errors whichever client it holds.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Self

import aiohttp

from cc_relay.http1.errors import (
    BodyError,
    ConnectError,
    ConnectTimeout,
    HeadError,
    InvalidHead,
    RequestError,
)
from cc_relay.http1.headers import Headers

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["AiohttpClient", "AiohttpResponse", "LARGE_BODY"]

#: Bodies above this many bytes go to aiohttp piecewise (its own threshold).
LARGE_BODY = 1024 * 1024


class AiohttpClient:
    """``request`` over an aiohttp session that the caller owns (and closes).

    Args:
        session: the provider's session (``auto_decompress=False``, no auto UA).
        proxy: the proxy URL to send every request through, or None.
    """

    def __init__(self, session: aiohttp.ClientSession, *, proxy: str | None = None) -> None:
        self.session = session
        self.proxy = proxy

    async def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> AiohttpResponse:
        # A big bytes body is written in one go (and aiohttp warns); a BytesIO goes
        # in 64 KiB pieces that yield in between, with the same Content-Length.
        data = body if len(body) <= LARGE_BODY else io.BytesIO(body)
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        try:
            response = await self.session.request(
                method, url, data=data, headers=list(pairs), proxy=self.proxy
            )
        except aiohttp.ConnectionTimeoutError as exc:
            raise ConnectTimeout(f"http1: aiohttp: {exc}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise ConnectError(f"http1: aiohttp: {exc.os_error.strerror or exc}") from exc
        except aiohttp.ClientResponseError as exc:
            raise InvalidHead(f"http1: aiohttp: {exc.message}") from exc
        except TimeoutError:
            raise
        except (aiohttp.ClientError, OSError) as exc:
            raise HeadError(f"http1: aiohttp: {type(exc).__name__}: {exc}") from exc
        return AiohttpResponse(response)

    async def close(self) -> None:
        """Nothing to do: the session belongs to the caller."""


class AiohttpResponse:
    """aiohttp's ``ClientResponse`` behind :class:`~cc_relay.http1.Response`'s API."""

    __slots__ = ("headers", "raw")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.raw = response
        self.headers = Headers(list(response.headers.items()))

    @property
    def status(self) -> int:
        return self.raw.status

    @property
    def reason(self) -> str:
        return self.raw.reason or ""

    @property
    def content_type(self) -> str:
        return self.raw.content_type

    @property
    def content(self) -> Self:
        return self

    @property
    def complete(self) -> bool:
        return self.raw.content.is_eof()

    async def read(self) -> bytes:
        try:
            return await self.raw.read()
        except TimeoutError:
            raise
        except (aiohttp.ClientError, OSError) as exc:
            raise _body_error(exc) from exc

    async def readany(self) -> bytes:
        try:
            return await self.raw.content.readany()
        except TimeoutError:
            raise
        except (aiohttp.ClientError, OSError) as exc:
            raise _body_error(exc) from exc

    def release(self) -> None:
        self.raw.release()

    def close(self) -> None:
        self.raw.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _body_error(exc: BaseException) -> RequestError:
    return BodyError(f"http1: aiohttp: {type(exc).__name__}: {exc}")
