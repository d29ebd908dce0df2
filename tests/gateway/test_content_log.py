"""Content logging: masked by default (detected spans replaced), raw only when configured, sensitive
content readable by the admin key only, refused prompts stored masked too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from shoal.store import RequestFilter
from tests.gateway.conftest import ADMIN_KEY, Live, live_gateway, make_settings

EMAIL = "dana.whitfield@examplemail.com"
SECRET = "sk-proj-Zq8vN3xK7pLm2Rt5Wy9Bc4Hd6Jf1Gs0A"
PROMPT = f"Please write to {EMAIL} and use the key {SECRET} for the deploy."
ECHO_MODELS: dict[str, Any] = {
    "onprem": {"provider": "testing", "locality": "self_hosted", "options": {"echo": True}},
}


def chat(live: Live, key: str, content: str, *, model: str = "onprem", stream: bool = False,
         path: str = "/v1/chat/completions") -> httpx.Response:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": content}], "stream": stream}
    if path == "/v1/messages":
        body["max_tokens"] = 64
    return httpx.post(live.url + path, headers={"Authorization": f"Bearer {key}"}, json=body, timeout=30)


def stored(live: Live) -> list[Any]:
    live.store.flush()
    return live.store.query_requests(RequestFilter(), 100)


def on_disk(live: Live) -> bytes:
    live.store.flush()
    data = live.settings.data_dir
    return b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file() and "shoal.db" in p.name
                    or p.suffix in (".jsonl", ".rejected"))


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
def test_default_masks_prompt_and_answer(tmp_path: Path, stream: bool, path: str) -> None:
    with live_gateway(make_settings(tmp_path, models=ECHO_MODELS, default_model="onprem")) as live:
        response = chat(live, live.create_key(team="t"), PROMPT, stream=stream, path=path)
        assert response.status_code == 200 and EMAIL in response.text  # the client gets its answer
        [rec] = stored(live)
        assert rec.request_messages is not None and rec.response_text
        logged = rec.request_messages[0]["content"]
        assert EMAIL not in logged and SECRET not in logged and "[EMAIL_ADDRESS_1]" in logged
        assert "[CREDENTIAL_1]" in logged and "write to" in logged
        assert EMAIL not in rec.response_text and "[EMAIL_ADDRESS_1]" in rec.response_text
        disk = on_disk(live)
        assert EMAIL.encode() not in disk and SECRET.encode() not in disk


def test_large_content_is_masked_too(tmp_path: Path) -> None:
    filler = "The quarterly plan covers hiring and the roadmap. " * 100
    with live_gateway(make_settings(tmp_path, models=ECHO_MODELS, default_model="onprem")) as live:
        assert chat(live, live.create_key(team="t"), filler + PROMPT).status_code == 200
        [rec] = stored(live)
        assert EMAIL not in str(rec.request_messages) and EMAIL not in (rec.response_text or "")
        assert "[EMAIL_ADDRESS_1]" in str(rec.request_messages)


@pytest.mark.parametrize(("setting", "kept"), [("raw", True), (True, False), ("off", None), (False, None)])
def test_modes(tmp_path: Path, setting: object, kept: bool | None) -> None:
    settings = make_settings(tmp_path, models=ECHO_MODELS, default_model="onprem",
                             gateway={"log_content": setting})
    with live_gateway(settings) as live:
        assert chat(live, live.create_key(team="t"), PROMPT).status_code == 200
        [rec] = stored(live)
    if kept is None:
        assert rec.request_messages is None and rec.response_text is None
    else:
        assert (EMAIL in rec.request_messages[0]["content"]) is kept
        assert (EMAIL in (rec.response_text or "")) is kept


def test_refused_sensitive_prompt_is_stored_masked(tmp_path: Path) -> None:
    external_only = {"cheap": {"provider": "testing", "locality": "external",
                               "options": {"responses": ["ok"]}}}
    settings = make_settings(tmp_path, models=external_only, routing={"privacy": {"on_external_pin": "refuse"}})
    with live_gateway(settings) as live:
        response = chat(live, live.create_key(team="t"), f"My SSN is 536-22-8844 and mail {EMAIL}", model="cheap")
        assert response.status_code == 403, response.text
        [rec] = stored(live)
        assert rec.status == 403 and EMAIL not in str(rec.request_messages) and "536-22-8844" not in str(
            rec.request_messages)
        assert EMAIL.encode() not in on_disk(live)


def test_sensitive_content_is_readable_by_admin_only(tmp_path: Path) -> None:
    with live_gateway(make_settings(tmp_path, models=ECHO_MODELS, default_model="onprem")) as live:
        key = live.create_key(team="support")
        colleague = live.create_key(team="support")
        sensitive = chat(live, key, PROMPT)
        plain = chat(live, key, "What is the capital of France?")
        assert sensitive.headers["x-shoal-sensitivity"] in ("confidential", "restricted")
        assert plain.headers["x-shoal-sensitivity"] not in ("confidential", "restricted")
        rid = sensitive.headers["x-shoal-request-id"]
        stored(live)

        def get(who: str, path: str) -> Any:
            r = httpx.get(live.url + path, headers={"Authorization": f"Bearer {who}"})
            assert r.status_code == 200, r.text
            return r.json()

        for who in (key, colleague):
            one = get(who, f"/v1/requests/{rid}")
            assert one["request_messages"] is None and one["response_text"] is None
            assert one["content_visible"] is False and one["sensitivity"] == sensitive.headers["x-shoal-sensitivity"]
            listed = {r["request_id"]: r for r in get(who, "/v1/requests")["data"]}
            assert listed[rid]["request_messages"] is None
            other = listed[plain.headers["x-shoal-request-id"]]
            assert other["request_messages"][0]["content"] == "What is the capital of France?"
        admin = get(ADMIN_KEY, f"/v1/requests/{rid}")
        assert "[EMAIL_ADDRESS_1]" in admin["request_messages"][0]["content"]
        # feedback keeps a copy of the answer: the same rule applies to it
        for request_id in (rid, plain.headers["x-shoal-request-id"]):
            r = httpx.post(live.url + "/v1/feedback", headers={"Authorization": f"Bearer {key}"},
                           json={"request_id": request_id, "rating": -1})
            assert r.status_code == 200, r.text
        answers = {f["request_id"]: f["original_response"] for f in get(colleague, "/v1/feedback")["data"]}
        assert answers[rid] is None and answers[plain.headers["x-shoal-request-id"]]
        admin_view = {f["request_id"]: f["original_response"] for f in get(ADMIN_KEY, "/v1/feedback")["data"]}
        assert "[EMAIL_ADDRESS_1]" in admin_view[rid]


def test_prompt_is_masked_even_with_the_privacy_scan_off(tmp_path: Path) -> None:
    """A clean scan vouches for the prompt only when the scan ran the detectors."""
    settings = make_settings(tmp_path, models=ECHO_MODELS, default_model="onprem", privacy={"enabled": False})
    with live_gateway(settings) as live:
        assert chat(live, live.create_key(team="t"), PROMPT).status_code == 200
        [rec] = stored(live)
    assert EMAIL not in str(rec.request_messages) and "[EMAIL_ADDRESS_1]" in str(rec.request_messages)
    assert EMAIL not in (rec.response_text or "")


def test_content_log_unit() -> None:
    from shoal.content_log import ContentLog
    from shoal.privacy.types import Span
    from shoal.store import RequestRecord

    def detect(text: str) -> list[Span]:
        i = text.find(EMAIL)
        return [Span(i, i + len(EMAIL), "EMAIL_ADDRESS", EMAIL)] if i >= 0 else []

    def rec() -> RequestRecord:
        return RequestRecord(request_id="r", ts=0.0, response_text=f"mail {EMAIL}",
                             request_messages=[{"role": "user", "content": f"to {EMAIL}", "tool_calls": [
                                 {"id": "1", "name": "send", "arguments": f'{{"to": "{EMAIL}"}}'}]}])

    messages, answer = ContentLog("masked", detect, scan_detects=True).masked(rec())
    assert messages == [{"role": "user", "content": "to [EMAIL_ADDRESS_1]", "tool_calls": [
        {"id": "1", "name": "send", "arguments": '{"to": "[EMAIL_ADDRESS_1]"}'}]}]
    assert answer == "mail [EMAIL_ADDRESS_1]"
    kept, answer = ContentLog("masked", detect, scan_detects=True).masked(rec(), prompt_clean=True)
    assert EMAIL in str(kept) and answer == "mail [EMAIL_ADDRESS_1]"  # the scan vouched for the prompt
    again, _ = ContentLog("masked", detect, scan_detects=False).masked(rec(), prompt_clean=True)
    assert EMAIL not in str(again)
    assert ContentLog("masked", None).masked(rec()) == (None, None)  # no detector: nothing kept
    assert ContentLog("off", detect).masked(rec()) == (None, None)
    assert ContentLog("raw", detect).masked(rec())[1] == f"mail {EMAIL}"


def test_masking_reuses_the_scans_spans_for_text_it_read_verbatim() -> None:
    """A message the scan read as a whole line of its text is masked with the scan's spans (the
    detectors do not run on it again); anything the scan did not read verbatim is detected anew."""
    from shoal.content_log import ContentLog
    from shoal.privacy.types import Sensitivity, Span
    from shoal.store import RequestRecord

    calls: list[str] = []

    def detect(text: str) -> list[Span]:
        calls.append(text)
        i = text.find(EMAIL)
        return [Span(i, i + len(EMAIL), "EMAIL_ADDRESS", EMAIL)] if i >= 0 else []

    first, second = f"to {EMAIL}", "call Bob about it"
    # "Bobby" on the first line must not stand for the message "Bob": pieces match whole lines only.
    scanned_text = f"Bobby\n{first}\n{second}\nsend"
    at = scanned_text.find(EMAIL)
    bob = scanned_text.find("Bob about")
    scanned = Sensitivity("confidential", ("pii:EMAIL_ADDRESS",), spans=(
        Span(at, at + len(EMAIL), "EMAIL_ADDRESS", EMAIL),
        Span(bob, bob + 3, "PERSON", "Bob"),
        # An address the scan extended over the line break into the next message: cut at the edge.
        Span(scanned_text.find("it\nsend"), scanned_text.find("it\nsend") + 7, "STREET_ADDRESS", "it\nsend"),
    ), text=scanned_text)

    def rec(*contents: str) -> RequestRecord:
        return RequestRecord(request_id="r", ts=0.0, response_text="ok",
                             request_messages=[{"role": "user", "content": c} for c in contents])

    log = ContentLog("masked", detect, scan_detects=True)
    messages, _ = log.masked(rec(first, second), scanned=scanned)
    assert messages == [{"role": "user", "content": "to [EMAIL_ADDRESS_1]"},
                        {"role": "user", "content": "call [PERSON_1] about [STREET_ADDRESS_1]"}]
    assert calls == ["ok"]  # only the answer, which the scan never read
    calls.clear()
    messages, _ = log.masked(rec("Bob", f"write {EMAIL}"), scanned=scanned)
    assert messages == [{"role": "user", "content": "Bob"}, {"role": "user", "content": "write [EMAIL_ADDRESS_1]"}]
    assert calls == ["Bob", f"write {EMAIL}", "ok"]  # not whole lines of the scanned text: detected anew
    calls.clear()
    # A scan whose detectors were off vouches for nothing: everything is detected anew.
    ContentLog("masked", detect, scan_detects=False).masked(rec(first), scanned=scanned)
    assert calls == [first, "ok"]
    calls.clear()
    # A clean scan vouches for the prompt, as prompt_clean does.
    log.masked(rec(first), scanned=Sensitivity())
    assert calls == ["ok"]


def test_scan_keeps_the_text_its_spans_point_into() -> None:
    """``Sensitivity.text`` is the normalised one-window text the spans index, only when there are spans."""
    from shoal.privacy.scanner import PrivacyScanner

    scanner = PrivacyScanner()
    prompt = f"Write to {EMAIL}\u200b today"  # the zero-width space is normalised away
    result = scanner.scan(prompt)
    assert result.text and "\u200b" not in result.text
    assert [result.text[s.start:s.end] for s in result.spans] == [s.text for s in result.spans]
    assert scanner.scan("What is the capital of France?").text == ""
