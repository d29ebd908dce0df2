"""Varied, generated chat requests for the benchmarks: no two alike, a realistic mix.

``requests(n, seed)`` yields OpenAI chat-completion bodies: general questions, coding tasks,
summaries of generated paragraphs, e-mails to generated people, multi-turn conversations, tool
calls with results, and about a fifth carrying personal data (e-mail addresses, phone numbers,
SSNs, IBANs, salaries of named people) — the kinds of text the privacy scan must read. Lengths
range from a line to a couple of thousand tokens. Names, addresses and numbers come from Faker in
several locales, so the scan never sees the same text twice; every body is distinct.

``prompt_of_tokens(tokens, rng)`` builds one prose prompt of about that many tokens (4 characters a
token, the usual rule of thumb for English), for latency percentiles at a fixed size.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from faker import Faker

_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES"]

TOPICS = ["consumer group rebalancing in Kafka", "rate limiting with Redis", "the CAP theorem", "vector clocks",
          "B-tree page splits", "TLS session resumption", "how HTTP/2 multiplexing works", "Python's GIL",
          "write-ahead logging", "Raft leader election", "the Luhn algorithm", "zero-downtime migrations",
          "feature flags", "blue-green deployments", "OAuth device flow", "CRDTs", "bloom filters",
          "photosynthesis", "the French Revolution", "plate tectonics", "compound interest", "the Krebs cycle",
          "how vaccines train the immune system", "the causes of inflation", "Roman aqueducts"]
AUDIENCES = ["a new engineer", "a product manager", "a ten-year-old", "a CFO", "a first-year student"]
LANGS = ["Python", "TypeScript", "Go", "Rust", "SQL", "Java", "Bash"]
TASKS = ["parses ISO-8601 dates and returns the weekday", "deduplicates a list while keeping order",
         "retries an HTTP call with exponential backoff", "merges two sorted arrays",
         "validates an e-mail address", "computes a moving average over a stream",
         "reads a CSV file and sums one column", "finds the longest common prefix of strings",
         "renders a table of results as Markdown", "converts Celsius to Fahrenheit"]


_FAKERS: dict[str, Faker] = {}


def _fake(rng: random.Random) -> Faker:
    locale = rng.choice(_LOCALES)
    fake = _FAKERS.get(locale)
    if fake is None:
        fake = _FAKERS[locale] = Faker(locale)  # building one takes milliseconds: one per locale
    fake.seed_instance(rng.getrandbits(32))
    return fake


def _prose(rng: random.Random) -> Faker:
    # English words for prose (the other locales' lorem is Latin); names and places stay varied.
    fake = _FAKERS.get("en_US") or _FAKERS.setdefault("en_US", Faker("en_US"))
    fake.seed_instance(rng.getrandbits(32))
    return fake


def _paragraphs(fake: Faker, rng: random.Random, words: int) -> str:
    out: list[str] = []
    count = 0
    prose = _prose(rng)
    while count < words:
        p = prose.paragraph(nb_sentences=rng.randint(3, 8))
        out.append(p)
        count += len(p.split())
    return "\n\n".join(out)


def _general(fake: Faker, rng: random.Random) -> str:
    return rng.choice([
        f"Explain {rng.choice(TOPICS)} to {rng.choice(AUDIENCES)} in {rng.randint(2, 6)} short paragraphs.",
        f"What are the trade-offs of {rng.choice(TOPICS)}? Give {rng.randint(3, 7)} bullet points.",
        f"Compare {rng.choice(TOPICS)} with {rng.choice(TOPICS)}; when would you pick each?",
        f"Write a {rng.randint(4, 12)}-line poem about {fake.word()} and {fake.word()}.",
        f"Suggest {rng.randint(3, 10)} names for a {fake.color_name().lower()} {fake.word()} app.",
    ])


def _coding(fake: Faker, rng: random.Random) -> str:
    snippet = "\n".join(f"    {fake.word()}_{i} = {rng.randint(0, 999)}" for i in range(rng.randint(2, 12)))
    return (f"Write a {rng.choice(LANGS)} function that {rng.choice(TASKS)}. Include tests.\n"
            f"Here is the surrounding code:\n```\ndef {fake.word()}_{fake.word()}():\n{snippet}\n```")


def _summary(fake: Faker, rng: random.Random) -> str:
    words = rng.choice([80, 150, 300, 600, 1200])
    return f"Summarise the following in {rng.randint(2, 5)} sentences:\n\n{_paragraphs(fake, rng, words)}"


def _business(fake: Faker, rng: random.Random) -> str:
    return (f"Draft a short note to the {fake.job().lower()} team at {fake.company()} about "
            f"{rng.choice(['the Q3 planning offsite', 'the new expense policy', 'the office move', 'the product launch'])}"
            f" on {fake.day_of_week()}.")


def _sensitive(fake: Faker, rng: random.Random) -> str:
    name = fake.name()
    return rng.choice([
        f"Send the signed offer to {fake.email()} and copy {name}.",
        f"Call {name} on {fake.phone_number()} about the overdue invoice {rng.randint(1000, 99999)}.",
        (f"Update the payroll record: {name}, SSN {rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}, "
        f"new salary {rng.randint(40, 250) * 1000} per year."),
        f"Wire the refund to {name}, IBAN GB{rng.randint(10, 99)}NWBK{rng.randint(10**13, 10**14 - 1)}.",
        f"{name} lives at {fake.address().replace(chr(10), ', ')}; please mail the tax forms there.",
        (f"Summarise {name}'s performance review: missed {rng.randint(2, 9)} deadlines, on a PIP since "
        f"{fake.month_name()}."),
    ])


def _messages(fake: Faker, rng: random.Random) -> list[dict[str, Any]]:
    kind = rng.choices(["general", "coding", "summary", "business", "sensitive"], [30, 20, 15, 15, 20])[0]
    text = {"general": _general, "coding": _coding, "summary": _summary, "business": _business,
            "sensitive": _sensitive}[kind](fake, rng)
    shape = rng.random()
    if shape < 0.6:
        return [{"role": "user", "content": text}]
    if shape < 0.85:
        return [{"role": "system", "content": f"You are a helpful assistant for {fake.company()}."},
                {"role": "user", "content": _general(fake, rng)},
                {"role": "assistant", "content": _prose(rng).paragraph(nb_sentences=rng.randint(2, 5))},
                {"role": "user", "content": text}]
    call = {"id": f"call_{rng.getrandbits(40):x}", "type": "function",
            "function": {"name": "search_orders", "arguments": json.dumps({"query": fake.word(),
                                                                           "limit": rng.randint(1, 50)})}}
    return [{"role": "user", "content": text},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(
                [{"order": rng.randint(10000, 99999), "status": rng.choice(["shipped", "open", "late"])}
                 for _ in range(rng.randint(1, 5))])},
            {"role": "user", "content": "Thanks, what should I tell the customer?"}]


TOOLS = [{"type": "function", "function": {
    "name": "search_orders", "description": "Search the order database",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}}}}}]


def requests(n: int, seed: int = 0, model: str = "auto") -> Iterator[dict[str, Any]]:
    """``n`` distinct chat-completion bodies (see the module docstring)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    made = 0
    while made < n:
        messages = _messages(_fake(rng), rng)
        body: dict[str, Any] = {"model": model, "messages": messages}
        if any(m.get("tool_calls") for m in messages):
            body["tools"] = TOOLS
        key = json.dumps(body, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        made += 1
        yield body


def prompt_of_tokens(tokens: int, rng: random.Random) -> str:
    """Prose of about ``tokens`` tokens (4 characters each), with a little personal data now and then."""
    fake = _fake(rng)
    target = tokens * 4
    parts: list[str] = [_general(fake, rng)]
    size = len(parts[0])
    while size < target:
        piece = _sensitive(fake, rng) if rng.random() < 0.1 else _prose(rng).paragraph(nb_sentences=rng.randint(2, 6))
        parts.append(piece)
        size += len(piece) + 1
    return " ".join(parts)[:target]
