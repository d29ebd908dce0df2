"""The generator's Faker instances: which locales, seeded how, and made independent of the day.

``seeded_fakers(seed)`` gives one Faker per locale that has every provider the frames draw on, each
seeded from ``seed``, with its set-built word lists sorted and its calendar pinned, so that the same
seed writes the same prompts (and trains the same model) in any process, on any day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

LOCALES = ("en_US", "en_GB", "en_IE", "en_AU", "en_IN", "de_DE", "de_AT", "fr_FR", "fr_CH", "es_ES", "es_MX",
           "it_IT", "nl_NL", "pl_PL", "pt_BR", "pt_PT", "sv_SE", "da_DK", "fi_FI", "no_NO", "cs_CZ", "hu_HU",
           "ro_RO", "tr_TR", "el_GR", "hr_HR", "sk_SK", "et_EE", "lv_LV", "uk_UA", "zu_ZA", "fil_PH", "id_ID",
           "vi_VN", "ja_JP", "zh_CN", "ko_KR", "ar_AA", "he_IL", "hi_IN", "ga_IE", "is_IS")
_NEEDED = ("first_name", "last_name", "name", "address", "street_address", "city", "phone_number", "email",
           "user_name", "iban", "date_of_birth", "company")


def _fix_order(f: Any) -> None:
    """Sort word lists some providers build from a set (it_IT's cities): their order, hence every
    draw from them, would otherwise change with the interpreter's string-hash seed between runs."""
    for provider in f.providers:
        cities = getattr(provider, "cities", None)
        if isinstance(cities, list | tuple) and all(isinstance(c, str) for c in cities):
            provider.cities = tuple(sorted(cities))


# Faker draws dates, dates of birth and "this year" relative to the wall clock, so the same seed would write
# different prompts, and train a different model, on another day. The generator's calendar stops here.
CALENDAR_TODAY = date(2026, 6, 30)


def _pin_calendar(f: Any) -> None:
    """Replace Faker's clock-relative date methods with ones anchored at ``CALENDAR_TODAY``."""

    def date_of_birth(tzinfo: Any = None, minimum_age: int = 0, maximum_age: int = 115) -> date:
        start = CALENDAR_TODAY.replace(year=CALENDAR_TODAY.year - maximum_age - 1)
        end = CALENDAR_TODAY.replace(year=CALENDAR_TODAY.year - minimum_age)
        return f.date_between_dates(start, end)  # type: ignore[no-any-return]

    def date_this_year(before_today: bool = True, after_today: bool = False) -> date:
        start = CALENDAR_TODAY.replace(month=1, day=1) if before_today else CALENDAR_TODAY
        end = date(CALENDAR_TODAY.year, 12, 31) if after_today else CALENDAR_TODAY
        return f.date_between_dates(start, end)  # type: ignore[no-any-return]

    def any_date(pattern: str = "%Y-%m-%d", end_datetime: Any = None) -> str:
        return f.date_between_dates(date(1970, 1, 1), CALENDAR_TODAY).strftime(pattern)  # type: ignore[no-any-return]

    f.set_formatter("date", any_date)
    f.set_formatter("date_of_birth", date_of_birth)
    f.set_formatter("date_this_year", date_this_year)


def _complete(f: Any) -> bool:
    try:
        return all(callable(getattr(f, attr)) for attr in _NEEDED) and bool(f.address()) and bool(f.phone_number())
    except AttributeError:
        return False


def seeded_fakers(seed: int) -> dict[str, Any]:
    """Locale → a seeded Faker, for the locales of ``LOCALES`` that have every provider in ``_NEEDED``
    (some lack phone numbers or addresses: those are left out)."""
    from faker import Faker

    fakers = {loc: f for loc in LOCALES if _complete(f := Faker(loc))}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed * 1000 + i)
        _fix_order(f)
        _pin_calendar(f)
    return fakers
