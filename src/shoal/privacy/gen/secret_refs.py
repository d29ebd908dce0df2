"""Code and config that name a secret without holding it, and the same snippet with the value in it.

``os.environ["PAYMENTS_API_KEY"]``, ``${{ secrets.DEPLOY_TOKEN }}``, ``secretKeyRef`` or
``password: ${DB_PASSWORD}`` say where a secret lives; the text holds none, and asking for a review
of it is an ordinary coding question. Pasted with the value written in (``PAYMENTS_API_KEY =
"sk_live_..."``) the same snippet is a leaked credential. Both halves come from the same snippets
(minimal pairs), multi-line as people paste them, so the model learns that the value decides, not the
words "api_key" or "password" around it.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable

from shoal.privacy.gen import grammar as g
from shoal.privacy.gen.parts import GeneratorParts

QUESTIONS = [
    "Code review please — anything wrong with how this handles config?", "Why does this fail on startup?",
    "Is this the right way to load credentials?", "Can you convert this to TypeScript?",
    "what's the idiomatic way to do this?", "Add type hints and docstrings:", "Write a unit test for this:",
    "Kannst du das reviewen?", "Peux-tu relire ce code ?", "¿Está bien este código?", "Explain what this does:",
]
NAMES = ["PAYMENTS_API_KEY", "DB_PASSWORD", "STRIPE_SECRET_KEY", "GITHUB_TOKEN", "OPENAI_API_KEY", "SMTP_PASSWORD",
         "AWS_SECRET_ACCESS_KEY", "JWT_SECRET", "REDIS_PASSWORD", "SLACK_WEBHOOK_URL", "SENTRY_DSN", "DEPLOY_TOKEN"]

# {name}: the secret's variable; {ref} is what the snippet reads: an environment lookup (public) or,
# in the twin, the literal value (sensitive). {ref_yaml}/{ref_shell} are the same in other syntaxes.
SNIPPETS = [
    "import os\n\nclass Settings:\n    def __init__(self):\n        self.api_key = {ref}\n        self.timeout = 30\n\nsettings = Settings()",
    "from dataclasses import dataclass\n\n@dataclass\nclass Config:\n    db_host: str = \"db.internal\"\n    db_password: str = {ref}\n",
    "const config = {\n  port: 8080,\n  secret: {ref_js},\n  retries: 3,\n};\nmodule.exports = config;",
    "services:\n  api:\n    image: shop/api:1.4\n    environment:\n      - {name}={ref_shell}\n      - LOG_LEVEL=info",
    "env:\n  - name: {name}\n    value: {ref_yaml}\n  - name: LOG_LEVEL\n    value: debug",
    "- name: Deploy\n  run: ./deploy.sh\n  env:\n    {name}: {ref_gha}",
    "spring:\n  datasource:\n    url: jdbc:postgresql://db:5432/shop\n    username: shop\n    password: {ref_yaml}",
    "let client = Client::new(&{ref_rust});\nlet resp = client.get(\"/v1/orders\").send().await?;",
    "export {name}={ref_shell}\npython manage.py migrate",
]


class SecretRefFrames(GeneratorParts):
    """Builders mixed into ``Generator`` (which provides ``rng`` and ``pick``)."""

    def _value(self) -> str:
        rng = self.rng
        prefix = self.pick(["sk_live_", "ghp_", "xoxb-", "", "", "AKIA", "eyJhbGciOi"])
        body = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(rng.randrange(16, 40)))
        return prefix + body if prefix or rng.random() < 0.5 else self.pick(["Hunter2!", "S3cure#2024", "Tr0ub4dor&3",
                                                                              "pa55word99", "Winter2025!"])

    def _snippet(self, literal: bool) -> str:
        name = self.pick(NAMES)
        if literal:
            value = self._value()
            refs = {"ref": f'"{value}"', "ref_js": f"'{value}'", "ref_shell": value, "ref_yaml": value,
                    "ref_gha": value, "ref_rust": f'"{value}"'}
        else:
            refs = {"ref": self.pick([f'os.environ["{name}"]', f'os.getenv("{name}")', f'get_secret("{name.lower()}")']),
                    "ref_js": self.pick([f"process.env.{name}", f"await vault.read('{name.lower()}')"]),
                    "ref_shell": "${" + name + "}", "ref_yaml": self.pick(["${" + name + "}", "<your password>", '""']),
                    "ref_gha": "${{ secrets." + name + " }}", "ref_rust": f'std::env::var("{name}")?'}
        slots: dict[str, Callable[[], str]] = {key: functools.partial(str, value) for key, value in {"name": name, **refs}.items()}
        return g.fill(self.pick(SNIPPETS), self.rng, slots)

    def neg_secret_reference(self) -> dict[str, str]:
        question = self.pick(QUESTIONS)
        snippet = self._snippet(literal=False)
        text = f"{question}\n\n{snippet}" if self.rng.random() < 0.7 else f"{snippet}\n\n{question}"
        return {"text": text, "label": "none", "kind": "secret-reference"}

    def secret_in_snippet(self) -> dict[str, str]:
        question = self.pick(QUESTIONS)
        snippet = self._snippet(literal=True)
        text = f"{question}\n\n{snippet}" if self.rng.random() < 0.7 else f"{snippet}\n\n{question}"
        return {"text": text, "label": "secret", "kind": "secret-in-snippet"}
