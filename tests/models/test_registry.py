"""The provider registry: entry points, direct registration, unknown names."""

from __future__ import annotations

import pytest

from shoal import errors
from shoal.models.anthropic import AnthropicProvider
from shoal.models.base import Provider
from shoal.models.gemini import GeminiProvider
from shoal.models.openai_compat import OpenAIProvider
from shoal.models.registry import ProviderRegistry
from shoal.models.testing import ScriptedProvider


def test_builtin_http_providers_come_from_entry_points() -> None:
    registry = ProviderRegistry.from_entry_points()
    assert {"openai", "anthropic", "gemini", "testing"} <= set(registry.names())
    expected = {"openai": (OpenAIProvider, "https://api.openai.com/v1", "OPENAI_API_KEY"),
                "anthropic": (AnthropicProvider, "https://api.anthropic.com", "ANTHROPIC_API_KEY"),
                "gemini": (GeminiProvider, "https://generativelanguage.googleapis.com/v1beta",
                           "GEMINI_API_KEY")}
    for name, (cls, url, env) in expected.items():
        provider = registry.get(name)
        assert isinstance(provider, cls) and isinstance(provider, Provider)
        assert (provider.name, provider.default_base_url, provider.api_key_env) == (name, url, env)
        assert provider.default_locality == "external"
        assert registry.get(name) is provider  # loaded once


def test_unknown_provider_lists_installed_ones() -> None:
    registry = ProviderRegistry.from_entry_points()
    with pytest.raises(errors.UnknownProviderError) as info:
        registry.get("azure-foundry")
    text = str(info.value)
    assert "'azure-foundry'" in text and "openai" in text and "gemini" in text and "shoal.providers" in text


def test_register_directly() -> None:
    registry = ProviderRegistry()
    assert registry.names() == []
    registry.register(ScriptedProvider())
    assert registry.names() == ["testing"]
    with pytest.raises(errors.UnknownProviderError, match="installed providers: testing"):
        registry.get("openai")
