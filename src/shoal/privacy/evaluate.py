"""Scoring a labelled prompt file: leaks, false pins and the confusion table (``shoal privacy eval``).

A *leak* is a sensitive prompt the scan calls public (it would reach an external model); a *false
pin* is a public prompt the scan calls sensitive (it is held on a self-hosted model for nothing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shoal.privacy.train import Labelled, is_sensitive_label


@dataclass
class Report:
    """Counts over one prompt set, overall and per category."""

    tp: int = 0
    fn: int = 0  # leaks
    fp: int = 0  # false pins
    tn: int = 0
    by_category: dict[str, Counter[str]] = field(default_factory=dict)
    leaks: list[Labelled] = field(default_factory=list)
    false_pins: list[Labelled] = field(default_factory=list)

    @property
    def sensitive(self) -> int:
        return self.tp + self.fn

    @property
    def public(self) -> int:
        return self.fp + self.tn

    @property
    def leak_rate(self) -> float:
        return self.fn / self.sensitive if self.sensitive else 0.0

    @property
    def false_pin_rate(self) -> float:
        return self.fp / self.public if self.public else 0.0

    def lines(self, *, per_category: bool = True) -> list[str]:
        out = [f"leaks       {self.fn:4d} / {self.sensitive:<4d} ({self.leak_rate:.1%})",
               f"false pins  {self.fp:4d} / {self.public:<4d} ({self.false_pin_rate:.1%})",
               "",
               "                  scanned sensitive  scanned public",
               f"sensitive prompt  {self.tp:17d}  {self.fn:14d}",
               f"public prompt     {self.fp:17d}  {self.tn:14d}"]
        if per_category and self.by_category:
            out += ["", f"{'category':24s} {'n':>4s} {'leaks':>6s} {'pins':>5s}"]
            for cat in sorted(self.by_category):
                c = self.by_category[cat]
                out.append(f"{cat:24s} {c['n']:4d} {c['leak']:6d} {c['pin']:5d}")
        return out


def evaluate(items: Sequence[Labelled], is_sensitive: Callable[[str], bool]) -> Report:
    """Run ``is_sensitive`` on every prompt and count."""
    report = Report()
    for item in items:
        truth = is_sensitive_label(item.label)
        said = is_sensitive(item.text)
        cat = report.by_category.setdefault(item.category or ("sensitive" if truth else "public"), Counter())
        cat["n"] += 1
        if truth and said:
            report.tp += 1
        elif truth:
            report.fn += 1
            cat["leak"] += 1
            report.leaks.append(item)
        elif said:
            report.fp += 1
            cat["pin"] += 1
            report.false_pins.append(item)
        else:
            report.tn += 1
    return report
