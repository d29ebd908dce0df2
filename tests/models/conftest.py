from __future__ import annotations

from typing import Any

import pytest

from shoal.errors import ProviderError
from shoal.models.types import ModelSpec

SECRET = "sk-test-SECRET-0123456789"


def make_spec(provider: str, base_url: str, *, model_id: str = "test-model", api_key: str | None = SECRET,
              timeout_s: float = 5.0, kind: str = "chat", **options: Any) -> ModelSpec:
    return ModelSpec(name=f"my-{provider}", provider=provider, model_id=model_id, base_url=base_url,
                     api_key=api_key, timeout_s=timeout_s, kind=kind, options=options)  # type: ignore[arg-type]


def assert_names_call(err: ProviderError, *, provider: str, model: str, url_part: str) -> None:
    """Every provider error names provider, model and URL, and never leaks the key."""
    text = str(err)
    assert f"provider {provider!r}" in text
    assert f"model {model!r}" in text
    assert url_part in text and err.url is not None and url_part in err.url
    assert SECRET not in text and SECRET not in repr(err.args)


@pytest.fixture
def secret() -> str:
    return SECRET
