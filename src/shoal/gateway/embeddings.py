"""``POST /v1/embeddings`` in OpenAI's format (float or base64 vectors)."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import numpy as np
import orjson

from shoal.errors import PolicyRefusedError
from shoal.gateway.chat import finish_record
from shoal.gateway.errors import to_api_error
from shoal.gateway.http import JSON_CT, ClientGone, Receive, Scope, Send, parse_json, read_body, send_error
from shoal.gateway.limits import NO_RESERVATION
from shoal.gateway.reserve import max_cost, text_tokens
from shoal.gateway.state import GatewayState, log
from shoal.gateway.validate import bad, req_str
from shoal.models.scan_text import inputs_text
from shoal.store import RequestRecord

MAX_INPUTS = 2048


def _inputs(data: dict[str, Any]) -> list[str]:
    value = data.get("input")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        if len(value) > MAX_INPUTS:
            raise bad("input", f"at most {MAX_INPUTS} texts per request (got {len(value)})")
        return value
    if isinstance(value, list) and value and all(isinstance(v, (int, list)) for v in value):
        raise bad("input", "token arrays are not supported; send text")
    raise bad("input", "expected a string or a non-empty array of strings")


async def handle_embeddings(state: GatewayState, scope: Scope, receive: Receive, send: Send) -> None:
    start = time.perf_counter()
    rid = uuid.uuid4().hex
    rec = RequestRecord(request_id=rid, ts=time.time(), endpoint="embeddings")
    headers = [(b"x-shoal-request-id", rid.encode())]
    reservation = NO_RESERVATION
    recorded = False
    try:
        caller = await state.auth.authenticate(scope)
        rec.key_id, rec.team = caller.key_id, caller.principal.team
        rec.user, rec.segment = caller.principal.user, caller.principal.segment
        body = await read_body(scope, receive, state.config.max_body_bytes)
        large = state.is_large(len(body))  # parsed and scanned off the event loop
        data = await state.off_loop(large, parse_json, body)
        name = req_str(data, "model")
        texts = _inputs(data)
        fmt = data.get("encoding_format", "float")
        if fmt not in ("float", "base64"):
            raise bad("encoding_format", "use 'float' or 'base64'")
        rec.requested_model = rec.served_model = name
        model = state.catalog.embedding_model(name)
        if model.spec.kind != "embedding":
            raise bad("model", f"{name!r} is a chat model; use an embedding model")
        scanner = state.pipeline.scanner
        if scanner is not None:
            # Inputs go to the embedding model just like prompts: an external embedder gets nothing
            # sensitive, scanned the same way (normalised, every input).
            text = inputs_text(texts)
            state.check_scan_size(len(text))
            sensitivity = await state.off_loop(large, scanner.scan, text)
            rec.sensitivity, rec.sensitivity_reasons = sensitivity.level, list(sensitivity.reasons)
            if sensitivity.is_sensitive and model.spec.locality != "self_hosted":
                raise PolicyRefusedError(
                    f"the input is {sensitivity.level} ({', '.join(sensitivity.reasons)}) and {name!r} is an "
                    "external model", reasons=list(sensitivity.reasons),
                    hint="use a self-hosted embedding model such as 'minilm'")
        scopes = state.scopes(caller)
        if scopes:
            tokens = sum(text_tokens(t) for t in texts)
            reservation = await state.limiter.admit(scopes, tokens=tokens,
                                                    usd=max_cost(tokens, 0, (model.spec,), None))
        result = await model.embed(texts)
        rec.served_model_id = result.model
        rec.prompt_tokens, rec.cost_usd = result.usage.prompt_tokens, result.cost_usd
        if fmt == "base64":
            items = [{"object": "embedding", "index": i,
                      "embedding": base64.b64encode(np.asarray(v, dtype="<f4").tobytes()).decode()}
                     for i, v in enumerate(result.vectors)]
        else:
            items = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(result.vectors)]
        body = orjson.dumps({"object": "list", "data": items, "model": name,
                             "usage": {"prompt_tokens": result.usage.prompt_tokens,
                                       "total_tokens": result.usage.prompt_tokens}},
                            option=orjson.OPT_SERIALIZE_NUMPY)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [JSON_CT, *headers, (b"x-shoal-model", name.encode("latin-1", "replace")),
                                (b"x-shoal-cost-usd", f"{rec.cost_usd:.8f}".encode())]})
        rec.latency_ms = (time.perf_counter() - start) * 1000.0
        finish_record(state, rec, reservation)
        recorded = True
        await send({"type": "http.response.body", "body": body})
    except ClientGone:
        rec.status, rec.error = 499, "client disconnected while sending the request"
    except Exception as exc:  # noqa: BLE001 - one clear error, one record
        err = to_api_error(exc)
        if err.code == "internal_error":
            log.exception("request %s failed", rid)
        rec.status, rec.error = err.status, err.message
        rec.latency_ms = (time.perf_counter() - start) * 1000.0
        finish_record(state, rec, reservation)
        recorded = True
        try:
            await send_error(send, err, headers)
        except Exception as gone:  # noqa: BLE001 - client gone
            log.debug("request %s: could not send the error: %s", rid, gone)
    finally:
        if not recorded:
            rec.latency_ms = (time.perf_counter() - start) * 1000.0
            finish_record(state, rec, reservation)
