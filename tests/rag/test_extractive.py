"""Extractive RAG answers: sentence splitting, which models quote, what is quoted, and the request path
(chat, stream, records, evals) over the shipped sample handbook with scripted models."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

import shoal
from shoal.config import Settings, parse_config
from shoal.errors import ConfigError
from shoal.models.testing import HashEmbeddingModel
from shoal.rag.config import AnswerConfig
from shoal.rag.extractive import NOT_COVERED, ExtractiveAnswerer, params_of, split_sentences
from shoal.wiring import open_store

from .test_ingest import ingest

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "handbook"
EMBED = HashEmbeddingModel(dim=64)
SCRIPTED_NEVER = "the scripted model was called"


def embed(texts: Any) -> list[list[float]]:
    return [EMBED.vector(t) for t in texts]


def answerer(ids: dict[str, str] | None = None, **cfg: Any) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(AnswerConfig(**cfg), (ids or {}).get, embed)


def test_sentences_join_wrapped_lines_and_keep_bullets_and_abbreviations() -> None:
    text = ("# Leave\n\nEvery employee receives 25 days of paid\nannual leave per year. Unused days expire,\n"
            "e.g. on 31 March.\n\n- Request leave in the portal two weeks ahead.\n- Short.\n"
            "| Level | Pay |\n|---|---|\n| E3 | 63,000 to 78,000 euros |\n")
    assert split_sentences(text) == [
        "Every employee receives 25 days of paid annual leave per year.",
        "Unused days expire, e.g. on 31 March.",
        "Request leave in the portal two weeks ahead.",
        "E3; 63,000 to 78,000 euros",
    ]


@pytest.mark.parametrize(("model_id", "params"), [
    ("SmolLM2-135M-Instruct-Q4_1", 135e6), ("Qwen2.5-0.5B-Instruct", 0.5e9), ("meta-llama/Llama-3.3-70B", 70e9),
    ("gpt-4o-mini", None), ("Mixtral-8x7B-Instruct", None), ("claude-sonnet-4-5", None),
])
def test_parameter_count_is_read_from_the_model_id(model_id: str, params: float | None) -> None:
    assert params_of(model_id) == params


def test_which_models_answer_extractively() -> None:
    ids = {"local": "SmolLM2-135M-Instruct", "big": "Llama-3.3-70B", "gpt": "gpt-4o"}
    a = answerer(ids)
    assert a.extractive_for("local") and not a.extractive_for("big") and not a.extractive_for("gpt")
    assert a.extractive_for("big", "extractive") and not a.extractive_for("local", "generative")
    assert not answerer(ids, mode="generative").extractive_for("local")
    assert answerer(ids, extractive_models=("gpt",)).extractive_for("gpt")
    assert not answerer(ids, generative_models=("local",)).extractive_for("local")
    assert not answerer(ids, extractive_below_params=1e8).extractive_for("local")
    with pytest.raises(ConfigError, match="answer mode"):
        a.extractive_for("local", "summarise")


def test_the_answering_sentence_is_quoted_with_its_source_number() -> None:
    passages = [
        "Book travel through the travel desk. Economy class is the default for all flights.",
        ("Harbor Lane pays 16 weeks of parental leave at full salary to every parent.\n"
         "Parental leave must be taken within 18 months of the birth or adoption."),
    ]
    a = answerer(max_sentences=1)
    text = a.answer("How many weeks of parental leave does Harbor Lane pay?", passages)
    assert text == "Harbor Lane pays 16 weeks of parental leave at full salary to every parent. [2]"
    two = answerer(max_sentences=2, relative_cutoff=0.1).answer("How many weeks of parental leave?", passages)
    # Quoted in document order, each sentence with its own citation.
    assert two.index("16 weeks") < two.index("18 months") and two.count("[2]") == 2


def test_nothing_relevant_says_the_documents_do_not_cover_it() -> None:
    a = answerer()
    assert a.answer("What is the capital of France?", []) == NOT_COVERED
    assert a.answer("What is the capital of France?", ["Economy class is the default for all flights."]) \
        == NOT_COVERED


# --- the request path, over the shipped sample handbook --------------------------------------------

MODELS: dict[str, Any] = {
    "tiny": {"provider": "testing", "model": "tiny-135M", "locality": "self_hosted",
             "options": {"responses": [SCRIPTED_NEVER]}},
    "big": {"provider": "testing", "model": "big-70B", "locality": "self_hosted", "input_price": 1.0,
            "options": {"responses": ["generated answer [1]"]}},
    "minilm": {"provider": "testing", "kind": "embedding", "options": {"dim": 64}},
}


def project(tmp_path: Path, **answer: Any) -> Settings:
    # The hashing embedder's cosines are near zero for any two different texts: word overlap decides.
    answer.setdefault("min_score", 0.1)
    shutil.copytree(SAMPLE, tmp_path / "docs")
    data = {"default_model": "tiny", "data_dir": str(tmp_path / ".shoal"), "models": MODELS,
            "rag": {"rules": [{"glob": "hr/**", "label": "confidential", "groups": ["hr"]}], "answer": answer,
                    "min_similarity": -1}}
    settings = Settings(parse_config(data, "test.yaml"), tmp_path / "shoal.yaml")
    ingest(settings, tmp_path / "docs")
    return settings


def test_client_answers_extractively_streamed_or_not_and_records_it(tmp_path: Path) -> None:
    settings = project(tmp_path)
    hr = shoal.Principal.of("ann", groups="hr")
    question = "How many weeks of parental leave does Harbor Lane pay?"
    with shoal.SyncClient(settings) as client:
        r = client.chat(question, principal=hr, retrieve=True)
        stream = client.stream(question, principal=hr, retrieve=True)
        streamed = "".join(c.delta for c in stream)
    assert SCRIPTED_NEVER not in r.text
    assert "16 weeks of parental leave" in r.text and "[1]" in r.text
    assert r.citations[0].path == "docs/leave.md"
    assert r.model == "tiny" and r.model_id == "extractive" and "answer:extractive" in r.reasons
    assert r.cost_usd == 0 and r.usage.total_tokens == 0
    assert [(a.model, a.outcome) for a in r.call.attempts] == [("tiny", "ok")]
    assert streamed == r.text == stream.result.text and "answer:extractive" in stream.result.reasons
    store = open_store(settings)
    try:
        rec = store.get_request(r.request_id or "")
    finally:
        store.close()
    assert (rec.served_model, rec.status, rec.cost_usd) == ("tiny", 200, 0)
    assert rec.route_reasons and "answer:extractive" in rec.route_reasons


def test_acl_holds_for_quotes_and_larger_models_still_generate(tmp_path: Path) -> None:
    settings = project(tmp_path)
    question = "What does a level E3 engineer earn?"
    with shoal.SyncClient(settings, record=False) as client:
        outsider = client.chat(question, retrieve=True)
        insider = client.chat(question, principal=shoal.Principal.of("ann", groups="hr"), retrieve=True)
        big = client.chat(question, model="big", principal=shoal.Principal.of("ann", groups="hr"), retrieve=True)
        tools = client.chat(question, retrieve=True, tools=[{"type": "function", "function": {
            "name": "lookup", "parameters": {"type": "object", "properties": {}}}}])
    assert "63,000" not in outsider.text  # hr/ is confidential to the hr group: never quoted to others
    assert all(not c.path.startswith("docs/hr/") for c in outsider.citations)
    assert "63,000 to 78,000 euros" in insider.text
    assert big.text == "generated answer [1]" and "answer:extractive" not in big.reasons
    assert tools.text == SCRIPTED_NEVER  # a tool request needs the model: never quoted


def test_generative_mode_in_config_turns_quoting_off(tmp_path: Path) -> None:
    settings = project(tmp_path, mode="generative")
    with shoal.SyncClient(settings, record=False) as client:
        r = client.chat("How many days of annual leave do I get?", retrieve=True)
    assert r.text == SCRIPTED_NEVER


def test_eval_runs_generative_and_extractive_targets_side_by_side(tmp_path: Path) -> None:
    from shoal.evals.runner import arun_eval
    from shoal.wiring import catalog, eval_project

    settings = project(tmp_path)
    (tmp_path / "items.jsonl").write_text(
        '{"id": "a", "input": "How many days of paid annual leave does a full-time employee get?", '
        '"reference": "25 days", "expected_docs": ["leave.md"]}\n')
    (tmp_path / "spec.yaml").write_text(
        "name: sample\ndataset: items.jsonl\ntargets:\n"
        "  - {name: gen, rag: {collection: default, model: tiny, answer: generative}}\n"
        "  - {name: ext, rag: {collection: default, model: tiny, answer: extractive}}\n"
        "metrics: [contains, citation_validity, groundedness]\n")
    result = asyncio.run(arun_eval(tmp_path / "spec.yaml", eval_project(settings), catalog(settings), progress=False,
                                   report=False))
    by_target = {r.target: r for r in result.records}
    assert by_target["gen"].output == SCRIPTED_NEVER
    ext = by_target["ext"]
    assert "25 days of paid annual leave" in ext.output and ext.cost_usd == 0
    assert ext.scores["contains"]["value"] == 1.0 and ext.scores["citation_validity"]["value"] == 1.0
    assert ext.scores["groundedness"]["value"] == 1.0
    assert "answer:extractive" in ext.route_reasons
