#!/usr/bin/env python3
"""Seeded generator of helpdesk tickets for Lumio (a smart-home company), each with its queue.

The task: route a customer ticket into one of Lumio's six queues and answer with the queue name
only. The queue names are the company's own (``finance-ops``, ``rma``...) and some routing rules
are house conventions a general model cannot guess (a refund that has not arrived is finance-ops,
not rma; "cannot log in after the app update" is identity, not platform-support; a parcel that
arrived damaged is rma, not logistics). Tickets mix greetings, typos, order numbers and signatures
with personal data (names, e-mail addresses, phone numbers) — what the PII scrubber must remove
before anything trains.

    python examples/helpdesk/generate.py --out /tmp/helpdesk --traffic 320 --test 80 --seed 7

writes ``traffic.jsonl`` (tickets users send, with the queue an agent would pick: the source of
corrections), ``test.jsonl`` (an eval dataset: messages + reference, disjoint from the traffic),
``system_prompt.txt`` and ``queues.txt``. Same seed, same files.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

QUEUES = ("finance-ops", "identity", "platform-support", "logistics", "rma", "growth")

SYSTEM_PROMPT = (
    "You route Lumio helpdesk tickets. Queues: finance-ops (invoices, charges, refunds), identity (login, "
    "passwords, 2FA), platform-support (app, devices, API), logistics (delivery, tracking), rma (returns, "
    "exchanges, damaged items), growth (pricing, quotes, upgrades). Reply with the queue name only."
)

PRODUCTS = ["Lumio Hub", "Lumio Bulb E27", "Lumio Motion Sensor", "Lumio Thermostat", "Lumio Cam Mini",
            "Lumio Door Lock", "Lumio Plug", "Lumio LED Strip", "Lumio Doorbell", "Lumio Smoke Alarm"]
PLANS = ["Home", "Home Plus", "Pro", "Business"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
CARRIERS = ["DHL", "UPS", "DPD", "GLS", "FedEx"]
FIRST = ["Anna", "Jonas", "Priya", "Marco", "Sofia", "Liam", "Fatima", "Oskar", "Mei", "David", "Elena", "Tomasz",
         "Grace", "Mohammed", "Ines", "Lukas", "Chloe", "Ravi", "Hannah", "Pablo"]
LAST = ["Schneider", "Okafor", "Lindqvist", "Rossi", "Nguyen", "Kowalski", "Fischer", "Haddad", "Brennan",
        "Yamamoto", "Moreau", "Silva", "Novak", "Weber", "Patel", "Jensen", "Costa", "Meyer"]
DOMAINS = ["gmail.com", "outlook.com", "web.de", "proton.me", "yahoo.com", "example.org"]

# Per queue: ticket bodies with {slots}. Several encode house rules (see the module docstring).
TEMPLATES: dict[str, list[str]] = {
    "finance-ops": [
        "I was charged twice for my {plan} subscription in {month}. Please fix this.",
        "My invoice {inv} shows the wrong VAT number, can you issue a corrected one?",
        "I returned the {product} three weeks ago and the refund still has not reached my card.",
        "How do I change the credit card used for my {plan} plan?",
        "There is a charge of {amount} EUR on my statement from Lumio that I don't recognise.",
        "Can I get a copy of all invoices for {month}? Our accountant needs them.",
        "The refund for order {order} was approved but I only got {amount} EUR back instead of the full price.",
        "Why did my {plan} plan renew at a higher price this month?",
        "Please cancel the automatic payment, I want to pay by bank transfer from now on.",
        "I need the invoice for order {order} addressed to my company instead of to me.",
    ],
    "identity": [
        "I can't log in, it says my password is wrong but I just reset it.",
        "Since the app update yesterday I cannot log in anymore, the login screen just reloads.",
        "I lost my phone and now I don't get the 2FA codes. How can I get into my account?",
        "My account is locked after too many attempts, please unlock it.",
        "I want to change the email address I use to sign in.",
        "The password reset email never arrives.",
        "Someone else may have logged into my account, I got a login alert from another country.",
        "How do I set up single sign-on with our company Google Workspace for the {plan} plan?",
        "The verification code from the SMS is always rejected.",
        "I have two accounts by mistake, can you merge them? I can only log into one.",
    ],
    "platform-support": [
        "My {product} keeps going offline every few hours.",
        "The app crashes as soon as I open the camera view of my {product}.",
        "Firmware update for the {product} failed at 80% and now the light blinks red.",
        "The API returns error 500 when I call the devices endpoint.",
        "My {product} is not showing up in Home Assistant anymore.",
        "Automations stopped running since last night, the {product} does nothing at 7am.",
        "The {product} does not connect to my 5 GHz wifi.",
        "Alexa says the {product} is not responding.",
        "The temperature reading of my {product} is 4 degrees off.",
        "Push notifications from the app stopped working on Android.",
    ],
    "logistics": [
        "Where is my order {order}? It was supposed to arrive {month} 12.",
        "The {carrier} tracking for order {order} has not updated in five days.",
        "Can I still change the delivery address for order {order}?",
        "{carrier} says the parcel was delivered but I never got it.",
        "My order {order} is stuck in customs, what do I need to do?",
        "I missed the delivery, can it be sent to a pickup point instead?",
        "Do you ship the {product} to Switzerland?",
        "Only one of the two boxes of order {order} arrived.",
        "How long does delivery to Norway usually take?",
        "The tracking link in the shipping email for {order} does not work.",
    ],
    "rma": [
        "The {product} arrived with a cracked case, the box was damaged too.",
        "I want to return the {product}, it does not fit my needs. How do I get a return label?",
        "Can I exchange my {product} for the white version?",
        "My {product} stopped working after 8 months, is this covered by the warranty?",
        "The parcel arrived damaged and the {product} inside is broken.",
        "I ordered the wrong {product}, can I swap it?",
        "The return label you sent me has expired before I could use it.",
        "Please send a replacement {product}, the one I got is dead on arrival.",
        "Do I have to send back the original box when returning the {product}?",
        "I'd like to return order {order}, the gift was a duplicate.",
    ],
    "growth": [
        "We are a hotel with 40 rooms, could you send a quote for {qty} {product} units?",
        "What is the price difference between {plan} and Business?",
        "I want to upgrade from Home to {plan}, what happens to my current billing period?",
        "Do you offer volume discounts for property managers?",
        "Can we book a demo of the Business plan for our facility team?",
        "Is there an education discount for schools?",
        "We'd like to resell Lumio devices in our shop, who handles partnerships?",
        "How much would {qty} {product} cost with installation?",
        "Is the Pro plan cheaper if we pay yearly?",
        "Our company wants to equip 3 offices, can a sales rep call us?",
    ],
}

OPENERS = ["", "", "Hi, ", "Hello, ", "Hi team, ", "Good morning, ", "Hey, ", "Dear Lumio support, "]
CLOSERS = ["", "", "", " Thanks!", " Thank you.", " Regards.", " Any help appreciated.", " This is urgent."]


def _typo(text: str, rng: random.Random) -> str:
    """Swap two neighbouring letters somewhere (people type fast)."""
    idx = [i for i in range(1, len(text) - 2) if text[i].isalpha() and text[i + 1].isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def _signature(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    parts = [f"{first} {last}"]
    if rng.random() < 0.7:
        parts.append(f"{first.lower()}.{last.lower()}@{rng.choice(DOMAINS)}")
    if rng.random() < 0.4:
        parts.append(f"+49 151 {rng.randint(1000000, 9999999)}")
    return " -- " + ", ".join(parts)


# The last two phrasings of each queue never appear in the traffic: the test set uses them for half
# of its items, to measure generalisation to unseen wording rather than recall of seen templates.
UNSEEN = 2


def make_ticket(queue: str, rng: random.Random, unseen: bool = False) -> str:
    templates = TEMPLATES[queue][-UNSEEN:] if unseen else TEMPLATES[queue][:-UNSEEN]
    body = rng.choice(templates).format(
        plan=rng.choice(PLANS), month=rng.choice(MONTHS), product=rng.choice(PRODUCTS),
        order=f"LM-{rng.randint(100000, 999999)}", inv=f"INV-{rng.randint(2024, 2026)}-{rng.randint(1000, 9999)}",
        amount=f"{rng.randint(9, 399)}.{rng.choice(['00', '50', '99'])}", carrier=rng.choice(CARRIERS),
        qty=rng.choice([12, 25, 40, 60, 150]))
    opener = rng.choice(OPENERS)
    if opener:
        body = opener + body[0].lower() + body[1:]
    text = body + rng.choice(CLOSERS)
    if rng.random() < 0.25:
        text = _typo(text, rng)
    if rng.random() < 0.1:
        text = text.lower()
    if rng.random() < 0.45:
        text += _signature(rng)
    return text


def generate(n: int, rng: random.Random, seen: set[str], unseen_share: float = 0.0) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    while len(rows) < n:
        queue = QUEUES[len(rows) % len(QUEUES)] if rng.random() < 0.5 else rng.choice(QUEUES)
        unseen = rng.random() < unseen_share
        ticket = make_ticket(queue, rng, unseen)
        if ticket in seen:  # exact duplicates would leak between traffic and test
            continue
        seen.add(ticket)
        rows.append({"ticket": ticket, "queue": queue, "wording": "unseen" if unseen else "seen"})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--traffic", type=int, default=320, help="tickets sent through the model (feedback source)")
    ap.add_argument("--test", type=int, default=80, help="separate test tickets (eval dataset)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    seen: set[str] = set()
    traffic = generate(args.traffic, rng, seen)
    test = generate(args.test, rng, seen, unseen_share=0.5)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "traffic.jsonl").open("w", encoding="utf-8") as fh:
        for i, row in enumerate(traffic, 1):
            fh.write(json.dumps({"id": f"t{i:04d}", "ticket": row["ticket"], "queue": row["queue"]}) + "\n")
    with (args.out / "test.jsonl").open("w", encoding="utf-8") as fh:
        for i, row in enumerate(test, 1):
            item = {"id": f"test{i:03d}", "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                                                      {"role": "user", "content": row["ticket"]}],
                    "reference": row["queue"], "segment": f"{row['wording']}-wording",
                    "tags": [row["queue"]]}
            fh.write(json.dumps(item) + "\n")
    (args.out / "system_prompt.txt").write_text(SYSTEM_PROMPT + "\n", encoding="utf-8")
    (args.out / "queues.txt").write_text("\n".join(QUEUES) + "\n", encoding="utf-8")
    print(f"wrote {len(traffic)} traffic tickets and {len(test)} test tickets to {args.out}")


if __name__ == "__main__":
    main()
