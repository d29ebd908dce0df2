"""Through the gateway, a collection answered by a small model quotes its sources (streamed or not),
with the route reasons, citations and zero cost in the response, and the caller's ACL holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import openai

from shoal.wiring import catalog as build_catalog
from tests.rag.test_ingest import ingest

from .conftest import live_gateway, make_settings

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "handbook"
MODELS = {
    "tiny": {"provider": "testing", "model": "tiny-135M", "locality": "self_hosted",
             "options": {"responses": ["the scripted model was called"]}},
    "minilm": {"provider": "testing", "kind": "embedding", "options": {"dim": 64}},
}


def test_collection_answer_is_extractive_streamed_or_not(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "docs")
    settings = make_settings(tmp_path, models=MODELS, default_model="tiny",
                             rag={"min_similarity": -1, "answer": {"min_score": 0.1},
                                  "rules": [{"glob": "hr/**", "label": "confidential", "groups": ["hr"]}]})
    catalog = build_catalog(settings, check=False)
    ingest(settings, tmp_path / "docs")
    question = [{"role": "user", "content": "How many weeks of parental leave does Harbor Lane pay?"}]
    with live_gateway(settings, catalog=catalog) as live:
        client = openai.OpenAI(base_url=f"{live.url}/v1", api_key=live.create_key(team="t"), max_retries=0)
        raw = client.chat.completions.with_raw_response.create(model="default", messages=question)
        reply = raw.parse()
        streamed = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
            model="default", messages=question, stream=True) if c.choices)
        salary = client.chat.completions.create(model="default", messages=[
            {"role": "user", "content": "What does a level E3 engineer earn?"}])
    text = reply.choices[0].message.content or ""
    assert "16 weeks of parental leave" in text and "[1]" in text and "scripted" not in text
    assert streamed == text
    assert "answer:extractive" in raw.headers["x-shoal-route-reasons"]
    assert float(raw.headers["x-shoal-cost-usd"]) == 0
    assert "63,000" not in (salary.choices[0].message.content or "")  # a team key is in no group
