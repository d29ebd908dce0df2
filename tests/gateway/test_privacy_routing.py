"""With the real privacy scanner and policy engine: sensitive prompts stay on self-hosted models."""

from __future__ import annotations

from pathlib import Path

import openai

from shoal.wiring import catalog as build_catalog
from tests.gateway.conftest import live_gateway, make_settings, routed_pipeline

MODELS = {
    "frontier": {"provider": "testing", "locality": "external", "input_price": 2.5, "output_price": 10.0,
                 "options": {"responses": ["external answer"]}},
    "onprem": {"provider": "testing", "locality": "self_hosted", "options": {"responses": ["self-hosted answer"]}},
}


def test_sensitive_prompt_is_served_self_hosted_and_the_header_says_why(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, models=MODELS, default_model="frontier")
    catalog = build_catalog(settings, check=False)
    with live_gateway(settings, catalog=catalog, pipeline=routed_pipeline(settings, catalog)) as live:
        client = openai.OpenAI(base_url=f"{live.url}/v1", api_key=live.create_key(team="hr"), max_retries=0)
        plain = client.chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content": "Write a haiku about autumn leaves."}])
        sensitive = client.chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content":
                                     "Email jane.doe@examplemail.com her new salary: 120000 EUR, IBAN "
                                     "DE75512108001245126199."}])
        record = live.store.get_request(sensitive.headers["x-shoal-request-id"])
    assert plain.headers["x-shoal-model"] == "frontier"
    assert plain.parse().choices[0].message.content == "external answer"
    assert sensitive.headers["x-shoal-model"] == "onprem"
    assert sensitive.parse().choices[0].message.content == "self-hosted answer"
    assert sensitive.headers["x-shoal-sensitivity"] in ("confidential", "restricted")
    assert "privacy:self_hosted-only" in sensitive.headers["x-shoal-route-reasons"]
    assert "pii:EMAIL_ADDRESS" in sensitive.headers["x-shoal-route-reasons"]
    # The external model never saw the sensitive prompt.
    seen = [m.text for r in catalog.chat_model("frontier").requests for m in r.messages]  # type: ignore[attr-defined]
    assert not any("jane.doe" in t for t in seen)
    assert record.served_model == "onprem" and "privacy:self_hosted-only" in record.route_reasons
