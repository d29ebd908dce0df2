from collections.abc import Callable
from typing import TypeAlias

def window_features(lows: list[str], words: list[tuple[tuple[int, ...], bytes, int]],
                    shaped: list[tuple[bytes, bytes, int]], window: int, mask: int) -> tuple[list[int], list[int]]: ...

_TokEntry: TypeAlias = tuple[str, tuple[tuple[int, ...], bytes, int], tuple[bytes, bytes, int], tuple[bytes, bytes, int], int]

def token_entries(toks: list[str], cache: dict[str, _TokEntry], make_entry: Callable[[str], _TokEntry],
                  sent_end: frozenset[str], pet_nouns: frozenset[str]) -> tuple[
                      list[_TokEntry], list[str], list[tuple[tuple[int, ...], bytes, int]],
                      list[tuple[bytes, bytes, int]], list[int], list[int]]: ...
