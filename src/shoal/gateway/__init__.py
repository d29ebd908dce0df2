"""shoal.gateway: the OpenAI/Anthropic-compatible HTTP gateway (keys, budgets, routing, request log).

``build_app(settings)`` returns the ASGI app; ``serve(settings)`` runs it (``shoal serve``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shoal.gateway.app import GatewayApp

__all__ = ["build_app", "serve"]


def build_app(*args: Any, **kwargs: Any) -> GatewayApp:
    from shoal.gateway.server import build_app as _build

    return _build(*args, **kwargs)


def serve(*args: Any, **kwargs: Any) -> None:
    from shoal.gateway.server import serve as _serve

    _serve(*args, **kwargs)
