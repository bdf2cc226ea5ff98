"""``POST /v1/relay/explain``: what the router would do with a request, and why.

Takes a sample Messages request (``model`` is enough) and answers with the ordered
attempts and every candidate that would be skipped, with the reason (model match,
pinned provider, circuit state, key budget, cost, latency). Nothing is sent and no key
is reserved; the decision is the router's own (``Router.explain`` shares its path with
``Router.plan``).
"""

from __future__ import annotations

import orjson
from aiohttp import web

from cc_relay.api.keys import RUNTIME_KEY
from cc_relay.api.parse import COUNT_TOKENS_PATH, parse_request
from cc_relay.dispatch import route_context, unknown_model
from cc_relay.errors import ApiError, InvalidRequest, UnknownModel
from cc_relay.jsonbody import load_object

EXPLAIN_PATH = "/v1/relay/explain"


async def explain(request: web.Request) -> web.Response:
    runtime = request[RUNTIME_KEY]
    raw = await request.read()
    body = raw if raw.strip() else b"{}"
    if b'"messages"' not in body:
        # A sample needs only a model: fill in an empty conversation.
        try:
            sample = load_object(body)
        except InvalidRequest as exc:
            raise ApiError(400, str(exc)) from None
        body = orjson.dumps({**sample, "messages": []})
    parsed = parse_request(
        body,
        request_id="explain",
        path=COUNT_TOKENS_PATH,
        query="",
        headers=request.headers,
        credential=None,
    )
    try:
        answer = runtime.router.explain(parsed.model, route_context(parsed))
    except UnknownModel as exc:
        raise unknown_model(exc) from None
    return web.json_response(answer)
