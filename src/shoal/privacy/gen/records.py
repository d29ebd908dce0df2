"""Frame families for a private person in everyday records and sentences (mixed into ``Generator``).

The policy (README): a private person's name together with a personal attribute, or given as an
identity in a personal or transactional exchange, is personal data. The other families carry that
mostly as pay, health, performance and family matters; these add the plainer kinds, each as a family
of surface forms written for the policy (not copies of any evaluation text):

- the person introducing themselves or being named as who they are ("you can call me Mika", "I go
  by my middle name, Sorin", sign-offs with a role and a company);
- where a named person works or studies ("Alma Ruiz works in accounts at Tessaro GmbH");
- where a named person is, goes or will be ("Mr. Varga flies to Lyon on Tuesday morning");
- what someone thinks of a named person's character ("Why is Jonas always so short with people?");
- a named relative in a family, estate, school, care or account matter ("my niece Ida is moving in
  with us", "book a dentist appointment for my nephew Teo");
- postal and contact blocks: a name over an address, a company, a phone — as pasted from a letter,
  a signature or a label, in any case, with mail quoting or bullets at the line starts.

Hard negatives beside them: well-known public figures in the same kinds of sentences (a CEO's
company, a head of government's visit, a performer's tour), which are general knowledge; places,
timetables and trips with no one named; requests about a role rather than a person ("a thank-you
card for my tutor", "what does a paralegal earn?"); laws and effects named after people.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from shoal.privacy.gen import grammar as g
from shoal.privacy.gen.extra import CONTEMPORARY
from shoal.privacy.gen.parts import GeneratorParts

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "the 12th", "the 3rd"]
PARTS_OF_DAY = ["morning", "afternoon", "evening", "night"]
JOBS = ["accountant", "paralegal", "nurse", "site manager", "data analyst", "receptionist", "teacher", "welder",
        "claims handler", "office manager", "sales rep", "pharmacist", "lab technician", "driver", "bookkeeper",
        "HR assistant", "barista", "project coordinator", "security guard", "dental hygienist"]
DEPTS = ["accounts", "logistics", "the call centre", "IT support", "procurement", "payroll", "the front desk",
         "the warehouse", "customer care", "compliance"]
TRAIT_ADJ = ["impulsive", "moody", "arrogant", "dishonest", "careless", "aggressive", "controlling", "secretive",
             "jealous", "unreliable", "rude", "passive-aggressive", "disorganised", "stubborn", "manipulative",
             "anxious", "withdrawn", "short-tempered", "kind", "trustworthy", "generous", "hard-working", "patient"]

SELF_ID = [
    "you can call me {first}", "I go by {first}, it's short for my middle name", "friends know me as {first}",
    "the name's {last}, {n}", "my surname is {last}, spelled the usual way", "I'm {n}, we spoke on the phone yesterday",
    "this is {first} from flat {x}, about the noise", "it's {n} here, I'm the one who booked the room",
    "{n} speaking - I'm returning your call", "I'm {first}, {pp2} mother", "everyone at work calls me {first}",
    "my full name is {n} but I sign as {initials}", "{first} here. I think you have my old surname on file",
    "i'm {first}, the new tenant in {x}b", "hey it's {first} {last}, can you resend the invoice?",
    "I changed my name to {n} after the wedding", "put me down as {n}, plus one",
]
# A named relative in a family, estate, school, care or account matter (other relatives and other
# matters than ``extra.FAMILY_MATTERS``): the name with the matter is someone's family data.
KIN = ["my kid", "my child", "my youngest", "my eldest", "my stepdaughter", "my nephew", "my niece", "my grandson",
       "my granddaughter", "my godson", "our foster child", "my fiancée", "my ex", "my brother-in-law",
       "my mother-in-law", "my cousin", "my uncle", "my twin", "our son", "our daughter", "my dad", "my mum"]
KIN_MATTERS = [
    "Change my will so that {kin} {first} gets nothing", "How do I add {kin} {first} to my will as a beneficiary?",
    "Can {kin} {first} be the executor of my estate?", "{kin} {first} inherits the house - what tax applies?",
    "I'd like {kin} {first} to have power of attorney", "How do I get custody of {kin} {first}?",
    "{kin} {first} was suspended from school on {day}; draft an appeal", "Enrol {kin} {first} in the after-school club",
    "Book a dentist appointment for {kin} {first}", "{kin} {first} needs a new passport, what forms do I need?",
    "Please add {kin} {first} as a second user on my account", "Take {kin} {first} off the insurance policy",
    "{kin} {first} is moving in with us after the divorce", "Is {kin} {first} still covered by my health plan?",
    "Write a letter giving {kin} {first} permission to travel with {pp} grandparents",
    "{kin} {first} owes me 2,000 and won't pay it back; what can I do?",
]


# Sign-offs that carry contact details or a role (a bare "Thanks, Tom" in a draft is no one's data).
SIGN_OFFS = ["Kind regards,\n{n}\n{job}, {c}", "Cheers,\n{n}\n{phone}", "--\n{n}\n{job}\n{c}\n{phone}",
             "Regards\n{n}\nMobile: {phone}", "Sent by {n} ({email})"]
AFFILIATION = [
    "{n} works in {dept} at {c}", "{n} is a {job} at {c}", "{n} joined {c} as a {job} in {month}",
    "{n} from {c} called about the overdue invoice", "{n} is with {c} now, not with us any more",
    "our contact at {c} is {n}, the {job}", "{n} ({c}) will sign the contract", "{n} left {c} last month",
    "{n} studies at {school} and works weekends at {c}", "{n}, {job} at {c}, asked for a reference",
    "{n} is the {job} on our {dept} team", "{n} transferred from {c} to our {city} office",
    "is {n} still working at {c}?", "{n} used to be a {job} at {c} before the layoffs",
]
WHEREABOUTS = [
    "{title} {last} flew to {city} on {day} {part}", "{n} checked into the {hotel} in {city} on {day}",
    "{n} will be in {city} from {day} until the end of the month", "{n}'s train gets into {city} at {time}",
    "{title} {last} left the office at {time} and drove to {city}", "{n} is staying with {pp} sister in {city}",
    "{n} arrived in {city} {day} {part} and goes back on {day2}", "{first} is at the {city} clinic every {day}",
    "{n} was seen at {place} on {day} night", "{title} {last} is on the {time} ferry to {city}",
    "{n} moved back to {city} after the separation", "{n} picks the kids up from school at {time} on {day}s",
    "{title} {last}'s flight from {city} was delayed to {time}", "{n} spends {day}s at {pp} mother's in {city}",
]
JUDGEMENT = [
    "Why is {n} so {adj}?", "{n} has been really {adj} lately, should I say something?",
    "{first} is a very {adj} person. {P} is also hard to read.", "{n} is so {adj} with the new hires",
    "I can't work out why {first} is always this {adj}", "do you think {n} is {adj} or just stressed?",
    "{n} was {adj} again in the meeting, how do I handle it?", "my sister says {first} is {adj}. is she right?",
    "{first} is {adj} and you can never depend on {obj}", "{n} is {adj}; write it up for the file",
    "how do I tell {n} that {pr} comes across as {adj}?", "between us, {n} is the most {adj} person on the team",
]
PUBLIC_FRAMES = [
    "{p} flew to {city} on {day} for talks", "{p} is on a world tour this year", "What company does {p} lead?",
    "{p} gave the keynote at the conference", "{p} visited {city} last week, what was announced?",
    "Why is {p} so controversial?", "{p} is from {city} originally, isn't {P2}?", "Is {p} still at the same company?",
    "Have you heard {p} speak?", "{p} has a new book out - what is it about?", "Which team does {p} play for now?",
    "Summarise {p}'s speech in {city}", "{p} arrived in {city} on {day} for the summit",
]
HOTELS = ["Hilton", "Ibis", "Marriott", "Holiday Inn", "Premier Inn", "Radisson", "Novotel"]
PLACES = ["the casino", "the gym", "the Italian place on the corner", "the station", "the bar on Main Street",
          "the hospital car park", "her ex's house", "the food bank"]
SCHOOLS = ["the community college", "the university", "night school", "the Open University", "the local sixth form"]
COUNTRIES = ["United Kingdom", "Poland", "Germany", "France", "Spain", "Italy", "Norway", "Greece", "Brazil",
             "United States", "Hungary", "Finland", "Czech Republic", "Ireland", "Netherlands"]
# Everyday requests about a role, not a person, and general questions about jobs: no one's data.
ROLE_TASKS = [
    "Write a {kind} to {role}", "Help me write a {kind} for {role}", "How do I ask {role} for {favour}?",
    "What should I say to {role} about {favour}?", "Draft a polite {kind} to {role} about {favour}",
    "What does a {job} do all day?", "How much does a {job} earn in {country}?", "How do I become a {job}?",
    "Is a {job} a good career in {country}?", "What shifts does a {job} usually work?",
    "What should a {job} put on a CV?", "Interview questions for a {job} position",
    "What time does the school day end in {country}?", "How long is the school year in {country}?",
]
KINDS = ["thank-you card", "short note", "complaint letter", "reminder", "farewell card", "congratulations message",
         "apology", "text message", "letter of thanks"]
ROLES = ["my child's teacher", "the landlord", "a colleague who is leaving", "our neighbours", "the plumber",
         "the school", "my team", "the nurses on the ward", "the bus company", "my coach", "the hotel staff",
         "the council", "our cleaner", "the new neighbours", "my tutor"]
FAVOURS = ["a day off", "a refund", "fixing the boiler", "more time", "a reference", "the noise at night",
           "a late check-out", "the broken window", "the end-of-year party"]
# Places, timetables and trips with no one named: where the whereabouts frames above teach that a
# named person's movements are personal, these keep a city, a day and a time from meaning a person.
SCHEDULES = [
    "The {city} office opens at {time} on {day}s", "Our warehouse in {city} closes early on {day}",
    "The train to {city} leaves at {time}", "The team flies to {city} on {day} for the offsite",
    "The conference in {city} starts {day} {part}", "The {hotel} in {city} has late check-out until {time}",
    "Which ferry to {city} leaves after {time}?", "The shuttle from the {city} airport runs every 20 minutes",
    "The clinic in {city} is closed on {day}s", "Is the {city} store open on {day} {part}?",
    "Our {city} branch moves to the new building in {month}", "The bus to {city} was delayed until {time}",
    "What's the fastest way from {city} to {city2}?", "We land in {city} at {time}; the workshop starts at {time2}",
    "Plan a two-day trip to {city} with a museum on {day} {part}", "The {city} plant runs a night shift from {time}",
]
# Laws, effects and methods named after people: the name is the concept's, not a person's data.
EPONYMS = ["Nash equilibrium", "Fermi paradox", "Dunning-Kruger effect", "Pareto principle", "Occam's razor",
           "Murphy's law", "Turing test", "Doppler effect", "Fibonacci sequence", "Gantt chart",
           "Kaplan-Meier estimator", "Cohen's kappa", "Pearson correlation", "Levenshtein distance",
           "Dijkstra's algorithm", "Kruskal's algorithm", "Bloom filter", "Kalman filter", "Lindy effect",
           "Peter principle", "Streisand effect", "Heisenberg uncertainty principle", "Pascal's triangle",
           "Hubble constant", "Mandela effect", "Stroop effect", "Ohm's law", "Hooke's law", "Boyle's law",
           "Laffer curve", "Phillips curve", "Keynesian multiplier", "Gini coefficient", "Elo rating system",
           "Rorschach test", "Myers-Briggs test", "Maslow's hierarchy of needs", "Pavlovian conditioning",
           "Schrödinger's cat", "Zeno's paradox", "Euler's identity", "Bernoulli's principle", "Newton's third law"]
EPONYM_FRAMES = ["Explain the {e}", "What is the {e}?", "Give me a simple example of the {e}",
                 "How is the {e} used in practice?", "Is the {e} still taught today?", "explain the {e} like I'm five",
                 "Who came up with the {e}?", "Write a quiz question about the {e}"]
QUOTES = ["", "", "", "> ", ">", "| ", "* ", "- ", "• "]


class RecordFrames(GeneratorParts):
    """Builders mixed into ``Generator`` (which provides ``rng``, ``pick``, ``name``, ``faker``, ``en``)."""


    def _person_slots(self) -> dict[str, Callable[[], str]]:
        rng, f = self.rng, self.faker()
        she = rng.random() < 0.5
        first, last = str(f.first_name()), str(f.last_name())
        full = self.pick([f"{first} {last}", f"{first} {last}", first, f"{first} {first[0]}. {last}"])
        return {
            "n": lambda: full, "first": lambda: first, "last": lambda: last,
            "initials": lambda: f"{first[0]}. {last}", "title": lambda: self.pick(["Mr.", "Ms.", "Mrs.", "Dr.", "Mr", "Ms"]),
            "P": lambda: "She" if she else "He", "pr": lambda: "she" if she else "he", "pp": lambda: "her" if she else "his", "obj": lambda: "her" if she else "him",
            "pp2": lambda: self.pick(["Lena's", "Tom's", "Aiko's", "the twins'"]),
            "c": lambda: str(f.company()), "job": functools.partial(self.pick, JOBS),
            "dept": functools.partial(self.pick, DEPTS), "city": lambda: str(self.faker().city()),
            "month": functools.partial(self.pick, ["January", "March", "June", "September", "November"]),
            "school": functools.partial(self.pick, SCHOOLS), "day": functools.partial(self.pick, DAYS),
            "day2": functools.partial(self.pick, DAYS), "part": functools.partial(self.pick, PARTS_OF_DAY),
            "time": lambda: self.pick(["6:40", "7am", "noon", "17:15", "9.30", "half past eight", "10pm"]),
            "hotel": functools.partial(self.pick, HOTELS), "place": functools.partial(self.pick, PLACES),
            "adj": functools.partial(self.pick, TRAIT_ADJ), "x": lambda: str(rng.randrange(2, 60)),
            "phone": lambda: str(f.phone_number()), "email": lambda: str(f.email()),
        }

    def _finish(self, text: str, label: str, kind: str) -> dict[str, str]:
        r = self.rng.random()
        if r < 0.2:
            text = text.lower()
        elif r < 0.25:
            text = text.rstrip("?.!")
        return {"text": text, "label": label, "kind": kind}

    def personal_self_id(self) -> dict[str, str]:
        slots = self._person_slots()
        text = g.fill(self.pick(SELF_ID + SIGN_OFFS), self.rng, slots)
        if self.rng.random() < 0.3:
            task = self.pick(["Reply to this:", "Fix the grammar:", "Translate to German:", "Is this polite enough?"])
            text = f"{task}\n{text}"
        return self._finish(text, "personal", "self-id")

    def personal_affiliation(self) -> dict[str, str]:
        return self._finish(g.fill(self.pick(AFFILIATION), self.rng, self._person_slots()), "personal", "affiliation")

    def personal_whereabouts(self) -> dict[str, str]:
        return self._finish(g.fill(self.pick(WHEREABOUTS), self.rng, self._person_slots()), "personal", "whereabouts")

    def personal_judgement(self) -> dict[str, str]:
        return self._finish(g.fill(self.pick(JUDGEMENT), self.rng, self._person_slots()), "personal", "judgement")

    def personal_address_block(self) -> dict[str, str]:
        """A name over an address (and maybe a role, a company, phones), as pasted from a letter head,
        a signature, a shipping label or a quoted e-mail."""
        rng, f = self.rng, self.faker()
        lines = [str(f.name())]
        if rng.random() < 0.35:
            lines.append(self.pick(JOBS).title() if rng.random() < 0.5 else self.pick(JOBS))
        if rng.random() < 0.35:
            lines.append(str(f.company()))
        addr = str(f.address()).split("\n")
        if rng.random() < 0.3:
            addr = [str(f.city()).upper(), self.pick(COUNTRIES)]
        elif rng.random() < 0.3:
            addr = [", ".join(addr)]
        lines += addr
        if rng.random() < 0.3:
            lines.append(f"{self.pick(['Phone', 'Tel', 'Mobile', 'Cell'])}: {f.phone_number()}")
        sep = self.pick(["\n", "\n", "\n\n", "\n "])
        quote = self.pick(QUOTES)
        text = sep.join(quote + line for line in lines)
        r = rng.random()
        if r < 0.25:
            text = text.lower()
        if rng.random() < 0.35:
            text = self.pick(["Send it to:\n", "Address label:\n", "Please update my details:\n", "Ship to\n",
                              "From the letter head:\n", "Can you format this as an envelope?\n"]) + text
        return {"text": text, "label": "personal", "kind": "address-block"}

    def personal_kin(self) -> dict[str, str]:
        slots = self._person_slots()
        slots["kin"] = functools.partial(self.pick, KIN)
        text = g.fill(self.pick(KIN_MATTERS), self.rng, slots)
        if self.rng.random() < 0.3:
            text += self.pick([". Draft the note to the solicitor.", ". What are the steps?", " - please help",
                               ". Keep it short."])
        return self._finish(text[0].upper() + text[1:], "personal", "kin")

    def neg_role_request(self) -> dict[str, str]:
        slots: dict[str, Callable[[], str]] = {
            "kind": functools.partial(self.pick, KINDS), "role": functools.partial(self.pick, ROLES),
            "favour": functools.partial(self.pick, FAVOURS), "job": functools.partial(self.pick, JOBS),
            "country": functools.partial(self.pick, COUNTRIES)}
        return self._finish(g.fill(self.pick(ROLE_TASKS), self.rng, slots), "none", "role-request")

    def neg_schedule(self) -> dict[str, str]:
        slots = self._person_slots()
        slots["city2"] = lambda: str(self.faker().city())
        slots["time2"] = slots["time"]
        return self._finish(g.fill(self.pick(SCHEDULES), self.rng, slots), "none", "schedule")

    def neg_eponym(self) -> dict[str, str]:
        slots: dict[str, Callable[[], str]] = {"e": functools.partial(self.pick, EPONYMS)}
        return self._finish(g.fill(self.pick(EPONYM_FRAMES), self.rng, slots), "none", "eponym")

    def neg_public_roles(self) -> dict[str, str]:
        """Well-known public figures in the frames above: travel, work, character — general knowledge."""
        slots: dict[str, Callable[[], str]] = {
            "p": functools.partial(self.pick, CONTEMPORARY), "city": functools.partial(
                self.pick, ["Davos", "Brussels", "Tokyo", "Paris", "Washington", "Berlin", "Kyiv", "Beijing"]),
            "day": functools.partial(self.pick, DAYS[:7]), "P2": lambda: self.pick(["she", "he"])}
        text = g.fill(self.pick(PUBLIC_FRAMES), self.rng, slots)
        return self._finish(text, "none", "public-roles")
