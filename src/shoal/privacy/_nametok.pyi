from collections.abc import Callable, Collection
from typing import Any

def name_tokens(parts: list[str], cache: dict[str, tuple[str, str, bool, bool, int]],
                make_info: Callable[[str], tuple[str, str, bool, bool, int]], tok_type: type[Any],
                firsts: Collection[str]) -> tuple[list[Any], list[int]]: ...
