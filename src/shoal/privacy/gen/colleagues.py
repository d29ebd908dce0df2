"""Named colleagues and companies in ordinary work: the name is there, nobody's private data is.

A private person's name alone is not personal data under the policy (README): "Schedule a sync with
Dana Whitfield and Luis Ortega on Thursday" or "Draft a note to the design team at Moore, Richards
and Bailey about the new expense policy" go out; the same errand with the person's pay, health,
rating, address or family matters in it stays in. Both halves come from the same frames, so the
model learns the attribute, not the name, decides (minimal pairs). Companies come from Faker in many
locales; their names are often surnames ("Krause Barth KGaA"), which the name detector reads as people.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from shoal.privacy.gen import grammar as g
from shoal.privacy.gen.parts import GeneratorParts

# {n}, {n2}: people; {c}: a company; {day}: a day; {team}: a team; {topic}: an ordinary work subject.
ERRANDS = [
    "Schedule a 30-minute sync with {n} and {n2} on {day} about {topic}",
    "Ask {n} to review my pull request for the {thing}",
    "Write a short welcome message for {n}, who joins the {team} team on {day}",
    "Draft a thank-you email to {n} for the presentation on {topic}",
    "Write an email to {n} asking whether the slides on {topic} are ready",
    "Remind {n} and {n2} that the workshop on {topic} moved to {day}",
    "Introduce {n} from the {team} team to {n2} in one friendly paragraph",
    "Draft a note to the {team} team at {c} about {event}",
    "Write a Slack message to the team at {c}: {event} is on {day}",
    "Send the team at {c} a reminder about {event}",
    "Turn these notes into minutes: {n} presented {topic}, {n2} will follow up on {day}",
    "Summarise this thread: {f}: can we move the standup to 10? {f2}: fine by me. {f3}: ok",
    "write an email to {n} thanking them for covering the {team} on-call rotation last week",
    "Congratulate {n} on shipping the {thing} in a short LinkedIn post",
    "Draft the invite for {n}'s farewell lunch on {day}",
    "Can you make this friendlier: '{f}, please send me the numbers for {topic} before {day}'",
    "Write a two-line intro for {n}, our speaker on {topic} at the {day} meetup",
    "{f} asked for feedback on the doc about {topic}. Give me three polite bullet points",
    "Prepare a one-page agenda for the kickoff with {c}; {n} leads the call",
    "Reply to {n} from {c}: we received the signed NDA and will send the agenda by {day}",
    "Write release notes crediting {n} and {n2} for the {thing}",
    "Ask {n} if the {team} team can demo the {thing} on {day}",
    "Draft a calendar description for the training on {topic} run by {n}",
    "Write a reply to {n} saying the meeting room is booked for {day} at 2pm",
    "Thank {n} at {c} for hosting us during the site visit",
    "pls write msg to {f} that i'll be 10 min late to the call about {topic}",
    "Tell {n} that the bug in the {thing} is fixed and deployed",
    "Write a birthday message for {f} from the whole {team} team",
    # Rosters: several names in one errand are a meeting, not a staff file.
    "Book a meeting room for me, {n} and {n2} on {day} at 10",
    "Set up a recurring standup with the {team} team: {f}, {f2}, {f3} and {f4}",
    "Meeting notes. Attendees: {n}, {n2}, {n3}. Actions: {f} to update the {thing} tickets, {f2} to book the venue for {event}",
    "Summarise: {f} will own {topic}, {f2} takes the {thing}, {f3} checks the budget with {c} by {day}",
    "Make a rota for the {team} on-call: {f}, {f2}, {f3}, {f4}, one week each starting {day}",
    "Write the invite for the {topic} workshop. Facilitators: {n} and {n2}; guests: {f3}, {f4}",
    "Who should present first on {day}: {f}, {f2} or {f3}? Suggest an order for the {topic} review",
    "Create a seating plan for the {event} dinner with {n}, {n2}, {n3} and {f4}",
    "Draft an email to {n}, {n2} and {n3} confirming the {topic} call on {day}",
    "Turn this into a table: {f} - {thing}; {f2} - {topic}; {f3} - {event}",
    "List the owners: {n} (frontend), {n2} (backend), {n3} (QA) for the {thing}",
    "Send {f}, {f2} and {f3} the link to the {topic} recording",
    "Write a short welcome for our new joiners {n}, {n2} and {n3} in the {team} channel",
    "Congratulate {n} and the {team} team on launching the {thing}",
]
FOREIGN_ERRANDS = [
    "Schreib eine kurze Mail an {n}: das Meeting zu {topic_de} ist am {day_de}",
    "Bitte formuliere eine Dankesnachricht an {n} für die Präsentation",
    "Rédige un message de bienvenue pour {n}, qui rejoint l'équipe {team} {day_fr}",
    "Écris un mail à {n} pour confirmer la réunion {day_fr}",
    "Escribe un correo a {n} para recordarle la reunión del {day_es}",
    "Redacta un mensaje de agradecimiento para {n} por la presentación",
    "Scrivi una email a {n} per spostare la riunione a {day_it}",
]
# What turns an errand into personal data about the named person (the sensitive half of each pair).
PRIVATE_CLAUSES = [
    "and mention that {p} salary goes up to {m} next month", "and say {p} rating this year was 'below expectations'",
    "and mention {p} sick leave for depression until {day}", "and add that {p} new home address is {addr}",
    "and note that {p} PIP ends on {day}", "and say that {p} divorce hearing is on {day}",
    "and mention that {p} bonus was cut to {m}", "and add that {p} visa expires in March",
    "and tell them {p} chemotherapy starts on {day}", "and mention {p} formal warning for lateness",
    "and add {p} mobile number, {phone}, to the invite", "and say that {p} disability accommodation was approved",
]
THINGS = ["login page", "search API", "billing export", "checkout flow", "mobile app release", "data pipeline",
          "onboarding docs", "CI pipeline", "dashboard redesign", "Kafka consumer"]
TOPICS = ["the Q3 roadmap", "the API migration", "customer onboarding", "the security training", "the design system",
          "the hiring plan", "our OKRs", "the incident review", "the brand refresh", "accessibility"]
EVENTS = ["the new expense policy", "the office move", "the holiday schedule", "the Q3 planning offsite",
          "the fire drill", "the new badge readers", "the IT maintenance window", "the summer party",
          "the parking changes", "the updated travel policy", "the all-hands agenda"]
TEAMS = ["design", "platform", "data", "support", "marketing", "finance", "sales", "mobile", "legal ops"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the 14th", "Monday the 3rd"]
FOREIGN_SLOTS = {"topic_de": ["die Roadmap", "das Onboarding", "die Schulung"],
                 "day_de": ["Montag", "Dienstag", "Donnerstag"], "day_fr": ["lundi", "jeudi", "la semaine prochaine"],
                 "day_es": ["lunes", "jueves", "viernes"], "day_it": ["lunedì", "giovedì"]}


class ColleagueFrames(GeneratorParts):
    """Minimal pairs: a named colleague or a company in an errand, with and without private data."""

    def _errand(self, *, named: bool = False) -> str:
        """An errand; ``named``: one that names a person (the private clause needs someone to be about)."""
        rng = self.rng
        first = lambda: str(self.faker().first_name())
        slots: dict[str, Callable[[], str]] = {
            "n": self.name, "n2": self.name, "n3": self.name, "c": self.company, "f": first, "f2": first,
            "f3": first, "f4": first,
            "day": lambda: self.pick(DAYS), "team": lambda: self.pick(TEAMS), "topic": lambda: self.pick(TOPICS),
            "thing": lambda: self.pick(THINGS), "event": lambda: self.pick(EVENTS),
            **{k: functools.partial(self.pick, v) for k, v in FOREIGN_SLOTS.items()}}
        frames = FOREIGN_ERRANDS if rng.random() < 0.15 else ERRANDS
        if named:
            frames = [f for f in ERRANDS if "{n}" in f or "{f}" in f]
        text = g.fill(self.pick(frames), rng, slots)
        return text.lower() if rng.random() < 0.12 else text

    def neg_named_errand(self) -> dict[str, str]:
        return {"text": self._errand() + self.pick([".", "", "?", " please.", ", thanks"]), "label": "none",
                "kind": "named-errand"}

    def personal_named_errand(self) -> dict[str, str]:
        rng = self.rng
        slots: dict[str, Callable[[], str]] = {
            "p": lambda: self.pick(["her", "his", "their"]), "day": lambda: self.pick(DAYS),
            "m": lambda: self.pick(["$92,000", "€64.500", "£71k", "105k", "$8,000", "CHF 118'000"]),
            "addr": lambda: str(self.faker().address()).replace("\n", ", "),
            "phone": lambda: str(self.faker().phone_number())}
        text = self._errand(named=True).rstrip(".?'") + ", " + g.fill(self.pick(PRIVATE_CLAUSES), rng, slots)
        return {"text": text, "label": "personal", "kind": "named-errand"}
