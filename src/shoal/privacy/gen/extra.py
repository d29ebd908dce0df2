"""More frame families for the training-data generator (mixed into ``shoal.privacy.gen.frames.Generator``).

Written after the first model's known misses, as *families* of surface forms, not as copies of any
evaluation prompt:

- text our own masking produced (``[PERSON_1]``, ``[EMAIL_ADDRESS_2]``): a placeholder beside a
  sensitive attribute is still personal ("[PERSON_1]'s salary"), a placeholder in an ordinary
  request is not ("the ticket from [EMAIL_ADDRESS_1] about a late parcel");
- places that are also first names (Paris, Denver, Florence, Austin) in ordinary requests;
- filler: a word, a sentence or lorem ipsum repeated, test strings;
- multi-sentence declarative reports (status updates, release notes, study summaries) with numbers;
- clinical shorthand about a named patient, a named relative's family or legal matters, and pay
  arithmetic about a named person.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from shoal.privacy.gen import grammar as g
from shoal.privacy.gen.parts import GeneratorParts

# Cities that are also people's first names, and other well-known places.
NAME_PLACES = ["Paris", "Denver", "Florence", "Austin", "Sydney", "Charlotte", "Victoria", "Jackson", "Madison",
               "Orlando", "Dallas", "Phoenix", "Houston", "Lincoln", "Chester", "Adelaide", "Eugene", "Tyler",
               "Savannah", "Raleigh", "Camden", "Georgia", "Vienna", "Lima", "Regina", "Aurora", "Beverly",
               "Santiago", "Alexandria", "Hamilton", "Wellington", "Nelson", "Darwin", "Valencia", "Florida",
               "Carolina", "Virginia", "Sofia", "Kingston", "Jordan", "Chelsea", "Dakota", "Cleveland", "Logan"]
PLACES = ["London", "Berlin", "Madrid", "Lisbon", "Oslo", "Dublin", "Toronto", "Chicago", "Seattle", "Boston",
          "Munich", "Lyon", "Seville", "Rotterdam", "Krakow", "Prague", "Tokyo", "Singapore", "Nairobi", "Mumbai",
          "São Paulo", "Mexico City", "Cape Town", "Melbourne", "Zurich", "Hamburg", "Barcelona", "Milan", "Leeds"]
COUNTRY_CAPITALS = [("France", "Paris"), ("Austria", "Vienna"), ("Peru", "Lima"), ("Bulgaria", "Sofia"),
                    ("Chile", "Santiago"), ("Jamaica", "Kingston"), ("New Zealand", "Wellington"),
                    ("Germany", "Berlin"), ("Portugal", "Lisbon"), ("Norway", "Oslo"), ("Spain", "Madrid"),
                    ("Ireland", "Dublin"), ("Japan", "Tokyo"), ("Kenya", "Nairobi"), ("Italy", "Rome")]
PLACE_FRAMES = [
    "The capital of {country} is {capital}.", "What is the capital of {country}?", "Is {capital} the capital of {country}?",
    "How many employees in {city} use the VPN?", "How many employees in {city} are on the new laptop model?",
    "Our {city} office moves to the new building in {month}", "Plan a weekend in {city} for two people",
    "What's the weather in {city} tomorrow?", "Find flights from {city} to {city2} next Friday",
    "Which is bigger, {city} or {city2}?", "Write a travel guide for {city} in five bullets",
    "Book a meeting room in the {city} office for Thursday", "How far is {city} from {city2} by train?",
    "The {city} team ships the mobile release on {month} 3", "List three museums in {city}",
    "What time zone is {city} in?", "Translate 'welcome to {city}' into Spanish", "Our warehouse in {city} opens at 7am",
    "The conference moved from {city} to {city2} this year", "Summarise the history of {city}",
    "How many people live in {city}?", "Why is {city} called that?", "Recommend restaurants near the {city} office",
    "The {city} data centre had a power test on {month} 12; summarise the public status page",
    "Sales reps in {city} and {city2} share one calendar. How do I set that up in Outlook?",
]
MONTHS = ["January", "March", "April", "June", "September", "October", "November"]

FILLER_WORDS = ["word", "test", "hello", "lorem", "ipsum", "foo", "bar", "data", "the", "blah", "asdf", "token",
                "a", "x", "ok", "yes", "no", "ping", "check", "sample", "repeat", "hi", "spam", "la", "na", "more"]
LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
         "dolore magna aliqua.")

# Declarative reports: a subject, what happened, a measurement.
REPORT_SUBJECTS = ["The migration", "The new release", "The load test", "The pilot", "The study", "The survey",
                   "The rollout", "The refactor", "The upgrade", "The experiment", "The audit of the build system",
                   "Version {v}", "The API", "The batch job", "The cache layer", "The mobile app", "The new parser",
                   "The redesign", "The warehouse robot trial", "The field test", "The benchmark suite",
                   "The onboarding flow", "The documentation site", "The recommendation model", "The index rebuild"]
REPORT_PREDICATES = ["finished two days early", "cut p95 latency by {x}%", "raised throughput by a third",
                     "ran on {x} machines with the production configuration", "kept error rates flat",
                     "moved to the new cluster without downtime", "needed {x} fewer servers",
                     "was tested on a week of traffic", "doubled the cache hit rate", "reduced build times to {x} minutes",
                     "covers {x} of the {y} endpoints", "was delayed by a dependency upgrade",
                     "showed no regressions in the nightly run", "improved accuracy from {x}% to {y}%",
                     "uses the same retry logic as before", "replaced the old queue", "is behind a feature flag",
                     "will be enabled for all regions next quarter", "found {x} flaky tests",
                     "is documented in the developer portal", "stayed within budget"]
REPORT_TAILS = ["", "", " Next we look at caching.", " The old path is kept for two releases.",
                " Details are in the appendix.", " The dashboards show the same trend.",
                " Clients can move at their own pace.", " We will revisit this in the spring."]
REPORT_TASKS = ["", "", "Summarise this report:", "Make this shorter:", "Turn this into release notes:",
                "Fix the grammar:", "Write a title for this:", "Translate into French:", "Rewrite for executives:"]

# Harmless requests holding our own masking's placeholders.
PH_NEUTRAL = [
    "Please summarise the ticket from {e} about a late parcel.", "Reply to {e} and confirm the meeting on {day}.",
    "Forward the invoice to {e} and ask for a PO number", "Draft a thank-you note to {p} for the book recommendation",
    "Call {ph} to reschedule the delivery", "{p} asked where the printer toner is kept; write a short answer",
    "Write a polite reminder to {p} about the team lunch on {day}", "The customer {e} wants the blue paint instead of green",
    "Summarise this thread between {p} and {p2} about the release date", "Send {p} the link to the style guide",
    "Ticket from {e}: the export button does nothing. What should support check?",
    "{p} suggested we move standup to 10am. Draft a message to the team.", "Book a table for {p} and me on {day}",
    "Order {x} laptops for the new starters and ship them to {addr}", "Hi {p}, thanks for the quick fix!",
    "Ask {e} whether the webinar slides are ready", "Translate this for {p}: the meeting is moved to {day}",
    "User {p} reported a typo on the pricing page", "Reply to {p}: yes, the office is closed on {day}",
    "{p} from the {team} team will present the roadmap on {day}", "Log a bug reported by {e}: dark mode is too dark",
]
# Placeholders beside sensitive attributes: still personal (the attribute stays, and context may identify).
PH_PERSONAL_EXTRA = [
    "What is {p}'s salary and bonus this year? Her email is {e}", "{p} ({e}) is on sick leave for {cond}",
    "{p} lives at {addr} and earns {m}", "{p}'s performance review says {pp} misses deadlines",
    "Write to {p} at {e} about the disciplinary hearing", "{p}'s SSN is {ssn} and {pp} salary is {m}",
]

# Pay arithmetic about a named person, clinical shorthand, a relative's matters.
PAY_CALC = [
    "Calculate {n}'s new salary if {p} gets {x}% on top of {amt}", "What is {n}'s take-home pay on {amt} a year?",
    "{n} is on {amt}; what does a {x}% raise come to?", "Work out {n}'s pro-rated bonus: {amt} for {x} months",
    "If {n} drops to four days a week, what is {pp} new salary from {amt}?",
    "{n}'s overtime last month: {x} hours at time and a half on {amt}. Total?",
    "How much back pay do we owe {n} after the {x}% correction to {amt}?",
]
CLINICAL = [
    "Pt {n}, {age}yo, c/o {sym}, hx of {cond}, meds {med}", "{n} ({age}F) presents with {sym}; PMH {cond}",
    "Discharge summary for {n}: admitted with {sym}, treated for {cond}, started {med}",
    "Pt {n} DOB {dob} MRN {mrn}: {cond}, on {med}", "Referral: {n}, {age}M, {sym} for 3 weeks, known {cond}",
    "Nursing note - {n} refused {med} again, family informed", "{n}'s labs: HbA1c {a1c}%, eGFR {x}; {cond}",
]
CLINICAL_TASKS = ["", "Annotate this note", "Summarise for the GP", "Write the referral letter", "What follow-up is due?",
                  "Rewrite in plain English for the family", "Flag anything urgent"]
SYMPTOMS = ["chest pain", "shortness of breath", "headaches", "dizziness", "weight loss", "abdominal pain",
            "palpitations", "low mood", "fatigue", "a persistent cough", "back pain"]
RELATIVES = ["my late mother", "my father", "my ex-husband", "my ex-wife", "my son", "my daughter", "my brother",
             "my sister", "my grandmother", "my stepson", "my aunt", "my partner"]
FAMILY_MATTERS = [
    "Write to the bank for {rel}, {n}, account closure, death certificate attached",
    "{rel} {n} hasn't paid child support since {month}; what are my options?",
    "Draft a letter to the school about {rel} {n}'s absence for {cond} treatment",
    "{rel}, {n}, was arrested for drink driving; how do I find a solicitor?",
    "Help me write the eulogy for {rel} {n}, who died of {cond} last week",
    "{rel} {n} owes {amt} on a credit card and the debt collectors keep calling",
    "{rel} {n} is in a care home in {city} and the fees went up to {amt}; write a complaint",
    "Fill in the probate form for {rel}, {n}, who left the house to me",
    "I want to take {rel} {first} out of my will. What do I need to do?",
    "How do I make {rel} {first} the guardian of my children in the will?",
    "{rel} {first} and I are separating; who keeps the flat?", "{rel} {first} was expelled from school last week",
    "Can I leave my share of the business to {rel} {first} instead of the others?",
]
# A private person identifying themselves or being looked up in a service conversation: the name is
# given as an identity (an account, a booking, a beneficiary), which is personal data on its own.
IDENTITY = [
    "What's your name? {n}", "What's your last name? {last}", "Bot: What's the name on the account? User: {n}",
    "Maybe it's under {n}", "My name is {n} but everyone calls me {first}", "I'm {n}, originally from {city}, and I'm {age}.",
    "The name on the account is not correct, please change it to {n}", "I want to add {n} as a beneficiary to my account",
    "Follow up with {n} in a couple of months.", "{n} lives on {street}.", "{n}\n\n{city}\n{country}",
    "Please put the booking under {n}, arriving {day}", "Agent: Who am I speaking with? Customer: {n}",
    "The parcel is for {n}, flat {x}", "Hi, this is {n} calling about my claim", "Can you look up the policy holder {n}?",
    "{first} is very reliable. You can always depend on {obj}.", "Ask {n} to call me back, it's about {pp} mortgage",
    "Passenger name: {n}. Seat {x}C.", "Je m'appelle {n} et j'habite à {city}", "Me llamo {n}, vivo en {city}",
    "Ich heiße {n} und wohne in {city}", "Update the emergency contact to {n}, {pp} sister",
]

# Living public figures (business, sport, music, film, politics, science): questions about what they
# do in public are general knowledge, in the present tense as much as the past.
CONTEMPORARY = """
Satya Nadella|Tim Cook|Sundar Pichai|Mark Zuckerberg|Sam Altman|Lisa Su|Mary Barra|Jamie Dimon|Larry Fink
Reed Hastings|Marc Benioff|Susan Wojcicki|Sheryl Sandberg|Andy Jassy|Brian Chesky|Daniel Ek|Masayoshi Son
Novak Djokovic|Rafael Nadal|Simone Biles|LeBron James|Cristiano Ronaldo|Kylian Mbappé|Naomi Osaka|Lewis Hamilton
Max Verstappen|Shohei Ohtani|Megan Rapinoe|Eliud Kipchoge|Katie Ledecky|Stephen Curry|Tom Brady|Coco Gauff
Adele|Billie Eilish|Ed Sheeran|Rihanna|Drake|Bad Bunny|Dua Lipa|Bruce Springsteen|Paul McCartney|Lady Gaga
Meryl Streep|Tom Hanks|Denzel Washington|Cate Blanchett|Christopher Nolan|Greta Gerwig|Steven Spielberg
Keanu Reeves|Zendaya|Pedro Almodóvar|Bong Joon-ho|Hayao Miyazaki|Olaf Scholz|Rishi Sunak|Justin Trudeau
Ursula von der Leyen|Jacinda Ardern|Narendra Modi|Joe Biden|Kamala Harris|Volodymyr Zelensky|Christine Lagarde
Jerome Powell|Janet Yellen|Mario Draghi|Pedro Sánchez|Giorgia Meloni|Lula da Silva|Jennifer Doudna
Katalin Karikó|Demis Hassabis|Geoffrey Hinton|Yann LeCun|Fei-Fei Li|Jane Fonda|Noam Chomsky|Yuval Noah Harari
Malcolm Gladwell|Stephen King|J.K. Rowling|Haruki Murakami|Margaret Atwood|Salman Rushdie|Chimamanda Ngozi Adichie
""".replace("\n", "|").strip("|").split("|")
PUBLIC_NOW = [
    "Who is {p}?", "What is {p} doing now?", "How old is {p}?", "What company does {p} run?", "What is {p} known for?",
    "Summarise {p}'s career so far", "What did {p} say in the latest interview?", "Is {p} still active?",
    "How many titles has {p} won?", "What is {p}'s most famous work?", "Where did {p} grow up?",
    "Write a short profile of {p} for a school project", "What are {p}'s views on {topic}?",
    "Compare {p} with {p2}", "Why is {p} in the news?", "Give me three facts about {p}", "Who is {p} married to?",
    "What awards has {p} received?", "Which university did {p} attend?", "When did {p} become famous?",
]
PUBLIC_TOPICS = ["climate policy", "AI safety", "remote work", "interest rates", "free speech", "education",
                 "open source", "taxes", "trade"]

# Forms, schemas and test data that name personal fields but hold no one's values.
FORM_FIELDS = ["full name", "date of birth", "emergency contact", "home address", "phone number", "email",
               "salary", "national insurance number", "SSN", "passport number", "diagnosis", "allergies",
               "MRN", "bank account", "IBAN", "next of kin", "marital status", "start date", "manager",
               "blood type", "medications", "employee ID", "tax ID", "gender", "nationality"]
RECORDS = ["patient record", "employee profile", "customer account", "job application", "insurance claim",
           "payroll entry", "tenant application", "student record", "loan application", "visitor badge"]
FORM_FRAMES = [
    "Write a JSON schema for a {rec} with {f1}, {f2}, {f3} and {f4}",
    "Fill-in-the-blank form: {F1}: ____ {F2}: ____ {F3}: ____ — translate to {lang}",
    "Design a web form for a {rec}: {f1}, {f2}, {f3}", "Create a SQL table for a {rec} ({f1}, {f2}, {f3})",
    "Generate fake test data: {x} rows with columns {f1}, {f2}, {f3} (obviously fake values)",
    "Which fields of a {rec} are personal data: {f1}, {f2}, {f3}?", "Write a Pydantic model for a {rec} with {f1} and {f2}",
    "{F1}: ________\n{F2}: ________\n{F3}: ________\nTurn this into a printable form",
    "What validation rules should {f1} and {f2} have on a {rec} form?", "Make a CSV header for a {rec}: {f1},{f2},{f3}",
    "How should we store {f1} and {f2} for a {rec} securely?", "Write a Django model for a {rec} with {f1}, {f2} and {f3}",
]

# Legal advice to the organisation about its own matter: confidential (privileged), however casual.
LAWYERS = ["Our lawyer", "Our counsel", "Outside counsel", "The legal team", "Our solicitor", "Our attorney",
           "The GC", "Legal", "Our in-house lawyer", "The barrister"]
LEGAL_VERBS = ["said", "thinks", "advised that", "warned that", "told us", "expects that", "wrote that"]
LEGAL_MATTERS = ["the claim from the building owner", "the claim by our former sales director", "the supplier dispute",
                 "the patent suit from {c}", "the employment tribunal case", "the class action", "the {c} arbitration",
                 "the regulator's inquiry", "the wrongful dismissal claim", "the trademark fight with {c}",
                 "the breach-of-contract claim", "the data protection complaint"]
LEGAL_OUTCOMES = ["will cost us {m}", "is one we will probably lose", "should be settled for {m}",
                  "exposes us to about {m}", "is weak on our side", "needs to stay out of the board pack for now",
                  "could go to trial in {d}", "means we should not mention it to customers", "is worth fighting",
                  "will take {x} months and {m} in fees"]
LEGAL_NEG = [
    "How much does a lawsuit usually cost a small business?", "What does a lawyer do in a contract dispute?",
    "What is legal privilege and when does it apply?", "Explain how an employment tribunal works",
    "What is the difference between arbitration and litigation?", "How long does a patent lawsuit usually take?",
    "Write a generic explanation of what settlement means in a lawsuit", "What is a class action?",
    "When should a startup hire outside counsel?", "What does a general counsel do?",
]

# Tool plumbing as the gateway's scan text renders a request (``shoal.models.scan_text``): message
# texts, tool-call names and ids, arguments as ``key: value`` lines, tool results, and each tool
# definition's name, description and JSON-schema keys on lines of their own.
TOOL_NAMES = ["lookup", "search_orders", "get_customer", "create_ticket", "send_email", "run_query", "get_weather",
              "update_record", "fetch_doc", "calendar_add"]
TOOL_DESCRIPTIONS = ["Look up an order", "Search the knowledge base", "Create a support ticket", "Send an email",
                     "Run a read-only SQL query", "Get the weather for a city", "Update a CRM record",
                     "Fetch a document by id", "Add a calendar event"]
ARG_KEYS = ["note", "query", "text", "body", "comment", "input", "message", "details", "q", "content"]
PROP_NAMES = [("id", "The order id"), ("query", "Search terms"), ("city", "City name"), ("body", "Message body"),
              ("record_id", "The record to update"), ("limit", "How many results")]
USER_TURNS = ["Please help.", "Hi.", "Can you do this?", "Go ahead.", "Use the tool.", "thanks", "Next one please."]
TOOL_RESULTS = ["ok", "done", '{"status": "ok"}', "no results", "200 OK", "saved", "[]"]

# Key material written out: wallet and signing keys, seed phrases, webhook and JWT secrets.
KEY_FRAMES = [
    "signer private key 0x{hex64} - which address does it give?", "my wallet seed phrase is {seed}; is it stored safely?",
    "signing secret {hex32} for the webhook - where do I put it?", "JWT_SECRET={b64}\nwhy do tokens fail to verify?",
    "ed25519 private key: {b64}{b64}", "the HMAC key is {hex32}, compute the signature for this payload",
    "-----BEGIN OPENSSH PRIVATE KEY-----\n{b64}{b64}\n-----END OPENSSH PRIVATE KEY-----\nadd it to the CI",
    "use this deploy key {b64} to clone the repo", "Ethereum wallet 0x{hex40} key 0x{hex64}, check the balance",
    "mnemonic: {seed}\nrestore the wallet", "encryption key for the backups: {hex32}",
]
SEED_WORDS = ["abandon", "orbit", "canal", "velvet", "marble", "tiger", "hollow", "rescue", "gentle", "pepper",
              "lunar", "harvest", "tunnel", "echo", "fragile", "magnet", "oyster", "saddle", "window", "zebra"]
# Errands for a named person with where they live or travel: contact details in everyday form.
ERRANDS = [
    "Order a cab for {n} from {addr} to the station at {h}", "Send flowers to {n} at {addr}",
    "Arrange a courier to collect the laptop from {n}, {addr}", "Pick up {n} at {addr} at {h} on {day}",
    "Ship the replacement card to {n}, {addr}", "Reserve a hotel room near {addr} for {n}",
    "Schedule the home visit for {n} at {addr}", "Deliver the prescription to {n} at {addr} before {h}",
    "Update {n}'s delivery address to {addr}", "{n} is staying at {addr} until {day}; forward the mail there",
]
# Legal and commercial advice in German, French and Spanish.
FOREIGN_ADVICE = [
    "El abogado piensa que vamos a perder el pleito con {c}; resúmelo para la dirección",
    "La asesoría jurídica recomienda pagar {m} a {c} para evitar la demanda", "{c} tiene un descuento del {x}% hasta {year}, no se lo digas a otros clientes",
    "Notre avocat estime que nous perdrons le litige avec {c} ; prépare la note pour la direction",
    "Le service juridique conseille de transiger avec {c} pour {m}", "{c} bénéficie d'une remise de {x}% jusqu'en {year}, c'est confidentiel",
    "Unser Anwalt meint, wir verlieren den Prozess gegen {c}; fasse es für den Vorstand zusammen",
    "Die Rechtsabteilung empfiehlt einen Vergleich mit {c} über {m}", "{c} bekommt {x}% Rabatt bis {year}, bitte nicht weitergeben",
]


class MoreFrames(GeneratorParts):
    """Builders mixed into ``Generator`` (which provides ``rng``, ``pick``, ``name``, ``faker``, ``en``)."""

    families: list[tuple[float, Callable[[], dict[str, str]]]]

    def _ph(self, kind: str) -> str:
        return f"[{kind}_{self.rng.choice([1, 1, 1, 2, 3])}]"

    def _ph_slots(self) -> dict[str, Callable[[], str]]:
        rng = self.rng
        she = rng.random() < 0.5
        return {"e": lambda: self._ph("EMAIL_ADDRESS"), "p": lambda: self._ph("PERSON"),
                "p2": lambda: f"[PERSON_{rng.choice([2, 3, 4])}]", "ph": lambda: self._ph("PHONE_NUMBER"),
                "addr": lambda: self._ph("STREET_ADDRESS"), "ssn": lambda: self._ph("US_SSN"),
                "day": lambda: self.pick(["Monday", "Tuesday", "Thursday", "Friday", "the 14th"]),
                "team": lambda: self.pick(["design", "platform", "data", "support"]),
                "x": lambda: str(rng.randrange(2, 40)), "m": lambda: f"${rng.randrange(40, 300)},000",
                "cond": lambda: self.pick(SYMPTOMS[:4] + ["depression", "cancer", "a back injury"]),
                "pp": lambda: "her" if she else "his"}

    def placeholder_neutral(self) -> dict[str, str]:
        text = g.fill(self.pick(PH_NEUTRAL), self.rng, self._ph_slots())
        return {"text": text, "label": "none", "kind": "placeholder-neutral"}

    def placeholder_personal(self) -> dict[str, str]:
        rng = self.rng
        slots = self._ph_slots()
        if rng.random() < 0.4:
            text = g.fill(self.pick(PH_PERSONAL_EXTRA), rng, slots)
        else:
            facts = [f for f in g.PERSON_FACTS if "{" in f.replace("{n}", "")] or g.PERSON_FACTS
            more = {"n": slots["p"], "m": slots["m"], "x": slots["x"], "pp": slots["pp"],
                    "p": lambda: self.pick(["she", "he"]), "d": lambda: self.pick(MONTHS),
                    "cond": slots["cond"], "med": lambda: self.pick(g.DRUGS), "addr": slots["addr"],
                    "phone": slots["ph"], "dob": lambda: self._ph("DATE_OF_BIRTH"), "city": lambda: self.pick(PLACES)}
            text = g.fill(self.pick(facts), rng, more) + ". " + g.fill(self.pick(g.TASKS), rng, more)
        return {"text": text, "label": "personal", "kind": "placeholder-personal"}

    def neg_place(self) -> dict[str, str]:
        rng = self.rng
        country, capital = rng.choice(COUNTRY_CAPITALS)

        def city() -> str:
            r = rng.random()
            return self.pick(NAME_PLACES) if r < 0.5 else self.pick(PLACES) if r < 0.8 else str(self.faker().city())

        slots: dict[str, Callable[[], str]] = {"country": lambda: country, "capital": lambda: capital, "city": city,
                                               "city2": city, "month": functools.partial(self.pick, MONTHS)}
        text = g.fill(self.pick(PLACE_FRAMES), rng, slots)
        return {"text": text.lower() if rng.random() < 0.1 else text, "label": "none", "kind": "place"}

    def neg_filler(self) -> dict[str, str]:
        rng = self.rng
        form = rng.randrange(5)
        if form == 0:
            text = " ".join([self.pick(FILLER_WORDS)] * rng.randrange(2, 400))
        elif form == 1:
            text = " ".join([LOREM] * rng.randrange(1, 12))
        elif form == 2:
            sentence = self._report_sentence()
            text = " ".join([sentence] * rng.randrange(2, 30))
        elif form == 3:
            text = rng.choice(["\n", " ", ", "]).join(str(rng.randrange(0, 1000)) for _ in range(rng.randrange(3, 200)))
        else:
            words = [self.pick(FILLER_WORDS) for _ in range(rng.randrange(2, 6))]
            text = " ".join(words * rng.randrange(2, 80))
        task = self.pick(["", "", "Count the words:", "Summarise:", "What is this?", "Translate:"])
        return {"text": f"{task} {text}".strip(), "label": "none", "kind": "filler"}

    def _report_sentence(self) -> str:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {"x": lambda: str(rng.randrange(2, 60)),
                                               "y": lambda: str(rng.randrange(60, 99)),
                                               "v": lambda: f"{rng.randrange(1, 5)}.{rng.randrange(0, 20)}"}
        return g.fill(f"{self.pick(REPORT_SUBJECTS)} {self.pick(REPORT_PREDICATES)}.{self.pick(REPORT_TAILS)}", rng, slots)

    def neg_report(self) -> dict[str, str]:
        rng = self.rng
        body = " ".join(self._report_sentence() for _ in range(rng.choice([2, 3, 4, 6, 8, 12])))
        task = self.pick(REPORT_TASKS)
        return {"text": f"{task}\n{body}".strip(), "label": "none", "kind": "report"}

    def personal_pay_calc(self) -> dict[str, str]:
        rng = self.rng
        she = rng.random() < 0.5
        slots: dict[str, Callable[[], str]] = {"n": self.name, "p": lambda: "she" if she else "he",
                                               "pp": lambda: "her" if she else "his",
                                               "x": lambda: str(rng.choice([2, 3, 4.5, 5, 7, 8, 10, 12, 15])),
                                               "amt": lambda: f"{rng.randrange(28, 240)},{rng.randrange(100, 999)}"}
        return {"text": g.fill(self.pick(PAY_CALC), rng, slots), "label": "personal", "kind": "pay-calc"}

    def personal_clinical(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {
            "n": self.name, "age": lambda: str(rng.randrange(18, 95)), "sym": functools.partial(self.pick, SYMPTOMS),
            "cond": functools.partial(self.pick, ["MI 2019", "T2DM", "COPD", "CKD stage 3", "AF", "asthma", "HTN",
                                                  "depression", "epilepsy", "breast ca 2021"]),
            "med": functools.partial(self.pick, [d + " " + s for d in g.DRUGS for s in ("", "40", "500mg", "bd")]),
            "dob": lambda: str(self.en.date_of_birth()),
            "mrn": lambda: str(rng.randrange(10**6, 10**8)), "a1c": lambda: f"{rng.uniform(5, 11):.1f}",
            "x": lambda: str(rng.randrange(15, 90))}
        note = g.fill(self.pick(CLINICAL), rng, slots)
        task = self.pick(CLINICAL_TASKS)
        text = rng.choice([f'{task}: "{note}"', f"{note}\n{task}", note]) if task else note
        return {"text": text, "label": "personal", "kind": "clinical"}

    def neg_public_now(self) -> dict[str, str]:
        slots: dict[str, Callable[[], str]] = {"p": functools.partial(self.pick, CONTEMPORARY),
                                               "p2": functools.partial(self.pick, CONTEMPORARY),
                                               "topic": functools.partial(self.pick, PUBLIC_TOPICS)}
        text = g.fill(self.pick(PUBLIC_NOW), self.rng, slots)
        return {"text": text.lower() if self.rng.random() < 0.15 else text, "label": "none", "kind": "public-now"}

    def neg_form(self) -> dict[str, str]:
        rng = self.rng
        fields = rng.sample(FORM_FIELDS, 4)
        slots: dict[str, Callable[[], str]] = {"rec": functools.partial(self.pick, RECORDS),
                                               "lang": functools.partial(self.pick, ["Spanish", "German", "French"]),
                                               "x": lambda: str(rng.randrange(3, 50))}
        for i, f in enumerate(fields, 1):
            slots[f"f{i}"] = functools.partial(str, f)
            slots[f"F{i}"] = functools.partial(str, f[0].upper() + f[1:])
        return {"text": g.fill(self.pick(FORM_FRAMES), rng, slots), "label": "none", "kind": "form"}

    def business_legal(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {"c": lambda: str(self.faker().company()),
                                               "m": lambda: self.pick(["250k", "$1.2M", "€450,000", "£80k", "3M", "$75,000"]),
                                               "d": functools.partial(self.pick, MONTHS), "x": lambda: str(rng.randrange(3, 30))}
        fact = g.fill(f"{self.pick(LAWYERS)} {self.pick(LEGAL_VERBS)} {self.pick(LEGAL_MATTERS)} "
                      f"{self.pick(LEGAL_OUTCOMES)}", rng, slots)
        task = self.pick(["", "", "Draft the board note.", "summarise it for the CEO", "what should we do?",
                          "write the reply to the other side", "make a risk table"])
        text = f"{fact}. {task}".strip() if task else fact
        return {"text": text.lower() if rng.random() < 0.15 else text, "label": "business", "kind": "legal"}

    def neg_legal(self) -> dict[str, str]:
        return {"text": self.pick(LEGAL_NEG), "label": "none", "kind": "legal-neg"}

    def wrapped_request(self) -> dict[str, str]:
        """Another family's sample placed where a tool request carries text: a tool-call argument, a
        tool result or the user turn, among the plumbing lines of a rendered request."""
        rng = self.rng
        families = [f for _, f in self.families if getattr(f, "__name__", "") != "wrapped_request"]
        inner = rng.choice(families)()
        text = inner["text"]
        name = self.pick(TOOL_NAMES)
        call = f"call_{rng.randrange(1, 9)}" if rng.random() < 0.5 else "call_" + "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.choice([8, 12, 24])))
        prop, prop_desc = rng.choice(PROP_NAMES)
        where = rng.randrange(3)
        user = text if where == 0 else self.pick(USER_TURNS)
        argument = f"{self.pick(ARG_KEYS)}: {text}" if where == 1 else f"{prop}: {rng.randrange(1, 99999)}"
        result = text if where == 2 else self.pick(TOOL_RESULTS)
        lines = [user, name, call, argument, call, result]
        if rng.random() < 0.8:
            lines += ["function", name, self.pick(TOOL_DESCRIPTIONS), "object", prop, "string", prop_desc]
        return {"text": "\n".join(lines), "label": inner["label"], "kind": "wrapped-request"}

    def secret_key_material(self) -> dict[str, str]:
        rng = self.rng

        def hexed(k: int) -> Callable[[], str]:
            return lambda: "".join(rng.choice("0123456789abcdef") for _ in range(k))

        slots: dict[str, Callable[[], str]] = {
            "hex64": hexed(64), "hex40": hexed(40), "hex32": hexed(32),
            "b64": lambda: "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                                   for _ in range(rng.randrange(24, 44))),
            "seed": lambda: " ".join(rng.choice(SEED_WORDS) for _ in range(12))}
        return {"text": g.fill(self.pick(KEY_FRAMES), rng, slots), "label": "secret", "kind": "key-material"}

    def personal_errand(self) -> dict[str, str]:
        rng = self.rng
        f = self.faker()
        slots: dict[str, Callable[[], str]] = {
            "n": self.name, "addr": lambda: str(f.address()).replace("\n", ", ") if rng.random() < 0.5 else str(f.street_address()),
            "h": lambda: rng.choice(["6", "7:30", "9am", "noon", "5pm", "18:00"]),
            "day": functools.partial(self.pick, ["Monday", "Friday", "the 3rd", "next week"])}
        return {"text": g.fill(self.pick(ERRANDS), rng, slots), "label": "personal", "kind": "errand"}

    def business_foreign_advice(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {"c": lambda: str(self.faker().company()),
                                               "m": lambda: self.pick(["250.000 €", "1,2 M€", "80 000 €", "3 millones"]),
                                               "x": lambda: str(rng.randrange(5, 40)), "year": lambda: str(rng.randrange(2026, 2030))}
        return {"text": g.fill(self.pick(FOREIGN_ADVICE), rng, slots), "label": "business", "kind": "foreign-advice"}

    def personal_identity(self) -> dict[str, str]:
        rng = self.rng
        f = self.faker()
        slots: dict[str, Callable[[], str]] = {
            "n": self.name, "last": lambda: str(f.last_name()), "first": lambda: str(f.first_name()),
            "city": lambda: str(f.city()), "country": lambda: str(self.en.country()), "age": lambda: str(rng.randrange(18, 90)),
            "street": lambda: str(f.street_address()), "day": functools.partial(self.pick, MONTHS),
            "x": lambda: str(rng.randrange(2, 90)), "pp": functools.partial(self.pick, ["his", "her"]),
            "obj": functools.partial(self.pick, ["him", "her"])}
        text = g.fill(self.pick(IDENTITY), rng, slots)
        return {"text": text.lower() if rng.random() < 0.15 else text, "label": "personal", "kind": "identity"}

    def personal_family(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {
            "rel": functools.partial(self.pick, RELATIVES), "n": self.name, "month": functools.partial(self.pick, MONTHS),
            "first": lambda: str(self.faker().first_name()),
            "cond": functools.partial(self.pick, ["cancer", "dementia", "a stroke", "heart failure", "leukaemia"]),
            "amt": lambda: f"£{rng.randrange(2, 90)},{rng.randrange(100, 999)}",
            "city": functools.partial(self.pick, PLACES)}
        text = g.fill(self.pick(FAMILY_MATTERS), rng, slots)
        return {"text": text[0].upper() + text[1:], "label": "personal", "kind": "family"}
