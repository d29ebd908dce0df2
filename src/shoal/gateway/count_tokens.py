"""Anthropic's ``POST /v1/messages/count_tokens``: how many input tokens a Messages request has.

The count is Shoal's routing estimate (``shoal.routing.needs``: the same number the context-length
check uses), not a provider tokenizer's exact figure — nothing is sent to any model for it.
"""

from __future__ import annotations

import logging

from shoal.gateway.anthropic_api import parse_messages_request
from shoal.gateway.errors import to_api_error
from shoal.gateway.http import ApiError, Receive, Scope, Send, parse_json, read_body, send_error, send_json
from shoal.gateway.state import GatewayState
from shoal.routing.needs import estimate_tokens

log = logging.getLogger("shoal.gateway")


async def handle_count_tokens(state: GatewayState, scope: Scope, receive: Receive, send: Send) -> None:
    try:
        await state.auth.authenticate(scope)
        data = parse_json(await read_body(scope, receive, state.config.max_body_bytes))
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object", code="invalid_request")
        # count_tokens takes a Messages body without max_tokens.
        parsed = parse_messages_request({**data, "max_tokens": 1, "stream": False})
        await send_json(send, 200, {"input_tokens": estimate_tokens(parsed.request)})
    except Exception as exc:
        err = to_api_error(exc)
        if err.code == "internal_error":
            log.exception("count_tokens failed")
        await send_error(send, err, anthropic=True)
