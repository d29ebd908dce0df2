"""Organisation terms: project code names, customer names and internal domains that make a request
confidential (``privacy.organisation`` in the config).

Terms and customers match as whole words, case-insensitively, with any run of spaces, hyphens or
underscores between their words ("project bluebird", "Project-Bluebird"); a domain matches itself
and its subdomains ("wiki.corp.example.com", "jane@corp.example.com"). One compiled pattern per kind.
"""

from __future__ import annotations

import re

from shoal.privacy.config import OrganisationConfig


def _term_pattern(items: list[str]) -> re.Pattern[str] | None:
    words = sorted({i.strip() for i in items if i.strip()}, key=lambda w: (-len(w), w))
    if not words:
        return None
    alts = [r"[\s_-]+".join(re.escape(part) for part in re.split(r"[\s_-]+", w)) for w in words]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)


def _domain_pattern(domains: list[str]) -> re.Pattern[str] | None:
    names = sorted({d.strip().lower().lstrip("*.").rstrip(".") for d in domains if d.strip()}, key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<![\w-])(?:[\w-]+\.)*(?:" + "|".join(re.escape(d) for d in names) + r")(?![\w-])",
                      re.IGNORECASE)


class OrgTerms:
    """Which kinds of organisation term (``term``, ``customer``, ``domain``) a text mentions."""

    def __init__(self, config: OrganisationConfig) -> None:
        self._patterns = [(kind, rx) for kind, rx in (("term", _term_pattern(config.terms)),
                                                      ("customer", _term_pattern(config.customers)),
                                                      ("domain", _domain_pattern(config.domains)))
                          if rx is not None]

    def find(self, text: str) -> list[str]:
        return [kind for kind, rx in self._patterns if rx.search(text)]
