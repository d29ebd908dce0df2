"""What a client may read in an error: no server paths, DSNs, internal URLs, hosts or env var names.

Error messages are written for whoever runs Shoal (``cannot connect to PostgreSQL at
postgresql://…``, ``set OPENAI_API_KEY``, ``/etc/shoal/shoal.yaml: models.x``); the gateway
answers clients with its own wording per error code (``shoal.gateway.errors``) and, as a last
line, passes every client-visible message through ``public_text``, which replaces anything that
looks like one of those with a placeholder. The full message goes to the server log.
"""

from __future__ import annotations

import re

# scheme://anything — URLs and DSNs (postgresql://user:pw@host/db, redis://, http://10.0.0.5:8000/v1)
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://(?:[^\s\"'<>)\]]*[^\s\"'<>)\],.;:])?")
# env:NAME / file:PATH secret references
_REF = re.compile(r"\b(?:env|file):[^\s\"'<>)\],;]+")
# $NAME or ${NAME}
_SHELL_VAR = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
# NAME_WITH_UNDERSCORES in capitals: how environment variables are spelled (OPENAI_API_KEY)
_ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
# absolute or home-relative paths with at least two parts; the gateway's own routes are kept
_PATH = re.compile(r"(?<![\w.:/-])(?:~|\.{1,2})?(?:/[^\s/\"'<>,;:)\]]+){2,}/?|(?<![\w])[A-Za-z]:\\[^\s\"'<>,;]+")
_OWN_ROUTES = ("/v1/", "/admin/")
# bare IPs and host:port (db.internal:5432, 10.1.2.3)
_HOST = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b|\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*:\d{2,5}\b"
                   r"|\blocalhost\b")
# file names a config or database would have, even without a folder
_FILE = re.compile(r"(?<![/\w.-])[\w.-]+\.(?:ya?ml|json|toml|db|sqlite3?|jsonl|rejected|env|pem|key)\b")


def _path(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if text.startswith(_OWN_ROUTES) else "<path>"


def public_text(message: str) -> str:
    """``message`` with URLs, DSNs, paths, hosts, file names and env var names replaced."""
    text = _URL.sub("<url>", message)
    text = _REF.sub("<secret reference>", text)
    text = _SHELL_VAR.sub("<env>", text)
    text = _ENV_NAME.sub("<env>", text)
    text = _PATH.sub(_path, text)
    text = _HOST.sub("<host>", text)
    return _FILE.sub("<file>", text)
