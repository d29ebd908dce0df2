"""Pasted tables of things, not people, and requests for made-up people: harmless data work.

The generator's pasted records (``frames.personal_record``: staff with salaries, patients with
diagnoses) are all sensitive, so a CSV layout alone read as personal data: "Turn this into a table
sorted by population: city,country,population ..." was pinned. These builders paste the same layouts
(CSV, tab-separated, Markdown, JSON lines) holding cities, products, servers, matches, books or
weather, and ask for fake test data without giving any (a Faker script, "make up 20 customers") —
the policy's line is a real person's data, not the shape of a table.
"""

from __future__ import annotations

import functools
import json

from shoal.privacy.gen import grammar as g
from shoal.privacy.gen.parts import GeneratorParts

ASKS = [
    "Sort this by {col}:", "Turn this into a markdown table:", "Convert this to JSON:", "Which row has the highest {col}?",
    "clean up this csv, the columns are misaligned", "Make a bar chart description of this data:",
    "Remove the duplicate rows:", "What's the average {col}?", "Write SQL to create a table for this:",
    "Sortiere nach {col}:", "Trie ce tableau par {col} :", "Ordena esta tabla por {col}:", "Ordina per {col}:",
    "Can you spot anything odd in this export?", "summarise this in two sentences", "Plot {col} over the rows in matplotlib:",
]
FAKE_REQUESTS = [
    "Generate {k} fake {who} with made-up names, {f1} and {f2} so I can test my {system}",
    "I need dummy {who} records (invented names, emails at example.com) to seed the dev database",
    "Write a Python script that uses Faker to create {k} {who} with {f1}, {f2} and {f3}",
    "Make up a sample CSV of {k} {who} with {f1} and {f2} for a spreadsheet tutorial",
    "Create realistic but fictional test data: {k} {who}, columns {f1}, {f2}, {f3}",
    "give me a JSON array of {k} made-up {who} for a frontend mock, fields {f1} and {f2}",
    "Erzeuge {k} fiktive {who} mit erfundenen Namen und {f1} als Testdaten",
    "Génère {k} {who} fictifs avec des noms inventés et {f1} pour tester mon appli",
    "Genera {k} {who} ficticios con nombres inventados y {f1} para probar el sistema",
    "What's a good way to anonymise a table of {who} before sharing it with a vendor?",
    "How do I generate synthetic {who} data that keeps the statistics but has no real people?",
]
WHO = ["employees", "customers", "patients", "students", "users", "tenants", "job applicants", "members", "clients"]
FIELDS = ["salaries", "email addresses", "phone numbers", "dates of birth", "addresses", "departments",
          "account numbers", "diagnoses", "grades", "job titles", "start dates"]
SYSTEMS = ["payroll import", "CRM", "booking app", "HR dashboard", "ETL pipeline", "billing service", "patient portal"]


class TableFrames(GeneratorParts):
    """Builders mixed into ``Generator`` (which provides ``rng``, ``pick``, ``faker``, ``company``)."""

    def _table(self) -> tuple[list[str], list[list[str]]]:
        rng, f = self.rng, self.faker()
        kind = rng.randrange(8)
        rows: list[list[str]] = []
        n = rng.randrange(3, 8)
        if kind == 0:
            header = ["city", "country", "population"]
            rows = [[f.city(), f.current_country(), str(rng.randrange(20_000, 20_000_000))] for _ in range(n)]
        elif kind == 1:
            header = ["sku", "product", "price", "stock"]
            rows = [[f"SKU-{rng.randrange(1000, 99999)}", f"{self.pick(COLOURS)} {self.pick(PRODUCTS)}",
                     f"{rng.randrange(2, 900)}.{rng.randrange(0, 100):02d}", str(rng.randrange(0, 500))] for _ in range(n)]
        elif kind == 2:
            header = ["host", "cpu_pct", "mem_gb", "status"]
            rows = [[f"{self.pick(['web', 'db', 'cache', 'worker', 'api'])}-{rng.randrange(1, 40):02d}",
                     str(rng.randrange(1, 100)), str(rng.choice([4, 8, 16, 32, 64])), self.pick(["ok", "degraded", "down"])]
                    for _ in range(n)]
        elif kind == 3:
            header = ["team", "played", "won", "points"]
            rows = [[f"{f.city()} {self.pick(['FC', 'United', 'Rovers', 'Athletic'])}", str(p := rng.randrange(10, 38)),
                     str(w := rng.randrange(0, p)), str(w * 3 + rng.randrange(0, p - w + 1))] for _ in range(n)]
        elif kind == 4:
            header = ["date", "city", "temp_c", "rain_mm"]
            rows = [[str(f.date_this_year()), f.city(), str(rng.randrange(-10, 38)), str(rng.randrange(0, 40))]
                    for _ in range(n)]
        elif kind == 5:
            header = ["flight", "from", "to", "departs"]
            rows = [[f"{self.pick(['LH', 'BA', 'AF', 'IB', 'KL', 'UA'])}{rng.randrange(100, 9999)}", f.city(), f.city(),
                     f"{rng.randrange(0, 24):02d}:{rng.choice(['00', '15', '30', '45'])}"] for _ in range(n)]
        elif kind == 6:
            header = ["ingredient", "grams", "kcal"]
            rows = [[self.pick(INGREDIENTS), str(rng.randrange(5, 500)), str(rng.randrange(5, 900))] for _ in range(n)]
        else:
            header = ["option", "votes", "share"]
            rows = [[self.pick(OPTIONS), str(v := rng.randrange(1, 400)), f"{v / 4:.1f}%"] for _ in range(n)]
        return header, rows

    def neg_data_table(self) -> dict[str, str]:
        rng = self.rng
        header, rows = self._table()
        form = rng.randrange(4)
        if form == 0:
            body = "\n".join(",".join(r) for r in [header, *rows])
        elif form == 1:
            body = "\n".join("\t".join(r) for r in [header, *rows])
        elif form == 2:
            body = "\n".join("| " + " | ".join(r) + " |" for r in [header, ["---"] * len(header), *rows])
        else:
            body = "\n".join(json.dumps(dict(zip(header, r, strict=True))) for r in rows)
        ask = self.pick(ASKS).replace("{col}", rng.choice(header))
        text = f"{ask}\n\n{body}" if rng.random() < 0.8 else f"{body}\n\n{ask}"
        return {"text": text, "label": "none", "kind": "data-table"}

    def neg_fake_data(self) -> dict[str, str]:
        rng = self.rng
        fields = rng.sample(FIELDS, 3)
        template = self.pick(FAKE_REQUESTS)
        # Every slot drawn up front, whether the template uses it or not: the generator's seeded stream
        # (and so the shipped model's training data) does not depend on which template came up.
        values = {"k": str(rng.choice([5, 10, 20, 50, 100, 500])), "who": self.pick(WHO), "f1": fields[0],
                  "f2": fields[1], "f3": fields[2], "system": self.pick(SYSTEMS)}
        text = g.fill(template, rng, {key: functools.partial(str, value) for key, value in values.items()})
        return {"text": text.lower() if rng.random() < 0.1 else text, "label": "none", "kind": "fake-data"}


COLOURS = ["black", "white", "navy", "olive", "red", "grey", "sand"]
PRODUCTS = ["hoodie", "mug", "desk lamp", "backpack", "USB-C cable", "notebook", "water bottle", "office chair"]
INGREDIENTS = ["flour", "butter", "sugar", "eggs", "oat milk", "spinach", "chickpeas", "olive oil", "rice", "lentils"]
OPTIONS = ["Tuesday", "Thursday", "remote", "in office", "pizza", "sushi", "option A", "option B", "keep as is"]
