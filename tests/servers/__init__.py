"""Local fake provider servers for tests: a scripted HTTP server plus reply builders that speak
each provider's real wire format (``openai_wire``, ``anthropic_wire``, ``gemini_wire``).

Other test suites reuse them, e.g. a gateway test pointing an OpenAI-compatible model at
``FakeServer(handler=openai_wire.echo)``.
"""

from tests.servers import anthropic_wire, gemini_wire, openai_wire
from tests.servers.server import FakeServer, Received, Reply, closed_port

__all__ = ["FakeServer", "Received", "Reply", "anthropic_wire", "closed_port", "gemini_wire", "openai_wire"]
