"""What every frame mixin draws on: the random source, Faker and the shared helpers.

``Generator`` gets the real ones from ``frames._Base``; the mixins in ``extra``, ``records`` and
``public`` inherit these declarations so that each is type-checked on its own.
"""

from __future__ import annotations

import random
from typing import Any


class GeneratorParts:
    """Declarations for mixins; ``frames._Base`` (earlier in ``Generator``'s MRO) implements them."""

    rng: random.Random
    en: Any

    def pick(self, items: list[str] | tuple[str, ...]) -> str:
        raise NotImplementedError

    def name(self) -> str:
        raise NotImplementedError

    def faker(self) -> Any:
        raise NotImplementedError

    def company(self) -> str:
        raise NotImplementedError
