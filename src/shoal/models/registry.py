"""Provider registry, fed by the entry-point group ``shoal.providers``.

Built-in providers register through the same entry points as third-party plugins (see
pyproject.toml), so there is no list of provider names anywhere in the code. Providers are
imported only when first asked for, which keeps ``import shoal`` fast.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from shoal.errors import DependencyMissingError, UnknownProviderError
from shoal.models.base import Provider

GROUP = "shoal.providers"


class ProviderRegistry:
    """Maps a provider name (``openai``, ``anthropic``…) to a loaded ``Provider`` instance."""

    def __init__(self, entry_points_: dict[str, EntryPoint] | None = None) -> None:
        self._entry_points = dict(entry_points_ or {})
        self._loaded: dict[str, Provider] = {}

    @classmethod
    def from_entry_points(cls) -> ProviderRegistry:
        return cls({ep.name: ep for ep in entry_points(group=GROUP)})

    def register(self, provider: Provider) -> None:
        """Add a provider instance directly (tests, notebooks, embedding Shoal in an app)."""
        self._loaded[provider.name] = provider

    def names(self) -> list[str]:
        return sorted(set(self._entry_points) | set(self._loaded))

    def get(self, name: str) -> Provider:
        if name in self._loaded:
            return self._loaded[name]
        ep = self._entry_points.get(name)
        if ep is None:
            raise UnknownProviderError(
                f"unknown provider {name!r}",
                hint=f"installed providers: {', '.join(self.names()) or 'none'}; "
                     "third-party providers register under the entry-point group 'shoal.providers'")
        try:
            factory = ep.load()
        except ImportError as exc:
            raise DependencyMissingError(
                f"provider {name!r} cannot be loaded from {ep.value!r}: {exc}",
                hint="install the extra it needs (see README: Installation)") from None
        provider = factory() if isinstance(factory, type) else factory
        if not isinstance(provider, Provider):
            raise UnknownProviderError(f"entry point {ep.value!r} for provider {name!r} is not a Provider")
        self._loaded[name] = provider
        return provider
