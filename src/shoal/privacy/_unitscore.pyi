from collections.abc import Sequence
from typing import Any

def score_units(ids: list[int], starts: list[int], units: list[tuple[int, int]], global_ids: list[int],
                weights: Any, bias: Sequence[float]) -> tuple[float, int]: ...

def row_probabilities(groups: list[tuple[float, Sequence[int]]], matrix: Any, bias: Sequence[float]) -> list[float]: ...
