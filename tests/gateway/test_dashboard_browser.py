"""The dashboard in a real headless Chromium (Debian's, driven by Playwright; no browser download).

Screenshots of every page are kept under tmp/artifacts/dashboard/ (not committed). Skips only when
chromium or playwright is missing.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shoal.store import RequestRecord
from tests.gateway.conftest import ADMIN_KEY, Live, live_gateway, make_settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "tmp" / "artifacts" / "dashboard"
PAGES = ("overview", "spend", "routing", "privacy", "requests", "evals", "feedback", "models", "tco")
MODELS = {
    "llama": {"provider": "testing", "locality": "self_hosted", "hourly_cost": 2.0, "max_tokens_per_s": 500},
    "gpt": {"provider": "testing", "locality": "external", "input_price": 2.5, "output_price": 10.0},
}

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Live]:
    settings = make_settings(tmp_path, models=MODELS, default_model="gpt")
    with live_gateway(settings) as live:
        now = time.time()
        for i in range(300):
            team = ("hr", "eng", "sales")[i % 3]
            sensitive = team == "hr" and i % 2 == 0
            score = (i * 37 % 100) / 100
            live.store.record_request(RequestRecord(
                request_id=f"req-{i:04d}", ts=now - 6 * 86400 + i * 1700, team=team, user=f"{team}-{i % 7}",
                served_model="llama" if sensitive or score >= 0.6 else "gpt",
                route="privacy" if sensitive else "router",
                route_reasons=["privacy:self_hosted-only"] if sensitive else
                [f"router:p_ok={score:.2f}{'>=' if score >= 0.6 else '<'}0.60→{'llama' if score >= 0.6 else 'gpt'}"],
                sensitivity="confidential" if sensitive else "public",
                sensitivity_reasons=["topic:compensation"] if sensitive else [],
                prompt_tokens=200 + i, completion_tokens=80, cost_usd=0.0 if sensitive or score >= 0.6 else 0.0013,
                latency_ms=80.0 + (i % 13) * 40, status=500 if i % 41 == 0 else 200,
                stream=i % 2 == 0, ttft_ms=40.0 + (i % 11) * 15 if i % 2 == 0 else None,
                request_messages=[{"role": "user", "content": f"question {i}"}], response_text=f"answer {i}"))
        live.store.flush()
        yield live


def _login(page: Any, url: str, key: str) -> None:
    page.goto(f"{url}/dashboard")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_selector("#page[data-ready]")


def _collect_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_every_page_renders_without_console_errors(browser: Any, gw: Live) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = _collect_errors(page)
    _login(page, gw.url, ADMIN_KEY)
    for name in PAGES:
        page.evaluate("document.getElementById('page').removeAttribute('data-ready')")
        page.goto(f"{gw.url}/dashboard#/{name}")
        page.wait_for_selector(f"#page[data-ready='{name}']")
        assert page.locator("#page .error").count() == 0, page.locator("#page .error").all_inner_texts()
        assert page.locator(f"#page-{name} h2").count() == 1
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        if name == "overview":  # time to first token: half the records were streamed
            text = page.inner_text("#page")
            assert "time to first token (150 streamed requests)" in text
            assert page.locator("#page-overview .panel svg").count() == 6
    assert errors == []
    # A click on a logged request opens its detail, content included for the admin.
    page.goto(f"{gw.url}/dashboard#/requests")
    page.wait_for_selector("#requests-table tbody tr")
    page.locator("#requests-table tbody tr").first.click()
    page.wait_for_selector("#request-detail table")
    page.screenshot(path=str(ARTIFACTS / "request-detail.png"), full_page=True)
    assert "answer 299" in page.inner_text("#request-detail")
    page.close()


def test_a_team_key_cannot_see_another_teams_data(browser: Any, gw: Live) -> None:
    key = gw.create_key(team="eng", user="ann")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    _collect_errors(page)
    _login(page, gw.url, key)
    assert page.inner_text("#who") == "team eng"
    assert page.locator("#team").is_disabled()
    page.goto(f"{gw.url}/dashboard#/requests")
    page.wait_for_selector("#page[data-ready='requests'] #requests-table")
    teams = {t.strip() for t in page.locator("#requests-table tbody td:nth-child(2)").all_inner_texts()}
    assert teams == {"eng"}
    page.goto(f"{gw.url}/dashboard#/spend")
    page.wait_for_selector("#page[data-ready='spend']")
    text = page.inner_text("#page")
    assert "hr-" not in text and "sales" not in text
    # Asking the API for another team with this key is refused, whatever the page does.
    status = page.evaluate("""async (key) => (await fetch('/v1/dashboard/overview?team=hr',
        {headers: {authorization: 'Bearer ' + key}})).status""", key)
    assert status == 403
    page.screenshot(path=str(ARTIFACTS / "team-spend.png"), full_page=True)
    page.close()


def test_a_what_if_change_updates_the_tco_table(browser: Any, gw: Live) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    errors = _collect_errors(page)
    _login(page, gw.url, ADMIN_KEY)
    page.goto(f"{gw.url}/dashboard#/tco")
    page.wait_for_selector("#page[data-ready='tco'] #tco-table")
    cell = "#tco-table td[data-option='build'][data-field='monthly_usd']"
    before = page.inner_text(cell)
    page.evaluate("document.getElementById('page').removeAttribute('data-ready')")
    page.fill("#assumptions input[name='engineer_hourly_usd']", "250")
    page.click("#recalculate")
    page.wait_for_selector("#page[data-ready='tco'] #tco-table")
    after = page.inner_text(cell)
    assert before != after

    def usd(text: str) -> float:
        return float(text.replace("$", "").replace(",", ""))

    # 40 ops hours a month at $250 instead of $100: +$6,000 on Build.
    assert usd(after) - usd(before) == pytest.approx(40 * 150, abs=0.01)
    assert page.input_value("#assumptions input[name='engineer_hourly_usd']") == "250"
    assert "what-if" in page.inner_text("#assumptions")
    page.screenshot(path=str(ARTIFACTS / "tco-what-if.png"), full_page=True)
    assert errors == []
    page.close()
