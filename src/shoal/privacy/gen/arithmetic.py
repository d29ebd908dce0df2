"""Arithmetic and everyday finance maths with nobody in it, as hard negatives (mixed into ``Generator``).

Amounts of money are frequent in the personal families (a named person's pay, a patient's bill), so
a linear model learns that digits and currency lean sensitive, and then pins "What's the monthly
payment on a 300,000 mortgage at 4.2%?" or "Solve for x: 3x + 7 = 2x - 5". By the policy (README),
a calculation about nobody in particular is general knowledge. This family composes such requests
from independent parts — a kind of calculation, made-up numbers, a currency or unit, a way of
asking, a language — so that no fixed wording is learned; the personal families keep a named
person's pay sensitive.
"""

from __future__ import annotations

import random

_CUR = [("$", ""), ("€", ""), ("£", ""), ("", " EUR"), ("", " USD"), ("", " CHF"), ("", " kr"), ("", " zł")]


def _money(rng: random.Random, lo: int, hi: int) -> str:
    pre, post = rng.choice(_CUR)
    n = rng.randrange(lo, hi)
    body = rng.choice([f"{n:,}", str(n), f"{n / 1000:g}k" if n >= 1000 else str(n)])
    return f"{pre}{body}{post}"


def _pct(rng: random.Random) -> str:
    return rng.choice([f"{rng.randrange(1, 30)}%", f"{rng.randrange(1, 12)}.{rng.randrange(1, 10)}%"])


def _calculations(rng: random.Random) -> list[str]:
    n = rng.randrange
    return [
        f"the monthly payment on a {_money(rng, 80_000, 900_000)} mortgage at {_pct(rng)} over {n(10, 35)} years",
        f"compound interest on {_money(rng, 500, 50_000)} at {_pct(rng)} a year for {n(2, 30)} years",
        f"{_money(rng, 10, 90_000)} in dollars at an exchange rate of {n(1, 2)}.{n(10, 99)}",
        f"{_pct(rng)} VAT on a {_money(rng, 20, 5_000)} invoice",
        f"the price after a {_pct(rng)} discount on {_money(rng, 15, 3_000)}",
        f"the percentage change from {n(10, 900)} to {n(10, 900)}",
        f"the break-even point with fixed costs of {_money(rng, 1_000, 90_000)} and a margin of {_money(rng, 2, 90)} per unit",
        f"x in {n(2, 9)}x + {n(1, 40)} = {n(1, 9)}x - {n(1, 40)}",
        f"x if x^2 - {n(2, 12)}x + {n(1, 30)} = 0",
        f"the mean and median of {', '.join(str(n(1, 99)) for _ in range(n(5, 9)))}",
        f"the standard deviation of {', '.join(str(n(1, 60)) for _ in range(n(4, 8)))}",
        f"{n(2, 40)} km in miles", f"{n(20, 110)} °F in Celsius", f"{n(1, 20)} cups of flour in grams",
        f"the area of a circle with radius {n(2, 30)} cm", f"the hypotenuse of a right triangle with sides {n(3, 20)} and {n(3, 20)}",
        f"how long it takes to double money at {_pct(rng)} a year", f"{n(11, 99)} × {n(11, 99)} in your head",
        f"the net amount from {_money(rng, 1_000, 120_000)} after {_pct(rng)} tax",
        f"the yearly total of {_money(rng, 500, 9_000)} a month over {rng.choice([12, 13, 14])} payments",
        f"the annual rate if {_money(rng, 1_000, 9_000)} grows to {_money(rng, 9_000, 20_000)} in {n(3, 15)} years",
        f"the cost per person if {n(3, 40)} people split {_money(rng, 50, 5_000)}",
        f"the depreciation of a {_money(rng, 5_000, 60_000)} car at {_pct(rng)} a year after {n(2, 10)} years",
        f"the present value of {_money(rng, 1_000, 90_000)} received in {n(2, 20)} years at {_pct(rng)}",
        f"why the square root of {rng.choice([2, 3, 5, 7])} is irrational", f"the derivative of x^{n(2, 6)} · sin(x)",
        f"the probability of rolling at least one six in {n(2, 8)} throws",
    ]


_ASK = ["Calculate {c}.", "What is {c}?", "How do I work out {c}?", "Show the steps for {c}.", "Quick maths: {c}",
        "Can you check my working for {c}?", "Explain {c} step by step.", "Homework: {c}", "{c} — what's the formula?",
        "Write a Python function for {c}.", "Excel formula for {c}?", "Estimate {c} roughly."]
_ASK_FOREIGN = {"de": ["Berechne {c}.", "Wie rechnet man {c} aus?"], "fr": ["Calcule {c}.", "Comment calculer {c} ?"],
                "es": ["Calcula {c}.", "¿Cómo se calcula {c}?"], "it": ["Calcola {c}."], "pt": ["Calcule {c}."]}


class ArithmeticFrames:
    """The arithmetic hard-negative family (mixed into ``Generator``)."""

    rng: random.Random

    def neg_arithmetic(self) -> dict[str, str]:
        rng = self.rng
        c = rng.choice(_calculations(rng))
        if rng.random() < 0.15:
            ask = rng.choice(_ASK_FOREIGN[rng.choice(list(_ASK_FOREIGN))])
        else:
            ask = rng.choice(_ASK)
        text = ask.format(c=c)
        if rng.random() < 0.15:
            text = text.lower()
        return {"text": text, "label": "none", "kind": "arithmetic"}
