"""The training-data generator: labelled prompts from many frames and surface forms, seeded.

    python -m shoal.privacy.gen.frames --n 30000 --seed 7 --out train.jsonl

Each sample is ``{"text", "label", "kind"}``; ``label`` is one of ``none``, ``personal`` (personal
data about an identifiable private person), ``secret`` (a credential or secret) or ``business``
(confidential business information). ``kind`` names the frame family (for held-out-by-family
checks). Names, addresses, numbers and companies come from Faker in many locales; surface forms
vary the case, the language (English, German, French, Spanish), the wrapping (chat turns, tool-call
JSON, e-mail headers, CSV rows, forms, code) and add hard negatives (public and fictional people,
technology names, general questions about sensitive subjects, published figures, placeholders).
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shoal.privacy.gen import grammar as g
from shoal.privacy.gen.arithmetic import ArithmeticFrames
from shoal.privacy.gen.colleagues import ColleagueFrames
from shoal.privacy.gen.extra import MoreFrames
from shoal.privacy.gen.fakers import seeded_fakers
from shoal.privacy.gen.public import PublicFrames
from shoal.privacy.gen.records import RecordFrames
from shoal.privacy.gen.secret_refs import SecretRefFrames
from shoal.privacy.gen.tables import TableFrames
from shoal.privacy.gen.vocab import (
    FICTIONAL,
    GENERAL_TOPICS,
    PUBLIC_COMPANIES,
    PUBLIC_PEOPLE,
    TECH,
    TOPIC_QUESTIONS,
    WORKS,
)

Sample = dict[str, str]

PAY = ["salary", "bonus", "base pay", "pay rise", "raise", "equity grant", "commission", "overtime pay",
       "total compensation", "hourly rate", "severance", "retention bonus", "stock options", "pension contribution"]
HEALTH = ["diagnosis", "cancer treatment", "sick leave", "therapy sessions", "medication", "pregnancy",
          "surgery", "depression", "ADHD assessment", "blood test results", "HIV status", "rehab stay",
          "disability claim", "maternity leave", "chemotherapy schedule", "mental health leave", "miscarriage"]
CONDITIONS = ["type 2 diabetes", "bipolar disorder", "breast cancer", "multiple sclerosis", "epilepsy", "long covid",
              "an anxiety disorder", "a heart condition", "Crohn's disease", "early-onset dementia", "HIV",
              "a herniated disc", "severe depression", "an eating disorder", "Parkinson's"]
MEDS = ["sertraline 50mg", "metformin 500 mg", "lithium", "adderall", "insulin glargine", "methotrexate",
        "oxycodone", "prednisone 20mg", "levothyroxine", "fluoxetine"]
PERF = ["performance review", "PIP", "written warning", "disciplinary hearing", "final warning", "rating",
        "complaint file", "misconduct investigation", "probation review", "harassment complaint", "attendance record"]
FAMILY = ["divorce", "custody hearing", "restraining order", "child support", "adoption", "paternity test",
          "visa status", "immigration case", "arrest record", "DUI charge", "bankruptcy filing", "debt collection",
          "background check", "criminal record", "eviction", "parole"]
TRAITS = ["lazy", "unreliable", "always late", "rude to customers", "drinking at work", "looking for another job",
          "pregnant", "gay", "in debt", "having an affair", "struggling with alcohol", "on antidepressants"]
ROLES = ["VP of Sales", "warehouse supervisor", "night nurse", "junior developer", "our CFO", "the new hire",
         "team lead", "store manager", "intern", "account executive", "head of HR", "my direct report", "the cashier",
         "our receptionist", "the contractor", "the driver", "the candidate"]
TASK_VERBS = ["Draft an email to", "Write a note for", "Summarise the case of", "Prepare talking points about",
              "Tell me about", "Update the record of", "Look up", "Write a reply to", "Make a table with",
              "Rewrite this message to", "Help me respond to", "Check the file on"]


def _money(rng: random.Random) -> str:
    form = rng.randrange(6)
    n = rng.randrange(28, 420) * 1000
    if form == 0:
        return f"${n:,}"
    if form == 1:
        return f"{n // 1000}k"
    if form == 2:
        return f"€{n:,}".replace(",", ".")
    if form == 3:
        return f"£{n}"
    if form == 4:
        return f"{n} USD"
    return f"{rng.randrange(3, 30)}%"


def _case(rng: random.Random, text: str) -> str:
    r = rng.random()
    if r < 0.18:
        return text.lower()
    if r < 0.21:
        return text.upper()
    if r < 0.26:
        return text.rstrip("?.!")
    return text


def _key(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


class _Base:
    """The random source and Faker instances every builder draws from."""

    rng: random.Random
    fakers: dict[str, Any]
    en: Any

    # --- helpers ------------------------------------------------------------------------------------

    def faker(self) -> Any:
        if self.rng.random() < 0.35:
            return self.en
        return self.fakers[self.rng.choice(sorted(self.fakers))]

    def name(self) -> str:
        f = self.faker()
        r = self.rng.random()
        if r < 0.55:
            return f"{f.first_name()} {f.last_name()}"
        if r < 0.75:
            return str(f.first_name())
        if r < 0.85:
            return f"{f.first_name()} {f.first_name()[0]}. {f.last_name()}"
        if r < 0.93:
            return f"{self.rng.choice(['Mr.', 'Ms.', 'Mrs.', 'Dr.'])} {f.last_name()}"
        return str(f.last_name())

    def company(self) -> str:
        return str(self.faker().company())

    def pick(self, items: list[str] | tuple[str, ...]) -> str:
        return self.rng.choice(items)



class ComposedFrames(_Base):
    """Builders over ``shoal.privacy.gen.grammar`` (mixed into ``Generator``)."""

    def _slots(self) -> dict[str, Callable[[], str]]:
        rng = self.rng
        she = rng.random() < 0.5
        return {
            "n": self.name, "p": lambda: "she" if she else "he", "pp": lambda: "her" if she else "his",
            "m": lambda: _money(rng), "x": lambda: str(rng.choice([2, 3, 4, 5, 7, 9, 11, 12, 15, 20, 24, 40, 85, 120])),
            "d": lambda: self.pick(["March", "Q3", "August", "next week", "the spring", "October", "2025", "Friday"]),
            "cond": lambda: self.pick(CONDITIONS), "med": lambda: self.pick(MEDS),
            "addr": lambda: str(self.faker().street_address()), "phone": lambda: str(self.faker().phone_number()),
            "dob": lambda: str(self.faker().date_of_birth()), "city": lambda: str(self.faker().city()),
            "c": self.company, "q": lambda: self.pick(["Q1", "Q2", "Q3", "Q4", "H1", "fiscal"]),
            "team": lambda: self.pick(["support", "design", "QA", "sales", "consumer", "hardware", "data"]),
        }

    def _assemble(self, fact: str, task: str) -> str:
        rng = self.rng
        opener = self.pick(g.OPENERS)
        form = rng.randrange(4)
        if form == 0:
            text = f"{opener}{fact}. {task}"
        elif form == 1:
            text = f"{task.rstrip('.?!')} - {fact}"
        elif form == 2:
            text = f"{opener}{fact}, {task[0].lower() + task[1:] if task else ''}"
        else:
            text = f"{fact}\n\n{task}"
        return _case(rng, text.strip())

    def composed_personal(self) -> Sample:
        slots = self._slots()
        if self.rng.random() < 0.25:
            role = self.pick(g.ROLES_NAMED)
            name = self.name()
            slots["n"] = lambda: self.pick([f"{name}, {role},", f"{role} {name}", name])
        fact = g.fill(self.pick(g.PERSON_FACTS), self.rng, slots)
        task = g.fill(self.pick(g.TASKS), self.rng, slots)
        return {"text": self._assemble(fact, task), "label": "personal", "kind": "composed-personal"}

    def composed_unnamed(self) -> Sample:
        slots = self._slots()
        fact = g.fill(self.pick(g.UNNAMED), self.rng, slots)
        task = g.fill(self.pick(g.TASKS), self.rng, slots)
        return {"text": self._assemble(fact, task), "label": "personal", "kind": "composed-unnamed"}

    def composed_business(self) -> Sample:
        slots = self._slots()
        fact = g.fill(self.pick(g.BUSINESS_FACTS), self.rng, slots)
        return {"text": self._assemble(fact, self.pick(g.BUSINESS_TASKS)), "label": "business", "kind": "composed-business"}

    def composed_secret(self) -> Sample:
        rng = self.rng
        f = self.faker()
        slots = {"u": lambda: str(f.user_name()), "s": lambda: self._secret_value(),
                 "x": lambda: str(rng.randrange(10**5, 10**8)), "w": lambda: self.pick(["harbour", "otter", "purple",
                 "meadow", "falcon", "copper", "lantern", "orchid", "tiger", "willow"]),
                 "pin": lambda: str(rng.randrange(1000, 999999)), "hex": lambda: _key(rng, 32, "0123456789abcdef"),
                 "svc": lambda: self.pick(["Twilio", "Mapbox", "Stripe", "SendGrid", "Jira", "GitLab", "Okta", "Datadog",
                                           "Barclays", "the VPN", "the router", "Gmail", "the NAS", "Azure"]),
                 "host": lambda: self.pick(["10.1.2.3", "db.prod.lan", "prod-sql-02", "pg.internal"]),
                 "b64": lambda: _key(rng, 28) + "=="}
        fact = g.fill(self.pick(g.SECRET_FORMS), rng, slots)
        return {"text": self._assemble(fact, self.pick(g.SECRET_TASKS)), "label": "secret", "kind": "composed-secret"}

    def _secret_value(self) -> str:
        rng = self.rng
        return rng.choice([_key(rng, rng.randrange(10, 40)), self.pick(["Pa55w0rd!", "Winter#20", "Blue!Sky", "Mleko!",
                           "Orchid#", "Tr4ctor-", "Girasol#", "hunter"]) + str(rng.randrange(10, 9999))])

    def composed_negative(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {"topic": lambda: self.pick(g.NEG_TOPICS),
                                               "country": lambda: self.pick(g.COUNTRIES)}
        text = g.fill(self.pick(g.NEG_FACTS), self.rng, slots)
        text = self.pick(g.OPENERS) + text[0].upper() + text[1:]
        return {"text": _case(self.rng, text), "label": "none", "kind": "composed-negative"}

    def neg_cap_tech(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {"t": lambda: self.pick(g.CAP_TECH_NAMES), "t2": lambda: self.pick(g.CAP_TECH_NAMES)}
        return {"text": _case(self.rng, g.fill(self.pick(g.TECH_Q), self.rng, slots)), "label": "none", "kind": "cap-tech"}

    def neg_characters(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {"f": lambda: self.pick(g.FICTION_PEOPLE), "f2": lambda: self.pick(g.FICTION_PEOPLE),
                                               "w": lambda: self.pick(g.SHOWS)}
        return {"text": _case(self.rng, g.fill(self.pick(g.CHAR_Q), self.rng, slots)), "label": "none", "kind": "characters"}

    def neg_public_business(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {"c": lambda: self.pick(PUBLIC_COMPANIES), "seg": lambda: self.pick(g.SEGMENTS),
                                               "y": lambda: str(self.rng.randrange(2016, 2026))}
        return {"text": _case(self.rng, g.fill(self.pick(g.PUBLIC_BIZ_Q), self.rng, slots)), "label": "none",
                "kind": "public-business"}

    def neg_code_error(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {"db": lambda: self.pick(["postgres", "app", "root", "admin", "web"])}
        err = g.fill(self.pick(g.CODE_ERRORS), self.rng, slots)
        task = self.pick(g.CODE_ERROR_TASKS)
        text = f"{task}: {err}" if self.rng.random() < 0.5 else f"{err}\n{task}"
        return {"text": text, "label": "none", "kind": "code-error"}

    def neg_schema(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {"thing": lambda: self.pick(g.SCHEMA_THINGS)}
        return {"text": _case(self.rng, g.fill(self.pick(g.SCHEMA_Q), self.rng, slots)), "label": "none", "kind": "schema"}

    def neg_health_general(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {"lab": lambda: self.pick(g.LABS), "drug": lambda: self.pick(g.DRUGS)}
        return {"text": _case(self.rng, g.fill(self.pick(g.HEALTH_GENERAL), self.rng, slots)), "label": "none",
                "kind": "health-general"}

    def composed_foreign(self) -> Sample:
        rng = self.rng
        lang = self.pick(["de", "fr", "es"])
        kind = rng.choices(["personal", "business", "secret"], [3, 2, 1])[0]
        slots = self._slots()
        f = self.faker()
        slots.update({"cond_de": lambda: self.pick(g.CONDITIONS_L10N["de"]),
                      "cond_fr": lambda: self.pick(g.CONDITIONS_L10N["fr"]),
                      "cond_es": lambda: self.pick(g.CONDITIONS_L10N["es"]),
                      "u": lambda: str(f.user_name()), "s": self._secret_value,
                      "pin": lambda: str(rng.randrange(1000, 999999))})
        source = {"personal": g.FOREIGN_PERSON, "business": g.FOREIGN_BUSINESS, "secret": g.FOREIGN_SECRET}[kind]
        fact = g.fill(self.pick(source[lang]), rng, slots)
        text = self._assemble(fact[0].upper() + fact[1:], self.pick(g.FOREIGN_TASKS[lang]))
        return {"text": text, "label": kind, "kind": f"composed-foreign-{lang}"}

    def neg_prose(self) -> Sample:
        """Neutral statements, alone or as a pasted paragraph with a task."""
        rng = self.rng
        sentences = []
        for _ in range(rng.choice([1, 1, 2, 3, 4, 6])):
            if rng.random() < 0.25:
                sentences.append(str(self.en.sentence(nb_words=rng.randrange(6, 16))))
            else:
                sentences.append(f"{self.pick(g.PROSE_SUBJECTS)} {self.pick(g.PROSE_VERBS)} "
                                 f"{self.pick(g.PROSE_OBJECTS)}{self.pick(g.PROSE_TAILS)}.")
        task = self.pick(g.PROSE_TASKS)
        body = " ".join(sentences)
        text = f"{task}\n{body}" if task and rng.random() < 0.7 else body
        return {"text": _case(rng, text), "label": "none", "kind": "neutral-prose"}

    def neg_url(self) -> Sample:
        from urllib.parse import quote

        rng = self.rng
        words = self.pick(g.URL_WORDS)
        path = self.pick(g.URL_PATHS).replace("{words}", quote(words) if rng.random() < 0.5 else words)
        url = f"https://{self.pick(g.URL_HOSTS)}/{path}"
        task = self.pick(g.URL_TASKS)
        text = rng.choice([f"{task}\n{url}", f"{url}\n{task}", f"{task} {url}"])
        return {"text": text, "label": "none", "kind": "url"}

    def neg_order_ref(self) -> Sample:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {"x": lambda: str(rng.randrange(100, 999999)),
                                               "item": functools.partial(self.pick, g.ORDER_ITEMS)}
        ref = g.fill(self.pick(g.ORDER_REFS), rng, slots)
        tail = self.pick(g.ORDER_TAILS)
        text = rng.choice([f"{ref}\n{tail}", f"{tail}\n{ref}\n{tail}", f"{ref}. {tail}"]).strip()
        return {"text": _case(rng, text), "label": "none", "kind": "order-ref"}

    def business_incident(self) -> Sample:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {k: functools.partial(self.pick, v) for k, v in g.INCIDENT_SLOTS.items()}
        slots["x"] = lambda: str(rng.randrange(2, 40))
        fact = g.fill(self.pick(g.INCIDENTS), rng, slots)
        return {"text": self._assemble(fact[0].upper() + fact[1:], self.pick(g.BUSINESS_TASKS)), "label": "business",
                "kind": "incident"}

    def neg_everyday(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {k: functools.partial(self.pick, v) for k, v in g.EVERYDAY_SLOTS.items()}
        return {"text": _case(self.rng, g.fill(self.pick(g.EVERYDAY), self.rng, slots)), "label": "none",
                "kind": "everyday"}

    def neg_coding(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {k: functools.partial(self.pick, v) for k, v in g.CODING_SLOTS.items()}
        return {"text": g.fill(self.pick(g.CODING), self.rng, slots), "label": "none", "kind": "coding"}

    def neg_work_task(self) -> Sample:
        slots: dict[str, Callable[[], str]] = {k: functools.partial(self.pick, v) for k, v in g.WORK_SLOTS.items()}
        text = g.fill(self.pick(g.WORK_TASKS), self.rng, slots)
        return {"text": _case(self.rng, self.pick(g.OPENERS[:6]) + text), "label": "none", "kind": "work-task"}

    def neg_format_example(self) -> Sample:
        ex, kind = self.rng.choice(g.FORMAT_EXAMPLES)
        slots: dict[str, Callable[[], str]] = {"ex": lambda: ex, "kind": lambda: kind}
        return {"text": g.fill(self.pick(g.FORMAT_QUESTIONS), self.rng, slots), "label": "none", "kind": "format-example"}

    def neg_foreign_topic(self) -> Sample:
        return {"text": self.pick(g.FOREIGN_NEG), "label": "none", "kind": "foreign-topic"}


class Generator(ComposedFrames, MoreFrames, RecordFrames, PublicFrames, ArithmeticFrames, ColleagueFrames,
                TableFrames, SecretRefFrames):
    """Seeded generator; one ``sample()`` call returns one labelled prompt."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.fakers = seeded_fakers(seed)
        self.en = self.fakers["en_US"]
        self.families: list[tuple[float, Callable[[], Sample]]] = [
            (6, self.personal_attribute), (2, self.personal_lowercase_name), (3, self.personal_foreign),
            (2, self.personal_narrative), (3, self.personal_record), (2, self.personal_email),
            (2, self.personal_chat), (2, self.personal_tool_call), (1.5, self.personal_contact),
            (1, self.personal_first_person), (3, self.secret_code), (2, self.secret_prose),
            (4, self.business), (1, self.business_foreign),
            (5, self.neg_public_person), (2, self.neg_fiction), (3, self.neg_tech), (4, self.neg_topic_question),
            (2, self.neg_public_company), (1.5, self.neg_template), (3, self.neg_general), (1.5, self.neg_code),
            (1, self.neg_creative), (1, self.neg_foreign), (1, self.neg_chat), (1, self.neg_tool_call),
            (8, self.composed_personal), (2, self.composed_unnamed), (4, self.composed_business),
            (3, self.composed_secret), (4, self.composed_negative), (2, self.neg_cap_tech), (2, self.neg_characters),
            (2, self.neg_public_business), (1.5, self.neg_foreign_topic), (2, self.neg_code_error),
            (1.5, self.neg_schema), (1.5, self.neg_health_general), (2, self.neg_wrapped),
            (5, self.neg_work_task), (1, self.neg_format_example), (4, self.composed_foreign),
            (4, self.neg_everyday), (4, self.neg_coding), (8, self.neg_prose), (3, self.neg_order_ref),
            (2, self.business_incident), (3, self.neg_url),
            (3, self.placeholder_neutral), (3, self.placeholder_personal), (4, self.neg_place), (2, self.neg_filler),
            (4, self.neg_report), (2, self.personal_pay_calc), (2, self.personal_clinical), (2, self.personal_family),
            (2, self.personal_identity), (3, self.neg_public_now), (2, self.neg_form),
            (2, self.business_legal), (1, self.neg_legal), (6, self.wrapped_request),
            (1.5, self.secret_key_material), (1.5, self.personal_errand), (1.5, self.business_foreign_advice),
            (1.5, self.personal_self_id), (1.5, self.personal_affiliation), (1.5, self.personal_whereabouts),
            (1.5, self.personal_judgement), (2, self.personal_address_block), (2, self.neg_public_roles),
            (2, self.neg_role_request), (1.5, self.neg_eponym), (2, self.neg_schedule), (1.5, self.personal_kin),
            (4, self.neg_famous_attribute), (2, self.personal_famous_namesake), (3, self.neg_lookalike),
            (3, self.neg_pay_math), (3, self.neg_arithmetic), (2, self.neg_template_sample), (2, self.secret_terse), (3, self.personal_terse_hr),
            (2, self.business_foreign_more), (1.5, self.neg_foreign_more), (1.5, self.personal_lookup),
            (2, self.business_unreleased_math), (3, self.neg_named_errand), (2, self.personal_named_errand),
            (2, self.neg_data_table), (1.5, self.neg_fake_data), (1.5, self.neg_secret_reference),
            (1, self.secret_in_snippet),
        ]

    def sample(self) -> Sample:
        weights = [w for w, _ in self.families]
        fn = self.rng.choices([f for _, f in self.families], weights)[0]
        out = fn()
        out["text"] = out["text"].strip()
        return out

    # --- personal data ------------------------------------------------------------------------------

    def personal_attribute(self) -> Sample:
        n, role, rng = self.name(), self.pick(ROLES), self.rng
        attr = rng.choice([PAY, HEALTH, PERF, FAMILY])
        a = self.pick(attr)
        frames = [
            f"What is {n}'s {a} this year?", f"How much is {n}'s {a}?", f"{self.pick(TASK_VERBS)} {n} about the {a}",
            f"Can you summarise {n}'s {a} for the file", f"{n} ({role}) asked me to keep the {a} private, write a note",
            f"Please compare {n}'s {a} with last year", f"why was {n}'s {a} changed", f"is {n}'s {a} approved yet?",
            f"{n}, our {role}, has a {a} coming up next week. Help me prepare.",
            f"Write a letter to {n} confirming the {a} of {_money(rng)}",
            f"{n} told HR about the {a}. What should I do?", f"Add a note that {n} is on {a} until March",
            f"Put {n}'s {a} in the spreadsheet next to the {role}",
            f"I need the details of {n}'s {a}", f"List everyone in {self.company()} whose {a} is pending, starting with {n}",
            f"{n} is {self.pick(TRAITS)}; how do I raise it with HR?", f"The {role} {n} has {self.pick(CONDITIONS)}. adjust the rota",
            f"{n} earns {_money(rng)} and wants {_money(rng)} more, draft the reply",
            f"Give me {n}'s home address and phone so I can send the {a} papers",
            f"{n}'s {a}: {_money(rng)}, effective {self.en.date()}. Summarise for payroll.",
            f"We found out {n} was {self.pick(TRAITS)}. Write the email to the manager.",
            f"{n} is taking {self.pick(MEDS)} for {self.pick(CONDITIONS)}, can she still drive the forklift?",
        ]
        return {"text": _case(rng, self.pick(frames)), "label": "personal", "kind": "attribute"}

    def personal_lowercase_name(self) -> Sample:
        s = self.personal_attribute()
        s["text"] = s["text"].lower()
        s["kind"] = "attribute-lower"
        return s

    def personal_foreign(self) -> Sample:
        n, rng = self.name(), self.rng
        de = [f"Wie hoch ist das Gehalt von {n}?", f"{n} ist seit März krankgeschrieben wegen {self.pick(CONDITIONS)}",
              f"Bitte schreib eine Abmahnung für {n}, er kam elfmal zu spät", f"Die Privatadresse von {n} ist {self.faker().address()}",
              f"Wie viel Bonus bekommt {n} dieses Jahr?", f"{n} hat eine Scheidung und möchte Teilzeit arbeiten",
              f"Fasse die Leistungsbeurteilung von {n} zusammen", f"{n} verdient {_money(rng)} brutto im Jahr"]
        fr = [f"Quel est le salaire de {n} ?", f"{n} est en arrêt maladie pour {self.pick(CONDITIONS)}",
              f"Rédige un avertissement pour {n}, qui est toujours en retard", f"L'adresse de {n} est {self.faker().address()}",
              f"Quelle prime va toucher {n} cette année ?", f"{n} divorce et demande un temps partiel",
              f"Résume l'évaluation annuelle de {n}", f"{n} gagne {_money(rng)} par an, est-ce trop ?"]
        es = [f"¿Cuál es el salario de {n}?", f"{n} está de baja por {self.pick(CONDITIONS)}",
              f"Redacta una amonestación para {n}, llegó tarde once veces", f"La dirección de {n} es {self.faker().address()}",
              f"¿Cuánto bono recibe {n} este año?", f"{n} se está divorciando y pide media jornada",
              f"Resume la evaluación de desempeño de {n}", f"{n} cobra {_money(rng)} al año, ¿es mucho?"]
        return {"text": _case(rng, self.pick(rng.choice([de, fr, es]))), "label": "personal", "kind": "foreign"}

    def personal_narrative(self) -> Sample:
        n, rng = self.name(), self.rng
        frames = [f"{n} said she is moving out of her flat in {self.faker().city()} next month",
                  f"I'm worried about {n}, he has been drinking again since the divorce",
                  f"my neighbour {n} was arrested last night, what happens now?",
                  f"{n} is a very sympathetic person and a good listener; write a reference letter",
                  f"{n} was born on {self.en.date_of_birth()} in {self.faker().city()}",
                  f"Kevin gave {n} his address: {self.faker().address()}",
                  f"Hi {n}, I'm contacting you about a problem with my account",
                  f"My name is {n} and my date of birth is {self.en.date_of_birth()}",
                  f"{n}'s kid was sent home from school for fighting, how should the parents respond?",
                  f"{n} from accounting is pregnant and hasn't told anyone yet",
                  f"Our patient {n} missed her dialysis appointment again",
                  f"{n} has been caught stealing from the till, write up the incident"]
        return {"text": _case(rng, self.pick(frames)), "label": "personal", "kind": "narrative"}

    def personal_record(self) -> Sample:
        rng, f = self.rng, self.faker()
        rows = []
        header = rng.choice([["name", "email", "salary"], ["employee", "dept", "rating", "notes"],
                             ["patient", "mrn", "dob", "diagnosis"], ["name", "address", "phone"],
                             ["full_name", "ssn", "bank"]])
        for _ in range(rng.randrange(1, 5)):
            g = self.faker()
            vals = {"name": g.name(), "employee": g.name(), "patient": g.name(), "full_name": g.name(),
                    "email": g.email(), "salary": _money(rng), "dept": self.pick(["Sales", "Ops", "IT", "Finance"]),
                    "rating": str(rng.randrange(1, 6)), "notes": self.pick(TRAITS), "mrn": f"MRN{rng.randrange(10**6, 10**7)}",
                    "dob": str(g.date_of_birth()), "diagnosis": self.pick(CONDITIONS), "address": g.address().replace("\n", " "),
                    "phone": g.phone_number(), "ssn": self.en.ssn(), "bank": g.iban()}
            rows.append(",".join(vals[h] for h in header))
        form = rng.randrange(3)
        if form == 0:
            text = "Clean up this CSV and sort it:\n" + ",".join(header) + "\n" + "\n".join(rows)
        elif form == 1:
            text = (f"Name: {f.name()}\nDate of birth: {f.date_of_birth()}\nAddress: {f.address()}\n"
                    f"Reason for visit: {self.pick(CONDITIONS)}\n\nWrite the referral letter.")
        else:
            text = (f"Employee: {f.name()}\nManager: {f.name()}\nRating: {rng.randrange(1, 6)}/5\n"
                    f"Comments: {self.pick(TRAITS)}\nSalary: {_money(rng)}\n\nturn this into a review summary")
        return {"text": text, "label": "personal", "kind": "record"}

    def personal_email(self) -> Sample:
        f, g, rng = self.faker(), self.faker(), self.rng
        a = self.pick(PAY + HEALTH + PERF + FAMILY)
        body = rng.choice([f"Hi {g.first_name()},\n\nI wanted to let you know that my {a} came through. Please keep this between us.",
                           f"Dear {g.first_name()},\nfollowing our talk, your {a} is confirmed at {_money(rng)}.",
                           f"Hello,\n{f.first_name()} will be out for {self.pick(CONDITIONS)} treatment until further notice."])
        text = (f"From: {f.name()} <{f.email()}>\nTo: {g.name()}\nSubject: {a}\n\n{body}\n\nBest,\n{f.first_name()}"
                "\n\nSummarise this email.")
        if rng.random() < 0.4:
            text = text.replace(f"<{f.email()}>", "")
        return {"text": text, "label": "personal", "kind": "email"}

    def personal_chat(self) -> Sample:
        inner = self.rng.choice([self.personal_attribute, self.personal_narrative, self.personal_foreign])()
        opener = self.pick(["hi, can you help me with something at work?", "I need help with an HR case.",
                            "quick question", "Hello!"])
        reply = self.pick(["Of course, what do you need?", "Sure — go ahead.", "Happy to help. What is it?"])
        form = self.rng.randrange(3)
        if form == 0:
            text = f"User: {opener}\nAssistant: {reply}\nUser: {inner['text']}"
        elif form == 1:
            text = json.dumps([{"role": "user", "content": opener}, {"role": "assistant", "content": reply},
                               {"role": "user", "content": inner["text"]}], ensure_ascii=False)
        else:
            text = f"system: You are an HR assistant.\nuser: {inner['text']}"
        return {"text": text, "label": "personal", "kind": "chat"}

    def personal_tool_call(self) -> Sample:
        f, rng = self.faker(), self.rng
        args = rng.choice([{"employee": f.name(), "field": self.pick(PAY)},
                           {"patient_name": f.name(), "dob": str(f.date_of_birth()), "condition": self.pick(CONDITIONS)},
                           {"to": f.name(), "subject": self.pick(PERF), "body": f"your {self.pick(PERF)} is scheduled"},
                           {"name": f.name(), "home_address": f.address()},
                           {"customer": f.name(), "phone": f.phone_number()}])
        call = {"type": "function", "function": {"name": self.pick(["lookup_employee", "update_record", "send_email",
                                                                     "create_ticket", "get_patient"]),
                                                  "arguments": json.dumps(args, ensure_ascii=False)}}
        return {"text": json.dumps({"tool_calls": [call]}, ensure_ascii=False), "label": "personal", "kind": "tool"}

    def personal_contact(self) -> Sample:
        f, rng = self.faker(), self.rng
        frames = [f"Send the package to {f.name()}, {f.address()}", f"{f.name()} lives at {f.street_address()}",
                  f"the new address for {f.first_name()} is {f.street_address()}, {f.city()}",
                  f"Ship it to {f.address()}", f"my home address is {f.street_address()}",
                  f"{f.name()}'s passport number is {f.passport_number() if hasattr(f, 'passport_number') else rng.randrange(10**8)}",
                  f"Patient MRN {rng.randrange(10**5, 10**8)}, {f.name()}, prescribed {self.pick(MEDS)}",
                  f"Employee ID {rng.randrange(1000, 99999)} ({f.name()}) is on leave",
                  f"My SSN is {rng.randrange(100, 999)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}",
                  f"home address of the warehouse staff member {f.name()} please"]
        return {"text": _case(rng, self.pick(frames)), "label": "personal", "kind": "contact"}

    def personal_first_person(self) -> Sample:
        rng = self.rng
        frames = [f"I was just diagnosed with {self.pick(CONDITIONS)} and my boss {self.name()} doesn't know",
                  f"I earn {_money(rng)} at {self.company()}, my manager {self.name()} earns double",
                  f"My wife {self.name()} and I are getting divorced, how do we split the house at {self.en.street_address()}?",
                  f"I take {self.pick(MEDS)} every day, write a note to {self.name()} explaining my absence",
                  f"My son {self.faker().first_name()} has {self.pick(CONDITIONS)}, write to his teacher"]
        return {"text": _case(rng, self.pick(frames)), "label": "personal", "kind": "first-person"}

    # --- secrets ------------------------------------------------------------------------------------

    def _secret(self) -> str:
        rng = self.rng
        return rng.choice([f"sk-{_key(rng, 40)}", f"AKIA{_key(rng, 16, string.ascii_uppercase + string.digits)}",
                           f"ghp_{_key(rng, 36)}", f"xoxb-{rng.randrange(10**11)}-{_key(rng, 24)}", _key(rng, 32),
                           self.pick(["hunter2", "Summer2024!", "P@ssw0rd123", "letmein99", "Tr0ub4dor&3",
                                      "correcthorse7", "Welcome1!", "qwerty!234"]) + _key(rng, 2, string.digits)])

    def secret_code(self) -> Sample:
        rng, s, f = self.rng, self._secret(), self.faker()
        host = self.pick(["db.internal", "10.0.3.12", "prod-db-01", "localhost", "pg.acme.corp"])
        frames = [f'DB_PASSWORD="{s}"\nDB_HOST={host}\n\nwhy does my app fail to connect?',
                  f"postgres://{f.user_name()}:{s}@{host}:5432/app  <- is this connection string right?",
                  f"api_key = '{s}'\nclient = Client(api_key)\n# this raises 401, why?",
                  f"export AWS_SECRET_ACCESS_KEY={s}\nexport AWS_REGION=eu-west-1\nfix my script",
                  f'{{"service": "billing", "token": "{s}", "retries": 3}} what is wrong with this config?',
                  f"Server=tcp:{host};Database=prod;User Id={f.user_name()};Password={s};",
                  f"curl -H 'Authorization: Bearer {s}' https://api.example.com/v1/items returns 403",
                  f"mysql -u root -p{s} -h {host}  gives access denied",
                  f"redis:\n  url: redis://:{s}@{host}:6379/0\n\nconvert this yaml to toml",
                  f"-----BEGIN RSA PRIVATE KEY-----\nMIIE{_key(rng, 60)}\n-----END RSA PRIVATE KEY-----\nwhat format is this key?"]
        return {"text": self.pick(frames), "label": "secret", "kind": "code"}

    def secret_prose(self) -> Sample:
        rng, s, f = self.rng, self._secret(), self.faker()
        bank = self.pick(["Chase", "Barclays", "Sparkasse", "ING", "the bank", "PayPal", "Revolut"])
        frames = [f"my {bank} login is user {f.user_name()}, pass {s} - can you check my statements?",
                  f"the wifi password is {s}, write it on the welcome card",
                  f"username: {f.user_name()} password: {s}", f"My PIN is {rng.randrange(1000, 9999)}, is that safe enough?",
                  f"the door code for the server room is {rng.randrange(1000, 999999)}",
                  f"here are the admin credentials for the staging box: admin / {s}",
                  f"Log into {bank} with {f.email()} and {s} and download last month's statement",
                  f"Benutzer {f.user_name()}, Passwort {s} – warum klappt der Login nicht?",
                  f"utilisateur {f.user_name()} mot de passe {s}, aide-moi à me connecter",
                  f"usuario {f.user_name()} contraseña {s}, no puedo entrar",
                  f"the root password on prod is {s}, rotate it tomorrow",
                  f"Our Stripe secret key is {s}; add it to the deploy script"]
        return {"text": _case(rng, self.pick(frames)) if rng.random() < 0.3 else self.pick(frames),
                "label": "secret", "kind": "prose"}

    # --- confidential business ----------------------------------------------------------------------

    def business(self) -> Sample:
        rng, c = self.rng, self.company()
        q = self.pick(["Q1", "Q2", "Q3", "Q4", "first-half", "fiscal 2026"])
        city = self.faker().city()
        frames = [f"Our {q} revenue came in at {_money(rng)} below guidance; draft talking points before we announce",
                  f"We are laying off {rng.randrange(8, 900)} people in the {city} plant next month, write the memo",
                  f"Draft the board summary of our acquisition of {c} for {rng.randrange(20, 900)}M, still under NDA",
                  f"{c} pays us {_money(rng)} per seat with a {rng.randrange(5, 40)}% discount; renewal terms for the deck",
                  f"List our top {rng.randrange(3, 20)} customers by contract value with their renewal discounts",
                  f"Our lawyer says we will probably lose the patent case against {c}; how do we tell the board?",
                  f"the {city} site closes in {self.pick(['June', 'Q3', 'the autumn'])}, nobody knows yet — plan the comms",
                  f"Unannounced: we miss the {q} target by {rng.randrange(3, 30)}%. Prepare the investor FAQ",
                  f"Project {self.pick(['Falcon', 'Bluebird', 'Orion', 'Nightjar', 'Quartz'])}: we are in talks to buy {c}, summarise the term sheet",
                  f"Legal advice from counsel on the {c} dispute: settle for {_money(rng)}. summarise it",
                  f"Internal only: price increase of {rng.randrange(5, 30)}% for {c} starting next quarter, draft the email",
                  f"Our gross margin this quarter is {rng.randrange(10, 70)}% before the numbers are public; compare to last year",
                  f"We plan to cut the {self.pick(['support', 'marketing', 'QA', 'design'])} team by half after the merger, draft the FAQ",
                  f"{c} is threatening to sue us over the data breach, what should our response to their counsel say?",
                  f"Here is our confidential pricing sheet for {c}: tier A {_money(rng)}, tier B {_money(rng)}. Summarise.",
                  f"The reorg moves {rng.randrange(10, 300)} roles to {city}; staff hear about it Friday. Write the script."]
        return {"text": _case(rng, self.pick(frames)), "label": "business", "kind": "business"}

    def business_foreign(self) -> Sample:
        rng, c = self.rng, self.company()
        frames = [f"Wir schließen das Werk in {self.faker().city()} im Herbst, bitte entwirf die Mitteilung an die Belegschaft",
                  f"Unser Umsatz im dritten Quartal liegt {rng.randrange(3, 20)}% unter Plan, noch nicht veröffentlicht",
                  f"Nous allons licencier {rng.randrange(10, 400)} personnes à {self.faker().city()}, rédige le mémo",
                  f"Le rachat de {c} est confidentiel, prépare la note pour le conseil",
                  f"Vamos a despedir a {rng.randrange(10, 400)} empleados en {self.faker().city()}, redacta el comunicado",
                  f"{c} nos paga {_money(rng)} por licencia con un descuento del {rng.randrange(5, 40)}%, es confidencial"]
        return {"text": self.pick(frames), "label": "business", "kind": "business-foreign"}

    # --- hard negatives -----------------------------------------------------------------------------

    def neg_public_person(self) -> Sample:
        rng = self.rng
        p = self.pick(PUBLIC_PEOPLE) if rng.random() < 0.5 else self._famous()
        topic = self.pick(["the tariff", "slavery", "taxation", "the war", "science", "religion", "education",
                           "free trade", "women's suffrage", "economics", "art"])
        frames = [f"Who was {p}?", f"What was {p}'s position on {topic}?", f"Summarise {p}'s contributions to {topic}",
                  f"Write a short biography of {p}", f"When did {p} die?", f"What is {p} best known for?",
                  f"give me three quotes by {p}", f"How old was {p} when they became famous?",
                  f"Compare {p} and {self.pick(PUBLIC_PEOPLE)}", f"Why is {p} important in history?",
                  f"What did {p} write about {topic}?", f"Explain {p}'s theory in simple terms",
                  f"What was {p}'s childhood like?", f"Where was {p} born?", f"Was {p} married?",
                  f"Write a poem in the style of {p}", f"Did {p} ever visit America?",
                  f"Wer war {p}?", f"Qui était {p} ?", f"¿Quién fue {p}?", f"Tell me a fun fact about {p}"]
        return {"text": _case(rng, self.pick(frames)), "label": "none", "kind": "public-person"}

    def neg_fiction(self) -> Sample:
        c, w, rng = self.pick(FICTIONAL), self.pick(WORKS), self.rng
        frames = [f"Explain the plot of {w}", f"Why does {c} act the way they do?", f"Is {c} a tragic hero?",
                  f"Write an essay about {c}'s motives", f"What happens to {c} at the end?",
                  f"Describe the relationship between {c} and {self.pick(FICTIONAL)}", f"Who wrote {w}?",
                  f"What are the main themes of {w}?", f"Is {c}'s madness real or feigned?",
                  f"Write fan fiction where {c} meets {self.pick(FICTIONAL)}"]
        return {"text": _case(rng, self.pick(frames)), "label": "none", "kind": "fiction"}

    def neg_tech(self) -> Sample:
        t, rng = self.pick(TECH), self.rng
        frames = [f"What is {t} used for?", f"Is {t} a good fit for rate limiting?", f"Explain {t} to a beginner",
                  f"Compare {t} and {self.pick(TECH)}", f"How do I install {t} on Ubuntu?", f"What are the downsides of {t}?",
                  f"Write a Python example using {t}", f"How does {t} work?", f"When should I not use {t}?",
                  f"Give me an interview question about {t}", f"Why is my {t} cluster slow?"]
        return {"text": _case(rng, self.pick(frames)), "label": "none", "kind": "tech"}

    def neg_topic_question(self) -> Sample:
        rng = self.rng
        base = self.pick(TOPIC_QUESTIONS)
        if rng.random() < 0.4:
            a = self.pick(PAY + HEALTH + PERF + FAMILY)
            base = self.pick([f"How does a {a} usually work?", f"What is a typical {a}?", f"Explain {a} in general terms",
                              f"What should an employee know about {a}?", f"Write a generic policy on {a}",
                              f"What are best practices for handling {a}?", f"Is {a} taxable?",
                              f"What does the law say about {a} in the EU?"])
        return {"text": _case(rng, base), "label": "none", "kind": "topic-question"}

    def neg_public_company(self) -> Sample:
        c, rng = self.pick(PUBLIC_COMPANIES), self.rng
        y = rng.randrange(2015, 2026)
        frames = [f"Summarise {c}'s publicly reported revenue for {y}", f"What was {c}'s net income in fiscal {y}?",
                  f"According to {c}'s 10-K, how much did they spend on R&D?", f"How did {c}'s stock react to the {y} earnings call?",
                  f"Compare {c} and {self.pick(PUBLIC_COMPANIES)} market caps", f"Why did {c} announce layoffs in {y}?",
                  f"What did {c} say in its annual report about risks?", f"Explain {c}'s business model"]
        return {"text": _case(rng, self.pick(frames)), "label": "none", "kind": "public-company"}

    def neg_template(self) -> Sample:
        frames = ["Dear {first_name}, your order {order_id} has shipped to {address}.",
                  "Hi [Name], thanks for applying for the [Role] position. Your salary will be [amount].",
                  "Write a template offer letter with placeholders for <NAME>, <SALARY> and <START_DATE>",
                  "Fill in: Employee: ______  Salary: ______  Manager: ______",
                  "Create a Jinja template: Hello {{ user.name }}, your balance is {{ balance }}",
                  "Make a form with fields for name, email, phone and address",
                  "Generate a CSV header for an employee table: name, email, salary, department",
                  "password: ${DB_PASSWORD}\nuser: ${DB_USER}\nexplain these env references",
                  "api_key = os.environ['API_KEY']  # is this safe?",
                  "Replace YOUR_API_KEY_HERE with your real key in the config",
                  "What fields should a patient intake form have?"]
        return {"text": self.pick(frames), "label": "none", "kind": "template"}

    def neg_general(self) -> Sample:
        rng, t = self.rng, self.pick(GENERAL_TOPICS)
        frames = [f"Explain {t}", f"Write a short essay on {t}", f"What are the key facts about {t}?",
                  f"Explain {t} to a ten-year-old", f"Give me a quiz about {t}",
                  "The quick brown fox jumps over the lazy dog.", "Translate 'good morning' into Italian",
                  "Write a haiku about autumn rain", "What's a good recipe for banana bread?",
                  "How many kilometres is a marathon?", f"Summarise the history of {t} in three bullet points",
                  "Plan a three-day trip to Lisbon", "What is 17% of 2,340?", "Suggest names for a golden retriever puppy",
                  "Fix the grammar: me and him goes to the store yesterday", "Write a limerick about a cat named Pickles",
                  "Who won the 2018 World Cup?", "Convert 72 Fahrenheit to Celsius", "What rhymes with orange?"]
        return {"text": _case(rng, self.pick(frames)), "label": "none", "kind": "general"}

    def neg_code(self) -> Sample:
        frames = ["def luhn(n):\n    digits = [int(d) for d in str(n)]\n    return sum(digits) % 10 == 0\n\nwhy is this wrong?",
                  "SELECT name, salary FROM employees WHERE dept = 'sales';  -- how do I add an index?",
                  "for user in users:\n    print(user.name, user.email)\nmake this a list comprehension",
                  "How do I read a password from an environment variable in Rust?",
                  "class Employee(BaseModel):\n    name: str\n    salary: int\n    ssn: str | None = None\nadd validation",
                  "const redis = new Redis(process.env.REDIS_URL); why does it time out?",
                  "Write a regex that matches IBANs", "How do I hash passwords with argon2 in Go?",
                  "kubectl get pods -n kafka shows CrashLoopBackOff",
                  "git push is rejected with 'fetch first', what does that mean?"]
        return {"text": self.pick(frames), "label": "none", "kind": "code"}

    def neg_creative(self) -> Sample:
        n = self.faker().first_name()
        frames = [f"Write a short story about a girl named {n} who finds a dragon egg",
                  f"Invent a fantasy character called {n} the Brave and describe her sword",
                  f"Write a bedtime story starring a rabbit called {n}",
                  f"Come up with a villain named {n} for my tabletop campaign",
                  f"Write dialogue between two robots, {n} and Unit-7, arguing about tea"]
        return {"text": self.pick(frames), "label": "none", "kind": "creative"}

    def neg_foreign(self) -> Sample:
        p, t = self.pick(PUBLIC_PEOPLE), self.pick(TECH)
        frames = [f"Erkläre mir, wie {t} funktioniert", "Wie funktioniert ein Gehaltsband?", f"Was hat {p} erfunden?",
                  "Comment fonctionne une période d'essai en France ?", f"Explique-moi {t} simplement",
                  "¿Cómo se calcula un finiquito en España?", f"¿Para qué sirve {t}?", "Schreib ein Gedicht über den Herbst",
                  "Quels sont les symptômes de la grippe ?", "¿Qué es el IBAN y cómo se valida?"]
        return {"text": self.pick(frames), "label": "none", "kind": "foreign-neg"}

    def neg_chat(self) -> Sample:
        inner = self.rng.choice([self.neg_public_person, self.neg_tech, self.neg_topic_question, self.neg_general])()
        return {"text": f"User: hi\nAssistant: Hello! How can I help?\nUser: {inner['text']}", "label": "none",
                "kind": "chat-neg"}

    def neg_tool_call(self) -> Sample:
        args = self.rng.choice([{"query": self.pick(TECH), "limit": 5}, {"city": "Paris", "units": "metric"},
                                {"ticker": "MSFT", "period": "annual"}, {"topic": self.pick(GENERAL_TOPICS)}])
        call = {"type": "function", "function": {"name": self.pick(["search_docs", "get_weather", "get_quote", "wiki"]),
                                                  "arguments": json.dumps(args)}}
        return {"text": json.dumps({"tool_calls": [call]}), "label": "none", "kind": "tool-neg"}

    def neg_wrapped(self) -> Sample:
        """Harmless requests in the wrappers the sensitive ones use: chat JSON, tool results."""
        rng = self.rng
        if rng.random() < 0.4:
            slots: dict[str, Callable[[], str]] = {
                "tk": lambda: self.pick(["AAPL", "MSFT", "NVDA", "SAP", "TSLA"]), "px": lambda: f"{rng.uniform(20, 900):.2f}",
                "city": lambda: self.pick(["Paris", "Oslo", "Lisbon", "Denver"]), "t": lambda: str(rng.randrange(1, 400)),
                "topic": lambda: self.pick(GENERAL_TOPICS)}
            body = g.fill(self.pick(g.TOOL_RESULTS_NEG), rng, slots)
            return {"text": f"tool_result: {body}\n{self.pick(g.TOOL_TASKS_NEG)}", "label": "none", "kind": "wrapped-neg"}
        inner = rng.choice([self.neg_public_person, self.neg_tech, self.neg_topic_question, self.neg_general,
                            self.neg_fiction, self.neg_public_company])()
        first = inner["text"]
        follow = self.pick(["and why?", "tell me more", "shorter please", "and the second one?", "in French?"])
        text = json.dumps([{"role": "user", "content": first}, {"role": "assistant", "content": "Here is an answer..."},
                           {"role": "user", "content": follow}], ensure_ascii=False)
        return {"text": text, "label": "none", "kind": "wrapped-neg"}


def generate(n: int, seed: int = 7) -> list[Sample]:
    """``n`` labelled samples, the same for the same (n, seed)."""
    gen = Generator(seed)
    return [gen.sample() for _ in range(n)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    with args.out.open("w", encoding="utf-8") as fh:
        for s in generate(args.n, args.seed):
            fh.write(json.dumps(s, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
