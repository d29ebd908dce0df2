"""Compositional frames: a subject, a fact about it and a task, each drawn from its own list.

``frames.py`` writes whole sentences; here sentences are *assembled* (opener + fact + task, in
varying order and register) so the model sees the same fact in many surroundings and the same
surroundings with sensitive and harmless facts. Slots: ``{n}`` a private person's name, ``{p}`` a
pronoun, ``{m}`` an amount, ``{c}`` a company, ``{d}`` a date or time, ``{x}`` a number.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# Facts about a private person (personal data once tied to a name or an identifiable role).
PERSON_FACTS = [
    "{n} earns {m} a year", "{n}'s new salary would be {m}", "{n} got a {x}% raise", "{n} is paid {m}",
    "{n}'s bonus was cut to zero", "we offered {n} {m} plus a sign-on bonus", "{n} asked for {m} more",
    "{n}'s parental leave pay stops in {d}", "{n} is on {m} and wants a review", "{n}'s equity refresh is {x}k shares",
    "{n}'s commission for {d} was clawed back", "{n} was overpaid by {m}", "{n} makes less than her peers",
    "I rated {n} a {x}/5", "{n} got 'below expectations' this cycle", "{n} is on a performance plan",
    "{n} missed {x} deadlines this quarter", "{n} was late {x} times in {d}", "{n} shouted at a customer",
    "{n} is being investigated for harassment", "{n} falsified the expense report", "{n} failed probation",
    "{n} got a written warning in {d}", "{n} is on the redundancy list", "{n} was dismissed for misconduct",
    "{n} has been signed off with depression", "{n} has {cond}", "{n} is pregnant", "{n} is having IVF",
    "{n} had a miscarriage", "{n} is in rehab", "{n} takes {med}", "{n} was diagnosed with {cond} in {d}",
    "{n} is off sick after surgery", "{n} had a panic attack at work", "{n} is HIV positive",
    "{n}'s visa expires in {d}", "{n}'s work permit was refused", "{n} is going through a divorce",
    "{n} has a custody hearing on {d}", "{n} was arrested last weekend", "{n} has a criminal record",
    "{n} filed for bankruptcy", "{n} has wage garnishment for child support", "{n} is a victim of domestic abuse",
    "{n} is gay and hasn't told the team", "{n} is caring for her dying mother", "{n}'s son is in hospital",
    "{n} lives at {addr}", "{n}'s mobile is {phone}", "{n}'s date of birth is {dob}", "{n}'s employee number is {x}",
    "{n}'s passport expires in {d}", "{n} moved to {addr}", "{n}'s emergency contact is her ex-husband",
    "{n} told me in confidence that {p} is looking for another job", "{n} disputes {pp} rating",
    "{n} has been disengaged since {pp} father died", "{n} wants to go part-time after the divorce",
    "{n} asked for reasonable adjustments for {pp} ADHD", "{n} was caught drinking on shift",
]
TASKS = [
    "Draft the letter.", "Write the email to {pp} manager.", "how do I handle it?", "what should I say?",
    "summarise it for the file", "write it up for HR", "put it in a table", "give me talking points",
    "is that fair?", "what are my options?", "help me reply", "calculate the new total",
    "make it sound kinder", "draft a note to payroll", "how do I tell the team without saying why?",
    "prepare the meeting notes", "write the reference", "check the numbers", "what do I put in the file?",
    "should the board know?", "rewrite this more diplomatically", "write the incident report",
    "compare with last year", "what does the law say in this case?", "draft my answer",
]
OPENERS = ["", "", "", "quick one - ", "Hi, ", "Can you help? ", "Context: ", "FYI ", "Confidential: ",
           "Need advice. ", "so ", "ok so ", "Urgent: ", "Between us, "]
ROLES_NAMED = ["our VP of Sales", "the night-shift lead", "my direct report", "the new hire", "our CFO",
               "the warehouse supervisor", "a nurse on ward 4", "our receptionist", "the intern",
               "the candidate", "our driver", "the team lead in Leeds", "my colleague", "the store manager"]

# Identifiable without a name: a unique role, a small group with numbers.
UNNAMED = [
    "my two analysts are on {m} and {m} and the new one wants {m}",
    "our head of legal is on sick leave for {cond}", "the only woman in the dispatch team is pregnant",
    "the guy in accounts who sits by the window has {cond}", "our CFO's package is {m} plus {x}% bonus",
    "the three cashiers at the {city} branch were caught stealing", "my manager makes {m}",
    "the receptionist at our {city} office was arrested", "the new CTO asked for {m} and a relocation bonus",
    "the contractor on the {city} site has a drug conviction", "home addresses of the {city} warehouse staff",
    "phone numbers of all the parents in class {x}B", "the list of employees who took sick leave for mental health",
    "everyone on my team with their salary and rating", "the people on a PIP in the {city} office",
]

BUSINESS_FACTS = [
    "our {q} revenue came in at {m}, {x}% below guidance", "we will miss the annual target by {x}%",
    "we burned {m} this quarter and have {x} months of runway", "churn jumped to {x}% and investors don't know",
    "the auditors found a {m} revenue recognition problem we haven't disclosed",
    "our preliminary {q} sales are {x}% below plan", "net profit fell to {m}, not public until {d}",
    "we are laying off {x} people in {city} next month", "the {city} plant closes in {d}; staff don't know yet",
    "{x} roles in the {city} office will be made redundant after the reorg", "we're cutting the {team} team by half",
    "we plan to offshore {x} jobs to {city}", "a hiring freeze and {x}% contractor cuts start next quarter",
    "we are negotiating to buy {c} for {m}", "the LOI for buying {c} says {x}x revenue with an earn-out",
    "{c} offered to buy us at {x}x ARR", "our Series C closes at a down round", "we're selling the {team} division to {c}",
    "the term sheet from {c} values us at {m}", "our bid for the {city} contract is {m}",
    "{c} pays us {m} a year with a {x}% discount", "{c}'s renewal is due in {d} and they want {x}% off",
    "our top customers by contract value and their discounts", "our pricing floor for {c} is {m} per seat",
    "{c} is {x} days overdue on {m}", "our contract with {c} caps liability at {m}",
    "counsel expects an adverse ruling in the {c} case", "legal says we may have breached GDPR with {c}'s data",
    "the regulator opened an inquiry into our {q} claims", "our lawyer advises settling with {c} for {m}",
    "counsel says the non-compete is unenforceable", "we received a subpoena for the CFO's emails",
    "the internal investigation found falsified safety logs", "we're shutting down the {team} product line next quarter",
    "the {q} numbers restated internally are {m} lower", "our gross margin is {x}% before the numbers are public",
]
BUSINESS_TASKS = [
    "Draft the board memo.", "write the all-hands script", "prepare the investor FAQ", "summarise the risks",
    "make a table for the deck", "draft the email before the announcement", "what do we tell employees?",
    "prepare talking points for the managers", "write the press release draft, embargoed", "explain it to my cofounder",
    "how should we word it?", "build the timeline", "what should the reply to their counsel say?",
]

SECRET_FORMS = [
    'requests.get(url, auth=("{u}", "{s}")) returns 401', "login ID {x}, memorable word \"{w}\", passcode {pin}",
    "I committed the {svc} token {hex} by mistake", "the {svc} API key is {s}", "user {u} / pw {s}",
    "{svc} login: {u} / {s}", "password for {svc} is {s}", "the passphrase is \"{w}-{w}-{w}\"",
    "psql -U {u} -W {s} -h {host}", "{svc}_TOKEN={s}", "token: {s}", "secret_key = \"{s}\"",
    "{u}:{s}@{host}", "the PIN for the company card is {pin}", "the safe combination is {pin}",
    "SSH passphrase \"{w}{pin}\"", "client_secret={s}", "Authorization: Basic {b64}",
    "the {svc} recovery codes are {pin}-{pin} {pin}-{pin}", "admin password: {w}{pin}!",
]
SECRET_TASKS = ["why does it fail?", "fix this", "is this right?", "write it in the handover doc",
                "how do I rotate it?", "add it to the deploy script", "put it in the README for the team",
                "what's wrong?", "remind me how to use it", "convert to yaml", ""]

# Harmless sentences that share vocabulary with the sensitive ones.
NEG_FACTS = [
    "how do companies usually handle {topic}?", "what is a typical {topic} policy?", "explain {topic} in general",
    "what does the law say about {topic} in {country}?", "write a generic template about {topic}",
    "what are best practices for {topic}?", "how is {topic} taxed in {country}?", "what is {topic}?",
    "give me a checklist for {topic}, no specifics", "how do HR teams talk about {topic}?",
]
NEG_TOPICS = ["salary bands", "bonus clawbacks", "maternity pay", "performance reviews", "written warnings",
              "sick leave", "redundancy pay", "layoffs", "probation periods", "non-compete clauses",
              "background checks", "reasonable adjustments", "equity refreshes", "pay compression",
              "earn-outs", "down rounds", "liquidation preferences", "revenue recognition", "SaaS discounts",
              "most-favoured-customer clauses", "data breach notification", "subpoenas", "API key rotation",
              "password managers", "connection strings", "OAuth client secrets", "gross margin", "runway",
              "customer churn", "term sheets", "letters of intent", "hiring freezes", "offshoring", "plant closures",
              "a payslip", "a PIP", "an IBAN", "a routing number", "a medical record number", "HIPAA", "GDPR"]
COUNTRIES = ["Germany", "France", "Spain", "the UK", "the US", "Canada", "the Netherlands", "Sweden", "Ireland"]

CAP_TECH_NAMES = ["Cassandra", "Cyclone", "Kafka", "Hermes", "Athena", "Apollo", "Phoenix", "Mercury", "Luigi",
                  "Jenkins", "Ansible", "Bamboo", "Jasmine", "Karma", "Mocha", "Chai", "Sinatra", "Rails", "Hugo",
                  "Jekyll", "Sphinx", "Zeppelin", "Nomad", "Consul", "Vagrant", "Ruby", "Julia", "Ada", "Pascal",
                  "Haskell", "Erlang", "Kotlin", "Dart", "Elixir", "Crystal", "Nim", "Lua", "Perl", "Ollama",
                  "Llama", "Mistral", "Claude", "Gemini", "Alexa", "Siri", "Cortana", "Watson", "Marvin", "Ray",
                  "Dask", "Polars", "Arrow", "Parquet", "Delta", "Iceberg", "Hudi", "Trino", "Presto", "Druid"]
TECH_Q = ["Why is my {t} read latency spiking?", "Is {t}'s scheduler similar to {t2}'s?", "How do I tune {t} for writes?",
          "{t} vs {t2}: which one for a small team?", "what's new in {t} 2.0", "Does {t} support transactions?",
          "How do I deploy {t} on Kubernetes?", "Why does {t} crash with out of memory?", "Explain {t}'s architecture",
          "Can {t} talk to {t2}?", "How do I migrate from {t} to {t2}?", "Is {t} still maintained?"]

CHAR_Q = ["how does {f} change over the course of {w}?", "Is {f} more responsible than {f2}?",
          "imagine {f} writing to {f2}; draft it", "What does {f} want in {w}?", "Why does {f} betray {f2}?",
          "describe {f}'s relationship with {f2}", "who kills {f} in {w}?", "Is {f} a villain?"]
FICTION_PEOPLE = ["Walter White", "Lady Macbeth", "Duncan", "Mr Rochester", "Jane Eyre", "Tony Soprano",
                  "Don Draper", "Daenerys Targaryen", "Tyrion Lannister", "Katniss Everdeen", "Severus Snape",
                  "Laura Palmer", "Dale Cooper", "Fox Mulder", "Dana Scully", "Ellen Ripley", "Sarah Connor",
                  "Marty McFly", "Indiana Jones", "Hannibal Lecter", "Clarice Starling", "Jack Torrance",
                  "Buffy Summers", "Leslie Knope", "Michael Scott", "Ted Lasso", "Saul Goodman", "Kim Wexler"]
SHOWS = ["Breaking Bad", "Macbeth", "Jane Eyre", "The Sopranos", "Mad Men", "Game of Thrones", "The Hunger Games",
         "Twin Peaks", "The X-Files", "Alien", "Better Call Saul", "The Office", "Parks and Recreation", "Ted Lasso"]

PUBLIC_BIZ_Q = ["What was the reported growth of {c}'s {seg} business?", "What was {c}'s operating margin in {y}?",
                "Summarise {c}'s latest shareholder letter", "What guidance did {c} give for {y}?",
                "Why did {c}'s shares fall after the {y} results?", "What did {c}'s CEO say on the earnings call?",
                "How many employees did {c} lay off in {y}, as reported?", "What did {c} pay for its last acquisition?"]
SEGMENTS = ["data center", "cloud", "gaming", "advertising", "services", "automotive", "wearables", "retail"]

FOREIGN_NEG = [
    "Wie rechnet man brutto in netto um?", "Wie lange dauert die Probezeit in Deutschland?",
    "Was ist der Unterschied zwischen einer GmbH und einer AG?", "Wie schreibe ich eine gute Bewerbung?",
    "Wie funktioniert die Lohnsteuer?", "Was bedeutet EBITDA?", "Erkläre den Kündigungsschutz in einfachen Worten",
    "SARL ou SAS : laquelle choisir pour une startup ?", "Comment calculer un salaire net ?",
    "Qu'est-ce qu'une rupture conventionnelle ?", "Comment fonctionne le congé parental en France ?",
    "Qu'est-ce qu'un bilan comptable ?", "Explique le RGPD simplement",
    "¿Qué es el salario bruto?", "¿Cómo funciona una baja por maternidad en España?", "¿Qué es un ERE?",
    "¿Cuál es la diferencia entre una SL y una SA?", "Explica qué es el EBITDA", "¿Qué es un contrato indefinido?",
]


def fill(template: str, rng: random.Random, slots: dict[str, Callable[[], str]]) -> str:
    out = template
    for key, fn in slots.items():
        token = "{" + key + "}"
        while token in out:
            out = out.replace(token, fn(), 1)
    return out

# Error messages and design questions that mention credentials or personal data without holding any.
CODE_ERRORS = [
    'FATAL:  password authentication failed for user "{db}" (pg_hba.conf)', "FATAL: role \"{db}\" does not exist",
    "401 Unauthorized: invalid API key", "403 Forbidden: token expired", "ssh: Permission denied (publickey)",
    "error: could not read Password for 'https://github.com': terminal prompts disabled",
    "AccessDenied: User is not authorized to perform s3:GetObject", "jwt.exceptions.ExpiredSignatureError",
    "MySQL error 1045: Access denied for user '{db}'@'localhost' (using password: YES)",
    "KeyError: 'DATABASE_URL'", "ValueError: SECRET_KEY must not be empty", "InvalidClientTokenId",
]
CODE_ERROR_TASKS = ["What does this error mean?", "how do I fix this", "why am I getting this?", "explain this log line",
                    "what should I check first?"]
SCHEMA_Q = [
    "Sketch a table layout for {thing}", "What indexes should a table of {thing} have?",
    "Write a Pydantic model for {thing}", "How should I encrypt {thing} at rest?", "Write a migration that adds {thing}",
    "Which fields of {thing} count as personal data under GDPR?", "Draw an ER diagram for {thing}",
    "How do I anonymise {thing} for a test environment?", "Write a JSON schema for {thing}",
]
SCHEMA_THINGS = ["customer contracts and discounts", "employee salaries", "patient records", "payroll runs",
                 "performance reviews", "user passwords", "API keys", "bank accounts", "sick leave requests",
                 "customer invoices", "job applications", "medical prescriptions", "board minutes"]
HEALTH_GENERAL = [
    "What is a healthy {lab} level?", "What does a high {lab} mean?", "How is {lab} measured?",
    "Can diet lower {lab}?", "What are the side effects of {drug}?", "How long does {drug} take to work?",
    "Is {drug} safe in pregnancy in general?", "What is the usual dose of {drug} for adults?",
]
LABS = ["HbA1c", "LDL", "TSH", "eGFR", "CRP", "ALT", "PSA", "ferritin", "INR", "BNP", "vitamin D", "troponin"]
DRUGS = ["metformin", "sertraline", "ibuprofen", "atorvastatin", "lisinopril", "warfarin", "amoxicillin", "insulin"]
TOOL_RESULTS_NEG = [
    '{{"symbol":"{tk}","last":{px},"pct":1.2}}', '{{"city":"{city}","temp_c":{t},"sky":"cloudy"}}',
    '{{"results":["Redis","Memcached"],"took_ms":{t}}}', '{{"title":"{topic}","summary":"an overview","source":"wikipedia"}}',
    '{{"status":"ok","rows":{t},"query":"select count(*) from orders"}}',
]
TOOL_TASKS_NEG = ["write a one-line update", "summarise this", "turn it into a sentence", "what does it say?"]

# Everyday work requests: "our", "team", weekdays and drafting verbs without anything confidential.
WORK_TASKS = [
    "Summarise the attached notes", "Draft the agenda for {day}'s sync with the {team} team", "Fix the bug in our {thing}",
    "Write release notes for version {v}", "Review this pull request description", "Turn these bullet points into an email",
    "Make the tone of this message friendlier", "Write a job ad for a {role}", "Plan the onboarding week for new {role}s",
    "Draft a project kickoff email for the {team} team", "Summarise this meeting transcript in five bullets",
    "Write a status update for {day}", "Create a checklist for the office move", "Write a survey about the team offsite",
    "Suggest icebreakers for our {day} all-hands", "Write a retro summary: what went well, what didn't",
    "Improve the wording of our {thing} docs", "Write a Slack message reminding everyone about the {day} deadline",
    "Draft a polite reminder to submit timesheets", "Write OKRs for the {team} team for next quarter",
    "Create a RACI chart for the website redesign", "Propose a naming convention for our S3 buckets",
    "Write a postmortem template", "Summarise this RFC for the {team} team", "Outline a training session on {thing}",
]
WORK_SLOTS = {"day": ["Monday", "Tuesday", "Thursday", "Friday", "tomorrow"],
              "team": ["design", "platform", "data", "mobile", "support", "marketing", "finance"],
              "thing": ["login page", "checkout flow", "search API", "onboarding emails", "CI pipeline", "billing page",
                        "password reset form", "Kafka consumer", "Redis cache", "invoice export"],
              "v": ["2.4.1", "3.0", "1.12", "0.9-beta"], "role": ["backend engineer", "data analyst", "designer",
                                                                 "support agent", "product manager"]}
# Format examples and test values in questions: nobody's number.
FORMAT_QUESTIONS = [
    "Is {ex} a valid {kind}?", "What does a {kind} look like, for example {ex}?", "Why does my validator reject {ex}?",
    "Write a unit test that checks {ex} is a valid {kind}", "Generate five fake {kind}s like {ex} for testing",
    "Explain how the check digit of {ex} is computed",
]
FORMAT_EXAMPLES = [("123-45-6789", "SSN format"), ("4111 1111 1111 1111", "test card number"),
                   ("GB82 WEST 1234 5698 7654 32", "IBAN"), ("021000021", "routing number"),
                   ("192.168.0.1", "private IP address"), ("+1 555 0100", "phone number format"),
                   ("978-3-16-148410-0", "ISBN"), ("FR14 2004 1010 0505 0001 3M02 606", "IBAN example")]

# German, French and Spanish facts and tasks (composed like the English ones).
FOREIGN_PERSON = {
    "de": ["{n} verdient {m} im Jahr", "{n} ist wegen {cond_de} krankgeschrieben", "{n} hat eine Alkoholerkrankung",
           "{n} bekommt eine Abmahnung", "{n} ist schwanger", "{n} lässt sich scheiden", "die Adresse von {n} ist {addr}",
           "{n} hat eine Leistungsbewertung von {x} von 5", "{n} wurde wegen Diebstahls entlassen",
           "das Gehalt von {n} steigt auf {m}", "{n} hat Schulden und eine Lohnpfändung", "{n} ist in Therapie"],
    "fr": ["{n} gagne {m} par an", "{n} est en arrêt maladie pour {cond_fr}", "{n} a un problème d'alcool",
           "{n} reçoit un avertissement", "{n} est enceinte", "{n} divorce", "l'adresse de {n} est {addr}",
           "{n} a eu une note de {x} sur 5", "{n} a été licencié pour faute grave", "le salaire de {n} passe à {m}",
           "{n} est suivi pour une dépression", "{n} a un casier judiciaire"],
    "es": ["{n} cobra {m} al año", "{n} está de baja por {cond_es}", "{n} tiene problemas con el alcohol",
           "{n} recibe una amonestación", "{n} está embarazada", "{n} se está divorciando", "la dirección de {n} es {addr}",
           "{n} sacó un {x} de 5 en la evaluación", "{n} fue despedido por robo", "el sueldo de {n} sube a {m}",
           "{n} está en tratamiento por depresión", "{n} tiene antecedentes penales"],
}
FOREIGN_BUSINESS = {
    "de": ["wir schließen das Werk in {city} im {d}", "der Umsatz im {q} liegt {x}% unter Plan, noch nicht veröffentlicht",
           "wir übernehmen {c} für {m}, streng vertraulich", "{c} zahlt uns {m} mit {x}% Rabatt",
           "unser Anwalt rät zum Vergleich mit {c}", "wir bauen {x} Stellen in {city} ab"],
    "fr": ["nous fermons le site de {city} en {d}", "notre chiffre d'affaires du {q} est {x}% sous le plan, pas encore publié",
           "nous rachetons {c} pour {m}, c'est confidentiel", "{c} nous paie {m} avec une remise de {x}%",
           "notre avocat pense que nous allons perdre le procès contre {c}", "nous supprimons {x} postes à {city}"],
    "es": ["cerramos la planta de {city} en {d}", "las ventas del {q} están un {x}% por debajo del plan, aún no publicadas",
           "vamos a comprar {c} por {m}, es confidencial", "{c} nos paga {m} con un descuento del {x}%",
           "según el bufete, el pleito con {c} está perdido", "vamos a despedir a {x} personas en {city}"],
}
FOREIGN_SECRET = {
    "de": ["Benutzer {u}, Passwort {s}", "das WLAN-Passwort ist {s}", "meine PIN ist {pin}", "die Zugangsdaten: {u} / {s}"],
    "fr": ["identifiant {u}, mot de passe {s}", "le code de la porte est {pin}", "voici les identifiants : {u} / {s}",
           "le mot de passe du wifi est {s}"],
    "es": ["usuario {u}, contraseña {s}", "mi PIN es {pin}", "las credenciales son {u} / {s}", "la clave del wifi es {s}"],
}
FOREIGN_TASKS = {
    "de": ["Bitte formuliere eine Stellungnahme.", "Schreib eine E-Mail an die Personalabteilung.", "Was soll ich tun?",
           "Fasse das für den Vorstand zusammen.", "Wie sage ich es dem Team?", "Warum klappt der Login nicht?"],
    "fr": ["Rédige une note.", "Écris un e-mail aux RH.", "Que dois-je faire ?", "Résume pour le conseil.",
           "Comment l'annoncer à l'équipe ?", "Pourquoi la connexion échoue ?"],
    "es": ["Redacta una nota.", "Escribe un correo a recursos humanos.", "¿Qué hago?", "Resúmelo para el consejo.",
           "¿Cómo se lo digo al equipo?", "¿Por qué no puedo entrar?"],
}
CONDITIONS_L10N = {"de": ["Depression", "Burnout", "Krebs", "einer Operation", "Long Covid"],
                   "fr": ["dépression", "burn-out", "cancer", "une opération", "covid long"],
                   "es": ["depresión", "ansiedad", "cáncer", "una operación", "covid persistente"]}

# Everyday personal and coding requests with nothing private in them.
EVERYDAY = [
    "Write a few lines thanking {who} for {when}", "I need to ask my {who2} to {fix}, can you word it nicely?",
    "Write a birthday message for my {rel}", "Draft a polite complaint to {org} about {issue}",
    "Write a cover letter for a {job} position", "Help me write a toast for my {rel}'s wedding",
    "Write an apology to my {rel} for missing dinner", "Write a short bio for my {job} portfolio",
    "Suggest a gift for my {rel} who likes {hobby}", "Plan a weekly meal prep for a family of four",
    "Write a message to my {who2} saying I'll be late", "Proofread my email to the {org} customer service",
    "Write a resignation letter template", "How do I tell my {rel} I can't come to the party?",
    "Write a LinkedIn recommendation request", "Help me reply to a wedding invitation",
]
EVERYDAY_SLOTS = {"who": ["my kid's coach", "the nurses on the ward", "our neighbours", "the volunteers", "the hosts"],
                  "when": ["a great season", "their help with the move", "the lovely dinner", "a fun course"],
                  "who2": ["landlord", "neighbour", "plumber", "boss", "teacher", "dentist"],
                  "fix": ["fix the heating", "repair the window", "reschedule", "return my deposit", "cut the hedge"],
                  "rel": ["mum", "dad", "sister", "brother", "best friend", "grandma", "partner", "cousin"],
                  "org": ["airline", "internet provider", "gym", "bank", "hotel", "delivery company"],
                  "issue": ["a late delivery", "a broken product", "a double charge", "noise at night"],
                  "job": ["junior developer", "marketing", "nursing", "teaching", "design", "sales"],
                  "hobby": ["gardening", "chess", "hiking", "baking", "jazz", "photography"]}
CODING = [
    "git: how do I move my last {n} commits to a new branch?", "Make this {lang} function shorter and easier to read",
    "How do I stream a huge CSV in {lang}?",
    "Write a cron job that cleans up old log files every night", "Explain this stack trace",
    "Why is my {lang} program slower than expected?", "Write unit tests for this {lang} function",
    "Convert this {lang} code to {lang2}", "What's the idiomatic way to handle errors in {lang}?",
    "How do I read {secret_name} from an environment variable in {lang}?",
    "{secret_name} = os.environ[\"{secret_name}\"]  # is this the right way to load it?",
    "secret = os.getenv(\"{secret_name}\")\nassert secret, \"missing {secret_name}\"\nshould this be an exception instead?",
    "What should go in .env.sample for a {fw} project? use dummy values",
    "How should I store {secret_name} in GitHub Actions?", "What's the difference between a secret and a config map in Kubernetes?",
    "Write a {fw} view that lists users with pagination", "Add logging to this {lang} function",
    "How do I mock a database connection in {lang} tests?", "Explain what this regex does: ^[\\w.+-]+@[\\w-]+\\.[\\w.]+$",
]
CODING_SLOTS = {"n": ["2", "3", "five"], "lang": ["Python", "Go", "Rust", "Java", "TypeScript", "C#", "Kotlin"],
                "lang2": ["Python", "Go", "Rust", "Java", "TypeScript"],
                "fw": ["Django", "Flask", "Rails", "Express", "Spring", "FastAPI"],
                "secret_name": ["DB_PASSWORD", "API_KEY", "SECRET_KEY", "STRIPE_KEY", "AWS_SECRET_ACCESS_KEY", "TOKEN"]}

# Neutral declarative prose (reports, docs, articles): statements are not personal data by themselves.
PROSE_SUBJECTS = ["The report", "The new release", "The service", "Our API", "The migration", "The museum", "The city council",
                  "The river", "The algorithm", "The library", "The team", "The committee", "The survey", "The bridge",
                  "The festival", "The pipeline", "The dashboard", "The study", "The village", "The plugin",
                  "The documentation", "Most users", "The load test", "The old system", "The recipe", "The garden",
                  "The school", "The project", "The orchestra", "The database", "This chapter", "The market"]
PROSE_VERBS = ["covers", "describes", "improves", "replaces", "depends on", "was built on", "moved to", "ran on",
               "focuses on", "reduces", "adds support for", "was delayed by", "is open to", "measures", "compares",
               "explains", "was renovated after", "attracts", "uses", "will look at", "kept", "simplifies"]
PROSE_OBJECTS = ["the billing service", "the new cluster", "the retry logic", "a week of traffic", "the search index",
                 "the main square", "the spring flood", "three machines", "the production configuration", "caching",
                 "the developer portal", "local history", "the northern route", "visitors from abroad", "the old queue",
                 "error rates", "the design system", "the summer programme", "two more releases", "the data model",
                 "the test suite", "the harbour", "regional trains", "the annual fair", "the reading room"]
PROSE_TAILS = ["", "", "", " last year", " in two phases", " without downtime", " by a third", " at its own pace",
               " after the vote", " in most cases", " for the first time", " since the spring", " on weekdays"]
PROSE_TASKS = ["Summarise this:", "Fix the grammar:", "Translate into German:", "Make this shorter:",
               "Turn this into bullet points:", "What is the main point of this text?", "Proofread:", ""]

# Order, ticket and invoice references: business-as-usual numbers, nobody's personal data.
ORDER_REFS = ["order number {x} for {item}", "ticket {x}: {item} arrived damaged", "invoice {x} for {item}",
              "where is my order {x}?", "the shipment {x} of {item} is late", "reorder {item}, SKU {x}",
              "case {x} is closed", "quote {x} for {item}, please confirm", "PO {x}: {item}"]
ORDER_ITEMS = ["blue paint", "office chairs", "printer toner", "spare parts", "ten laptops", "coffee beans",
               "cable ties", "safety boots", "a standing desk", "garden hoses"]
ORDER_TAILS = ["", "Please help.", "Can you check the status?", "Please help.\nPlease help.", "Thanks!",
               "What should I do?", "Summarise the thread."]
# Security incidents (confidential business information).
INCIDENTS = ["someone broke into our {sys} last night and stole {what}", "we had a breach: {what} leaked from the {sys}",
             "ransomware encrypted our {sys} this morning", "an attacker used a stolen admin account on our {sys}",
             "our {sys} was exposed to the internet for {x} days with {what}", "a phishing email compromised {x} staff accounts"]
INCIDENT_SLOTS = {"sys": ["database", "file server", "CRM", "payroll system", "S3 bucket", "VPN", "customer portal"],
                  "what": ["customer passwords", "card data", "employee records", "the customer list", "source code"]}

# Links in ordinary requests (images, docs, articles): a URL is not a secret.
URL_HOSTS = ["img.example.com", "cdn.example.org", "docs.python.org", "en.wikipedia.org", "github.com", "i.imgur.com",
             "www.bbc.co.uk", "upload.wikimedia.org", "example.net", "static.example.com", "news.ycombinator.com"]
URL_PATHS = ["x.png", "photo.jpg", "wiki/Roman_calendar", "3/library/asyncio.html", "images/cat.png", "a/b/c.gif",
             "article/2024/05/report", "user/repo/issues/42", "x.png?note={words}", "img.png?w=600&h=400",
             "search?q={words}", "media/chart.svg"]
URL_WORDS = ["blue paint", "sunset", "chart", "cat picture", "diagram", "order 7301", "menu", "map of lisbon"]
URL_TASKS = ["What is this?", "Describe this image", "Summarise this page", "What does this chart show?",
             "Is this link safe to open?", "Translate the text in this picture", "Why does this page 404?"]
