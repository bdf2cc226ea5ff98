"""Who may use the relay, and which client credential may travel upstream.

With ``server.auth`` set, a client proves itself with one of those keys, as
``x-api-key`` or ``Authorization: Bearer``. That header is consumed here and never
forwarded. Whatever credential the client sent in the other header (a Claude
subscription OAuth token, say) is its own and may be passed through to Anthropic.

With no keys configured the relay is open, and so only answers loopback clients.
"""

from __future__ import annotations

from collections.abc import Sequence

from multidict import CIMultiDictProxy

from cc_relay.errors import ApiError
from cc_relay.headers import AUTHORIZATION, X_API_KEY
from cc_relay.peers import is_loopback, key_index
from cc_relay.types import Credential

_BEARER = "bearer "


def authenticate(
    headers: CIMultiDictProxy[str], keys: Sequence[bytes], remote: str | None
) -> tuple[Credential | None, int | None]:
    """Check the client. Returns the credential of its own to pass through, if any, and
    the index of the relay key it presented (None for an open relay)."""
    api_key = headers.get(X_API_KEY)
    authorization = headers.get(AUTHORIZATION)
    token = (
        authorization[len(_BEARER) :]
        if authorization and authorization[: len(_BEARER)].lower() == _BEARER
        else None
    )
    if not keys:
        if not is_loopback(remote):
            raise ApiError(
                403,
                "This relay has no server.auth keys, so it only serves "
                "clients on this machine. Add keys to server.auth to allow "
                "remote clients.",
            )
        return _credential(api_key, authorization), None
    index = key_index(api_key, keys) if api_key is not None else None
    if index is not None:
        return _credential(None, authorization), index
    index = key_index(token, keys) if token is not None else None
    if index is not None:
        return _credential(api_key, None), index
    raise ApiError(
        401,
        "invalid x-api-key: send one of the relay's server.auth keys as "
        "x-api-key or as Authorization: Bearer.",
    )


def _credential(api_key: str | None, authorization: str | None) -> Credential | None:
    if api_key:
        return Credential(X_API_KEY, api_key)
    if authorization:
        return Credential(AUTHORIZATION, authorization)
    return None
