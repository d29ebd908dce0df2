"""Generator families for the error kinds left after the first models (mixed into ``Generator``).

Written from the policy (README, "policy semantics"), not from any evaluation prompt:

- a famous person or character (``shoal.privacy.public_names``) with money, health, an address,
  family or legal matters is general knowledge ("How rich was <F>?"); the same name on a private
  person in a workplace or private context is personal data (a namesake);
- brand, product and place words that are also names (Meta, Victoria, Paris) in ordinary requests;
- arithmetic, formulas and code about pay with nobody identifiable; templates with placeholders and
  sample data (``John Doe``, ``555-0100``, ``example.com``);
- requests that would pull personal data about people without naming them ("list everyone in ops
  earning over 150k");
- terse credentials (``pw for X = Y``), terse HR notes ("let go Tom R. friday, perf"), and
  confidential business information in Italian, Portuguese and Dutch (and the harmless questions
  in those languages).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from functools import cached_property

from shoal.privacy.gen import grammar as g
from shoal.privacy.gen.parts import GeneratorParts

FAMOUS_SECTIONS = ("history", "science", "tech", "business", "philosophy_religion", "literature", "art", "music",
                   "film_tv", "sports", "fiction")

# General-knowledge questions about a public person's money, health, home, family or legal matters.
FAMOUS_FRAMES = [
    "How rich was {p}?", "What was {p}'s net worth when they died?", "How did {p} make a fortune?",
    "Who inherited {p}'s fortune?", "How much did {p} earn at the height of their career?",
    "What illness did {p} suffer from?", "Did {p} have depression?", "How did {p} die?",
    "What was {p}'s cause of death?", "Was {p} ever diagnosed with a mental illness?",
    "Where did {p} live?", "What was {p}'s home address?", "Can you visit {p}'s house today?",
    "Was {p} ever divorced?", "How many children did {p} have?", "Who was {p} married to?",
    "Why was {p} arrested?", "Was {p} ever sued?", "Did {p} go bankrupt?", "What scandal ruined {p}?",
    "Describe {p}'s final years and health problems", "How did {p} spend their money?",
    "Write an essay on {p}'s wealth and how it shaped their work", "Summarise {p}'s medical history as documented by biographers",
    "What debts did {p} leave behind?", "Explain the lawsuit involving {p}", "List three facts about {p}'s family life",
    "What was {p}'s salary?", "How much was {p} paid for their most famous work?",
    "Did {p} suffer from gout, and how was it treated then?", "What did {p}'s will say?",
    "Why is {p}'s fortune so famous?", "Compare the fortunes of {p} and {p2}",
    "Who was richer, {p} or {p2}?", "Was {p} really as miserly as people say?", "What was {p}'s childhood illness?",
    "Write a short biography of {p} covering money, marriage and illness", "What was {p}'s address in the story?",
    "Wie reich war {p}?", "Woran starb {p}?", "Quelle était la fortune de {p} ?", "De quoi est mort {p} ?",
    "¿Cuánto dinero tenía {p}?", "¿De qué enfermedad murió {p}?", "Quanto era ricco {p}?",
    "Di quale malattia soffriva {p}?", "Qual era a fortuna de {p}?", "Hoe rijk was {p}?",
]
# The same kinds of fact about a private person who happens to share a famous name.
NAMESAKE_FRAMES = [
    "Our new hire {n} still hasn't sent bank details for payroll, remind {pp2}", "{n} from accounting is on sick leave after {cond}",
    "Draft a performance improvement plan for {n} on the warehouse team", "{n} in my team asked for a raise to {m}, what do I say?",
    "Please update {n}'s home address to {addr} in the HR system", "{n} (badge {badge}) was late six times this month, write a warning",
    "My neighbour {n} is going through a divorce and asked me to keep it quiet", "{n}'s salary is {m}; draft the offer letter",
    "Patient {n}, DOB {dob}, presents with {cond}", "our intern {n} got a DUI last weekend, does HR need to know?",
    "Send {n}'s medical certificate to the benefits team", "Calculate {n}'s final pay: {m} per year, leaving on the 14th",
    "{n} in customer support disclosed {cond} to me in confidence", "Write to {n} declining their request for unpaid leave",
    "Can you summarise {n}'s disciplinary file before Monday?", "{n} (ext. {ext}) wants to move to part-time for childcare",
    "Kündigung für {n} vorbereiten, Probezeit endet am 30.", "{n} est en arrêt maladie depuis trois semaines",
    "El salario de {n} es {m}, prepara la carta", "{n} è in malattia da lunedì, avvisa il suo responsabile",
]
CONDITIONS = ["surgery", "a heart attack", "chemotherapy", "a burnout", "a miscarriage", "depression", "a stroke",
              "knee surgery", "long covid", "a panic disorder"]

LOOKALIKE_FRAMES = [
    "Is {b} a good stock to hold long term?", "What did {b} announce at its last product event?", "Compare {b} and {b2}",
    "How do I cancel my {b} subscription?", "Why did {b}'s share price fall last year?", "Is {b} hiring engineers?",
    "Write a product review of the {b} app", "What is {b}'s publicly reported annual revenue?",
    "How does {b} make money?", "Explain {b}'s business model to a student", "Which is cheaper, {b} or {b2}?",
    "Best things to do in {place} in spring", "What's the average salary for nurses in {place}?",
    "How expensive is rent in {place}?", "What is the climate of {place} like?", "Find me a hotel in {place} near the station",
    "How did {place} get its name?", "What's the population of {place}?", "Plan a two-day trip to {place}",
    "Is {place} safe for tourists at night?", "Recommend three restaurants in {place}",
    "The {place} office is closed on Monday for the public holiday", "What is the minimum wage in {place}?",
    "How do hospitals in {place} handle emergency care?", "Average house price in {place} last year?",
]

# Pay arithmetic, formulas and code with nobody identifiable.
PAY_MATH = [
    "If an employee earns {amt} a year and gets a {x}% raise, what is the new salary?",
    "Write an Excel formula that adds a {x}% raise to the salaries in column C",
    "=C2*(1+{x}%) doesn't work in Google Sheets, why?", "What is {x}% of a {amt} salary?",
    "Calculate overtime for {h} hours at ${r} an hour with time-and-a-half after 40",
    "Write a Python function that computes a bonus of {x}% of salary above a target",
    "SQL: UPDATE employees SET salary = salary * 1.0{xi} WHERE rating >= 4; is this safe in a transaction?",
    "How do I compute the median salary per department in pandas?", "Monthly take-home of a {amt} gross salary in Germany?",
    "If I earn {amt} and save {x}% a year, how long until I have 100k?", "I make ${r} an hour, what is that per year?",
    "Convert an annual salary of {amt} to an hourly rate assuming 1,720 hours",
    "What's the formula for a compa-ratio? Example: salary {amt}, midpoint {amt2}",
    "A salary band runs from {amt} to {amt2}; where is the midpoint?", "Is a {x}% raise good for a junior developer?",
    "How much tax would someone pay on a {amt} salary in the UK?", "What's the pro-rata salary for {h} hours a week of a {amt} full-time role?",
    "bonus = base * {x} / 100 if rating > 3 else 0  -- write unit tests for this", "Is a {amt} salary enough to live in Boston?",
    "Berechne das Nettogehalt bei {amt} brutto, Steuerklasse 1", "Calcule le salaire net pour {amt} brut par an",
    "¿Cuánto es el {x}% de un sueldo de {amt}?", "Calcola il netto di una RAL di {amt}",
]

TEMPLATES = [
    "Dear [Employee Name], we are pleased to confirm your salary of [New Salary] effective [Start Date].",
    "Hi {{first_name}}, your payslip for {{month}} is ready. Net pay: {{net_pay}}.",
    "Template: <Candidate Name> has accepted the offer of <Base Salary> plus <Bonus %>.",
    "Write a termination letter template with blanks for the employee's name, last day and severance amount",
    "Sample data for testing: John Doe, 123 Main Street, Springfield, phone 555-01{d2}, john.doe@example.com",
    "Use Jane Doe, DOB 01/01/1970, as the example patient in the training slides",
    "Fill the form with dummy values: Name: Max Mustermann, Straße: Musterstraße 1, 12345 Musterstadt",
    "Generate 5 fake customer records with names, emails at example.org and 555-01{d2} phone numbers",
    "Our docs use Alice and Bob as example users; Bob's password in the example is 'correct horse battery staple'",
    "Create a mail merge: Dear {{ salutation }} {{ last_name }}, your contract ends on {{ end_date }}.",
    "Placeholder text for the HR portal: [FULL NAME] – [JOB TITLE] – [SALARY BAND]",
    "Write a warning-letter template: 'Dear ____, on ____ you were late for the ____ time.'",
    "The test fixture uses user 'test_user' with password 'changeme' against the local Docker database",
    "In the README example the API key is sk-your-key-here; is that format right?",
    "Call us at 555-01{d2} (this is a fictional number for the movie script)",
    "Write a medical intake form template with fields for patient name, date of birth, allergies and medications",
    "Example JSON: {\"name\": \"<NAME>\", \"salary\": <SALARY>, \"ssn\": \"XXX-XX-XXXX\"}",
    "Modèle de lettre : Madame, Monsieur [NOM], votre salaire passe à [MONTANT] à compter du [DATE].",
    "Plantilla: Estimado/a [Nombre], su contrato finaliza el [fecha].",
]

SECRET_TERSE = [
    "pw for {thing} = {pw}", "{thing} pw: {pw}", "{thing} password is {pw}", "login for {thing}: {user} / {pw}",
    "creds {thing}: {user}:{pw}", "pwd {pw} ({thing})", "the {thing} pass is {pw}, don't share it",
    "{user} / {pw} for {thing}, can you check why it fails?", "new {thing} password -> {pw}",
    "{thing}: user {user} pass {pw}", "remember: {thing} = {user} + {pw}", "here is the login for {thing}, {user} {pw}",
    "Passwort für {thing}: {pw}", "mot de passe {thing} : {pw}", "contraseña de {thing}: {pw}",
    "la password di {thing} è {pw}", "senha do {thing}: {pw}", "wachtwoord voor {thing} is {pw}",
    "die Zugangsdaten für {thing} sind {user} und {pw}", "Kennwort {thing}: {pw}, bitte ändern",
    "l'identifiant de {thing} est {user} et le mot de passe {pw}", "la clave de {thing} es {pw}",
    "usuario {user}, clave {pw} para {thing}", "a senha de {thing} é {pw}, como troco?", "hasło do {thing}: {pw}",
    "le code du {thing} est {pw}", "il PIN di {thing} è {pin}", "PIN for {thing} is {pin}",
]
# Requests that would return personal data about identifiable people without naming anyone.
LOOKUPS = [
    "who in {team} makes more than {m}? names please", "list everyone in {team} earning over {m}",
    "which employees are on sick leave this month, with their reasons?", "give me the home addresses of the {team} staff",
    "who in {team} got a written warning this year?", "names of the people who failed the background check",
    "show me the salaries of the {team} team, highest first", "which of our drivers have points on their licence?",
    "pull the list of staff on a PIP and their managers", "who asked for parental leave in {team}? names and dates",
    "export the personal phone numbers of the {team} team to a spreadsheet", "which customers are behind on payments? names and amounts",
    "list the patients we saw for {cond} last week", "who in {team} is being let go next month?",
    "wer im {team} verdient mehr als {m}? bitte mit Namen", "qui dans l'équipe {team} gagne plus de {m} ? avec les noms",
    "¿quién en {team} cobra más de {m}? con nombres", "chi nel team {team} guadagna più di {m}? nomi per favore",
]
SECRET_THINGS = ["the wifi", "the router", "jira", "the staging db", "prod", "the NAS", "the vpn", "admin panel",
                 "wordpress", "the shared mailbox", "grafana", "the bank portal", "aws root", "the firewall", "sftp",
                 "the printer", "netflix", "the office alarm", "mysql", "the payroll system"]

TERSE_HR = [
    "let go {f} {i}. {day}, perf", "{f} {i}. - PIP ends {date}, not improving", "terminate {n} eom, attendance",
    "{n}: out sick {w} wks, {cond}", "{f} ({team}) raise {x}% -> {k}k", "move {n} to nights, childcare issue",
    "{n} dui, license suspended, no forklift", "fire {n}?", "{n} -> final warning, theft from till",
    "{f} {i}. asked for mat leave from {date}", "{n} salary {k}k, bonus {x}%, confirm w/ finance",
    "note: {f} disclosed {cond}, keep confidential", "{n} failed drug test {day}", "{f} {i}. garnishment order, payroll pls",
    "cut {n}'s hours to 20, {cond}", "{n} - harassment complaint filed {day}, investigate", "{f} {l} salary {k}k eff {date}",
    "{f} from {team}: divorce, wants address removed from directory", "{n} 1:1 notes - crying, money problems, gambling?",
]

BUSINESS_FOREIGN = [
    "Riservato: chiudiamo lo stabilimento di {city} entro {month}, {x} esuberi. Prepara la comunicazione",
    "Non divulgare: i ricavi del terzo trimestre sono calati del {x}%, i dati escono solo il {d}",
    "Stiamo trattando l'acquisizione di {c} per {m} milioni, massima riservatezza",
    "Il cliente {c} ha uno sconto del {x}% sul rinnovo, non dirlo agli altri clienti",
    "Parere legale interno: rischiamo una causa da {m} milioni con {c}, riassumi per il CdA",
    "Confidencial: vamos fechar a fábrica de {city} em {month}, {x} demissões",
    "Não divulgar: a receita do trimestre caiu {x}%, os resultados saem dia {d}",
    "Estamos negociando a compra da {c} por {m} milhões, sigilo total",
    "O contrato com a {c} tem desconto de {x}%, não mostrar a outros clientes",
    "Vertrouwelijk: we sluiten de vestiging in {city} in {month}, {x} ontslagen",
    "Niet delen: de omzet van het kwartaal ligt {x}% onder plan, publicatie pas op {d} {month}",
    "We onderhandelen over de overname van {c} voor {m} miljoen, strikt geheim",
    "Streng vertraulich: Übernahme von {c} für {m} Mio., Bekanntgabe erst im {month}",
    "Confidentiel : nous allons fermer le site de {city}, {x} postes supprimés, annonce en {month}",
    "Confidencial: la oferta por {c} es de {m} millones, el consejo decide el {d}",
]
FOREIGN_NEG = [
    "Come funziona il TFR in Italia?", "Qual è la differenza tra contratto a tempo determinato e indeterminato?",
    "Spiegami cos'è l'EBITDA", "Quali sono i sintomi dell'influenza?", "Scrivi una poesia sull'autunno",
    "Chi era Giuseppe Garibaldi?", "Come si calcola l'IBAN?", "Riassumi la trama dei Promessi Sposi",
    "Como funciona o décimo terceiro salário?", "O que é um IBAN?", "Quem foi Fernando Pessoa?",
    "Explique o que é inflação", "Quais são os sintomas da dengue?", "Escreva um poema sobre o mar",
    "Wat is een arbeidsovereenkomst?", "Hoe werkt de vakantiebijslag in Nederland?", "Wie was Vincent van Gogh?",
    "Leg uit wat een balans is", "Wat zijn de symptomen van griep?", "Schrijf een gedicht over de zee",
    "Come si scrive una lettera di dimissioni?", "Quanto dura il periodo di prova in Italia?",
    "Como se calcula a rescisão de contrato no Brasil?", "Hoeveel vakantiedagen heb je wettelijk in Nederland?",
]
# Arithmetic on unreleased company figures: the task is ordinary, the figures are confidential
# (the contrast to PAY_MATH, where nobody's real figures are involved).
UNRELEASED_TASKS = ["build a waterfall chart from {a} to {b}", "compute the margin change from {a} to {b}",
                    "what's the growth rate from {a} to {b}?", "make a slide comparing {a} and {b}",
                    "write the variance commentary for {a} vs {b}", "put {a} and {b} into a table with the % change",
                    "draft the CFO's talking points: {a} last year, {b} this year", "chart {a} vs {b} by quarter"]
UNRELEASED_FIGURES = ["net profit", "revenue", "EBITDA", "operating income", "bookings", "ARR", "gross margin",
                      "free cash flow", "Q3 sales", "headcount cost"]
UNRELEASED_CUES = ["these aren't public until {month}", "not released yet", "internal numbers, earnings call is next week",
                   "embargoed until the results announcement", "board only, don't share", "before we publish on the {d}th",
                   "the market doesn't know yet", "keep these internal until the 10-Q is filed", "unaudited, confidential",
                   "pre-announcement figures"]
CITIES = ["Torino", "Bologna", "Porto", "Campinas", "Eindhoven", "Utrecht", "Brescia", "Braga", "Gent", "Lyon",
          "Leipzig", "Zaragoza", "Verona", "Curitiba", "Tilburg"]
MONTHS = ["marzo", "giugno", "settembre", "março", "julho", "oktober", "maart", "März", "juin", "octubre"]
TEAMS = ["ops", "sales", "warehouse", "support", "finance", "night shift", "kitchen", "IT"]


def _password(rng: random.Random) -> str:
    form = rng.randrange(4)
    if form == 0:
        return "".join(rng.choice(string.ascii_letters + string.digits + "!@#$%") for _ in range(rng.randrange(8, 16)))
    if form == 1:
        return rng.choice(["Summer", "Winter", "Welcome", "Spring", "Autumn", "Passw0rd", "Dragon", "Monkey"]) + \
            str(rng.randrange(2015, 2027)) + rng.choice(["!", "#", "", "?"])
    if form == 2:
        return rng.choice(["hunter", "letmein", "qwerty", "admin", "sunshine", "trustno"]) + str(rng.randrange(1, 999))
    return "-".join(rng.choice(["blue", "horse", "tree", "cat", "lamp", "river", "stone", "mango"]) for _ in range(3)) + \
        str(rng.randrange(10, 99))


class PublicFrames(GeneratorParts):
    """Builders mixed into ``Generator`` (which provides ``rng``, ``pick``, ``name``, ``faker``, ``company``)."""


    @cached_property
    def _public(self) -> dict[str, list[str]]:
        """The public-name list by section, as written (the same file the scanner reads)."""
        from importlib import resources

        from shoal.privacy.public_names import PUBLIC_NAMES_FILE

        text = resources.files("shoal.privacy").joinpath("data", PUBLIC_NAMES_FILE).read_text(encoding="utf-8")
        out: dict[str, list[str]] = {}
        section = ""
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
            elif line:
                out.setdefault(section, []).extend(e.strip() for e in line.split("|") if e.strip())
        return out

    def _famous(self) -> str:
        return self.pick(self._public[self.rng.choice(FAMOUS_SECTIONS)])

    def _m(self) -> str:
        rng = self.rng
        return rng.choice([f"${rng.randrange(40, 250)},000", f"{rng.randrange(35, 180)}k", f"€{rng.randrange(30, 150)}.000"])

    def neg_famous_attribute(self) -> dict[str, str]:
        rng = self.rng
        text = g.fill(self.pick(FAMOUS_FRAMES), rng, {"p": self._famous, "p2": self._famous})
        return {"text": text.lower() if rng.random() < 0.15 else text, "label": "none", "kind": "famous-attribute"}

    def personal_famous_namesake(self) -> dict[str, str]:
        """A private person who shares a famous name (or a brand/place word as a first name)."""
        rng = self.rng

        def namesake() -> str:
            r = rng.random()
            if r < 0.35:  # a famous full name on somebody else
                return self.pick(self._public[rng.choice(("history", "science", "literature", "film_tv", "sports"))])
            if r < 0.7:  # an ordinary first name and a famous surname
                return f"{self.faker().first_name()} {self.pick(self._public['alone'])}"
            return f"{self.pick(self._public['places'][:40])} {self.faker().last_name()}"  # Victoria Stone

        she = rng.random() < 0.5
        slots: dict[str, Callable[[], str]] = {
            "n": namesake, "pp2": lambda: "her" if she else "him", "cond": lambda: self.pick(CONDITIONS),
            "m": self._m, "addr": lambda: str(self.faker().address()).replace("\n", ", "),
            "badge": lambda: str(rng.randrange(1000, 99999)), "dob": lambda: str(self.faker().date_of_birth()),
            "ext": lambda: str(rng.randrange(100, 9999))}
        text = g.fill(self.pick(NAMESAKE_FRAMES), rng, slots)
        return {"text": text.lower() if rng.random() < 0.1 else text, "label": "personal", "kind": "namesake"}

    def neg_lookalike(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {"b": lambda: self.pick(self._public["brands"]),
                                               "b2": lambda: self.pick(self._public["brands"]),
                                               "place": lambda: self.pick(self._public["places"])}
        text = g.fill(self.pick(LOOKALIKE_FRAMES), rng, slots)
        return {"text": text.lower() if rng.random() < 0.1 else text, "label": "none", "kind": "lookalike"}

    def neg_pay_math(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {
            "amt": lambda: rng.choice([f"${rng.randrange(30, 200)},000", f"{rng.randrange(30, 200)}k",
                                       f"€{rng.randrange(25, 150)}.000", f"£{rng.randrange(25, 150)},000"]),
            "amt2": lambda: f"${rng.randrange(60, 220)},000", "x": lambda: str(rng.choice([2, 3, 3.5, 4, 5, 7, 10, 12])),
            "xi": lambda: str(rng.randrange(2, 9)), "h": lambda: str(rng.randrange(20, 60)),
            "r": lambda: str(rng.randrange(12, 85))}
        return {"text": g.fill(self.pick(PAY_MATH), rng, slots), "label": "none", "kind": "pay-math"}

    def neg_template_sample(self) -> dict[str, str]:
        rng = self.rng
        text = g.fill(self.pick(TEMPLATES), rng, {"d2": lambda: f"{rng.randrange(0, 100):02d}"})
        return {"text": text, "label": "none", "kind": "template-sample"}

    def secret_terse(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {
            "thing": lambda: self.pick(SECRET_THINGS), "pw": lambda: _password(rng),
            "pin": lambda: str(rng.randrange(1000, 999999)),
            "user": lambda: rng.choice(["admin", "root", "deploy", "svc_backup", str(self.faker().user_name())])}
        text = g.fill(self.pick(SECRET_TERSE), rng, slots)
        return {"text": text.lower() if rng.random() < 0.2 else text, "label": "secret", "kind": "secret-terse"}

    def personal_terse_hr(self) -> dict[str, str]:
        rng = self.rng
        f = self.faker()
        first, last = str(f.first_name()), str(f.last_name())
        slots: dict[str, Callable[[], str]] = {
            "f": lambda: first, "l": lambda: last, "i": lambda: last[0], "n": lambda: rng.choice([first, f"{first} {last}", f"{first} {last[0]}."]),
            "day": lambda: self.pick(["friday", "mon", "tues", "thurs", "tomorrow", "eod", "next wk"]),
            "date": lambda: f"{rng.randrange(1, 13)}/{rng.randrange(1, 29)}", "w": lambda: str(rng.randrange(2, 9)),
            "cond": lambda: self.pick(["back surgery", "chemo", "depression", "pregnancy complications", "rehab",
                                       "broken hip", "anxiety", "cancer"]),
            "team": lambda: self.pick(TEAMS), "x": lambda: str(rng.randrange(2, 15)), "k": lambda: str(rng.randrange(38, 160))}
        text = g.fill(self.pick(TERSE_HR), rng, slots)
        return {"text": text.lower() if rng.random() < 0.4 else text, "label": "personal", "kind": "terse-hr"}

    def personal_lookup(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {"team": lambda: self.pick(TEAMS), "m": self._m,
                                               "cond": lambda: self.pick(CONDITIONS)}
        text = g.fill(self.pick(LOOKUPS), rng, slots)
        return {"text": text.lower() if rng.random() < 0.3 else text, "label": "personal", "kind": "lookup"}

    def business_unreleased_math(self) -> dict[str, str]:
        rng = self.rng

        def fig() -> str:
            return rng.choice([f"{rng.randrange(2, 900)}.{rng.randrange(0, 9)}M", f"${rng.randrange(2, 900)}M",
                               f"€{rng.randrange(2, 90)}.{rng.randrange(0, 9)}bn", f"{rng.randrange(100, 9000)}k"])

        what = self.pick(UNRELEASED_FIGURES)
        task = g.fill(self.pick(UNRELEASED_TASKS), rng, {"a": lambda: f"last year's {fig()} {what}",
                                                          "b": lambda: f"this year's {fig()}"})
        cue = g.fill(self.pick(UNRELEASED_CUES), rng, {"month": lambda: self.pick(["March", "April", "July", "October"]),
                                                       "d": lambda: str(rng.randrange(2, 28))})
        text = rng.choice([f"{task}? {cue}", f"{cue[0].upper()}{cue[1:]}: {task}", f"can you {task} - {cue}"])
        return {"text": text.lower() if rng.random() < 0.2 else text, "label": "business", "kind": "unreleased-math"}

    def business_foreign_more(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {
            "city": lambda: self.pick(CITIES), "month": lambda: self.pick(MONTHS), "x": lambda: str(rng.randrange(4, 400)),
            "d": lambda: str(rng.randrange(1, 29)), "c": self.company, "m": lambda: str(rng.randrange(5, 900))}
        return {"text": g.fill(self.pick(BUSINESS_FOREIGN), rng, slots), "label": "business", "kind": "business-foreign-more"}

    def neg_foreign_more(self) -> dict[str, str]:
        return {"text": self.pick(FOREIGN_NEG), "label": "none", "kind": "foreign-neg-more"}
