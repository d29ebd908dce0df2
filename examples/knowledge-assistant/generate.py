#!/usr/bin/env python3
"""Generate the knowledge-assistant scenario's data (seeded, offline): questions employees ask,
the answers each model gives (replayed by ``provider: replay``), eval sets and a month of traffic.

Northwind (2,000 employees in hr, engineering, sales, support, finance) runs an internal assistant.
Questions come from templates in four kinds; every question has a reference fact:

- ``hr`` — about a named colleague's pay, review, leave or dismissal: confidential;
- ``policy`` — handbook questions (leave, expenses, benefits): easy for the 8B model;
- ``engineering`` — design, SQL and debugging questions: where the frontier model is better;
- ``drafting`` — customer e-mails and summaries: mostly fine on the 8B model.

Answers: the frontier model states the reference 95 % of the time; the self-hosted 8B model 93 %
on policy, 90 % on hr, 80 % on drafting and 45 % on engineering (otherwise it answers without
the fact). Eval train and test sets use disjoint fill-ins (held out by template values, not by
row); traffic draws from the whole space.

    python generate.py --out data [--requests 12000]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

FIRST = ["Dana", "Luis", "Priya", "Tomasz", "Aiko", "Grace", "Omar", "Ines", "Kwame", "Sofia", "Ravi", "Hannah",
         "Mateo", "Yara", "Jonas", "Mei", "Elena", "Samuel", "Noor", "Lukas"]
LAST = ["Whitfield", "Moreno", "Raman", "Kowalski", "Tanaka", "Okafor", "Haddad", "Silva", "Mensah", "Rossi",
        "Iyer", "Becker", "Alvarez", "Nasser", "Lindqvist", "Chen", "Petrova", "Adeyemi", "Farah", "Novak"]
CITIES = ["Chicago", "Denver", "Boston", "Austin", "Seattle", "Atlanta", "Phoenix", "Portland", "Miami", "Dallas"]
SERVICES = ["billing", "search", "checkout", "notifications", "inventory", "reporting", "onboarding", "payments"]
TABLES = ["orders", "invoices", "tickets", "shipments", "subscriptions", "refunds"]
TOPICS = ["the delayed shipment", "the price change", "the renewal", "the outage last week", "the new plan",
          "the invoice error", "the onboarding call"]

KINDS = {
    "hr": [
        ("What is {person}'s current salary?", "salary band"),
        ("How did {person}'s last performance review go?", "review"),
        ("Is {person} on the list for the upcoming layoffs?", "layoff"),
        ("What bonus did {person} receive this year?", "bonus"),
        ("Why is {person} on medical leave?", "medical leave"),
    ],
    "policy": [
        ("How many vacation days do employees in {city} get?", "25 days"),
        ("What is the travel per diem for a trip to {city}?", "per diem"),
        ("How do I submit an expense report for my trip to {city}?", "expense portal"),
        ("When does benefits open enrollment start for the {city} office?", "November"),
        ("How many weeks of parental leave does the {city} office offer?", "16 weeks"),
    ],
    "engineering": [
        ("How should we design rate limiting for the {service} service under bursty load?", "token bucket"),
        ("Write a SQL query that finds duplicate rows in the {table} table.", "GROUP BY"),
        ("Why would the {service} service leak connections under load, and how do we find it?", "pool"),
        ("Compare event sourcing and CRUD for the {service} service.", "event log"),
        ("How do we make the {table} migration safe to run with zero downtime?", "backfill"),
    ],
    "drafting": [
        ("Draft a short e-mail to a customer about {topic}.", "Dear"),
        ("Summarise the customer call about {topic} in three bullet points.", "- "),
        ("Write a polite reply declining a refund for {topic}.", "regret"),
    ],
}
SELF_HOSTED_RIGHT = {"hr": 0.90, "policy": 0.93, "engineering": 0.45, "drafting": 0.80}
FRONTIER_RIGHT = 0.95
TEAM_KIND_WEIGHTS = {  # what each team asks about
    "hr": {"hr": 0.55, "policy": 0.35, "drafting": 0.10},
    "engineering": {"engineering": 0.65, "policy": 0.25, "hr": 0.03, "drafting": 0.07},
    "sales": {"drafting": 0.55, "policy": 0.35, "hr": 0.04, "engineering": 0.06},
    "support": {"drafting": 0.45, "policy": 0.30, "engineering": 0.20, "hr": 0.05},
    "finance": {"policy": 0.50, "hr": 0.20, "drafting": 0.20, "engineering": 0.10},
}
TEAM_SIZE = {"hr": 80, "engineering": 760, "sales": 520, "support": 460, "finance": 180}  # 2,000 people


def fill(template: str, rng: random.Random, split: str | None) -> str:
    # Train and test use disjoint halves of every fill-in list (held out by value, not by row).
    def pick(values: list[str]) -> str:
        half = len(values) // 2
        pool = values if split is None else (values[:half] if split == "train" else values[half:])
        return rng.choice(pool)

    person = f"{pick(FIRST)} {pick(LAST)}"
    return template.format(person=person, city=pick(CITIES), service=pick(SERVICES), table=pick(TABLES),
                           topic=pick(TOPICS))


EXPLAIN = [
    "This follows the current Northwind guidance and applies to every office unless a local agreement says otherwise.",
    "If your situation is unusual, your manager can approve an exception, and the request is logged for audit.",
    "The details, including the forms and the people to contact, are in the linked handbook section.",
    "Keep in mind that deadlines are strict: late submissions are handled in the next monthly cycle.",
    "For anything that touches personal data, the HR business partner for your team is the right contact.",
    "A short checklist: confirm the facts, write down the decision, and share it with the people affected.",
    "We revisit this guidance every quarter; the change log lists what moved since the last revision.",
]


def answers_for(prompt: str, kind: str, fact: str, rng: random.Random) -> tuple[str, str]:
    """(self-hosted answer, frontier answer): with the fact when the model gets it right."""
    def answer(right: bool, model: str) -> str:
        more = " ".join(rng.sample(EXPLAIN, k=rng.randint(3, 6)))  # knowledge answers run ~100-200 tokens
        if right:
            return f"{fact[:1].upper()}{fact[1:]}: that is what the {kind} guidance says for this case. {more}"
        return f"I am not sure about this one; please check with the relevant team. {more}"

    return (answer(rng.random() < SELF_HOSTED_RIGHT[kind], "8b"), answer(rng.random() < FRONTIER_RIGHT, "frontier"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("data"))
    ap.add_argument("--requests", type=int, default=12_000, help="requests in the simulated month")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    answers: dict[str, tuple[str, str]] = {}

    def question(kind: str, split: str | None) -> dict[str, str]:
        template, fact = rng.choice(KINDS[kind])
        prompt = fill(template, rng, split)
        if prompt not in answers:
            answers[prompt] = answers_for(prompt, kind, fact, rng)
        return {"prompt": prompt, "kind": kind, "fact": fact}

    for split, n in (("train", 400), ("test", 120)):
        with (args.out / f"eval-{split}.jsonl").open("w", encoding="utf-8") as fh:
            for i in range(n):
                kind = rng.choice([k for k in KINDS if k != "hr"])  # evals never carry personal data
                q = question(kind, split)
                fh.write(json.dumps({"id": f"{split}-{i:04d}", "input": q["prompt"], "reference": q["fact"],
                                     "segment": kind}) + "\n")
    with (args.out / "traffic.jsonl").open("w", encoding="utf-8") as fh:
        teams = list(TEAM_SIZE)
        for i in range(args.requests):
            team = rng.choices(teams, [TEAM_SIZE[t] for t in teams])[0]
            weights = TEAM_KIND_WEIGHTS[team]
            kind = rng.choices(list(weights), list(weights.values()))[0]
            q = question(kind, None)
            fh.write(json.dumps({"team": team, "user": f"{team}-{rng.randrange(TEAM_SIZE[team]):04d}",
                                 "prompt": q["prompt"], "kind": kind}) + "\n")
    for idx, name in ((0, "answers-assistant.jsonl"), (1, "answers-frontier.jsonl")):
        with (args.out / name).open("w", encoding="utf-8") as fh:
            for prompt, pair in answers.items():
                fh.write(json.dumps({"prompt": prompt, "answer": pair[idx]}) + "\n")
    print(f"wrote {args.out}/: eval-train (400), eval-test (120), traffic ({args.requests}), "
          f"answers for {len(answers)} distinct questions")


if __name__ == "__main__":
    main()
