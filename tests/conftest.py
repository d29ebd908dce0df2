"""Fixtures shared by every test suite. Keep this file small: suites add their own conftest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import FakeServer


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A started ``FakeServer`` on 127.0.0.1 (enqueue replies built with tests.servers.*_wire)."""
    with FakeServer() as server:
        yield server
