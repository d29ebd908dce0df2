"""The switch that keeps tests (and air-gapped deployments) off the internet.

``SHOAL_ALLOW_NETWORK=0`` (set by Shoal's pytest plugin) makes every HTTP call Shoal's adapters
make to a non-loopback host fail with ``NetworkBlockedError`` before a socket is opened. The
pytest plugin additionally blocks raw sockets to non-local addresses, which also covers
third-party SDKs.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from shoal.errors import NetworkBlockedError

ENV_VAR = "SHOAL_ALLOW_NETWORK"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def network_allowed() -> bool:
    return os.environ.get(ENV_VAR, "1").strip().lower() not in {"0", "false", "no", "off"}


def is_local_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, provider: str = "") -> None:
    """Raise ``NetworkBlockedError`` if ``url`` points off this machine while the switch is off."""
    if network_allowed():
        return
    host = urlsplit(url).hostname
    if not is_local_host(host):
        who = f" for provider {provider!r}" if provider else ""
        raise NetworkBlockedError(
            f"real network call to {url}{who} blocked ({ENV_VAR}=0)",
            hint="tests must use a local server or shoal.models.testing doubles")
