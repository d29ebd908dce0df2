"""Every pattern detector through the scanner: valid values found with their exact span, look-alikes not."""

from __future__ import annotations

import pytest

from shoal.privacy.scanner import PrivacyScanner
from tests.privacy.conftest import types_of


@pytest.mark.parametrize("text,expected", [
    ("write to dana.whitfield@acme-corp.co.uk today", ("EMAIL_ADDRESS", "dana.whitfield@acme-corp.co.uk")),
    ("call me at +1 (415) 555-2134 tomorrow", ("PHONE_NUMBER", "+1 (415) 555-2134")),
    ("Fax: 463-612-6138x036", ("PHONE_NUMBER", "463-612-6138x036")),
    ("Desk: +41 (0)85 806 98 67", ("PHONE_NUMBER", "+41 (0)85 806 98 67")),
    # the label after the number, as contact blocks write it; an address before it keeps its own lines
    ("Pietersburg\n South Africa 89082\n085 175 7641-Office,3660170548-Fax", ("PHONE_NUMBER", "085 175 7641")),
    ("Pietersburg\n South Africa 89082\n085 175 7641-Office,3660170548-Fax", ("PHONE_NUMBER", "3660170548")),
    ("dpo ap 51065\n781 1704 office\n", ("PHONE_NUMBER", "781 1704")),
    ("my SSN is 123-45-6780", ("US_SSN", "123-45-6780")),
    ("social security number 123456780", ("US_SSN", "123456780")),
    ("card 5425 2334 3010 9903 expires soon", ("CREDIT_CARD", "5425 2334 3010 9903")),
    ("wire it to DE75 5121 0800 1245 1261 99 please", ("IBAN_CODE", "DE75 5121 0800 1245 1261 99")),
    ("routing number 021000021", ("US_BANK_ROUTING", "021000021")),
    ("account number: 0012345678", ("US_BANK_NUMBER", "0012345678")),
    ("blocked from 172.61.42.192 again", ("IP_ADDRESS", "172.61.42.192")),
    ("server at 2a03:2880:f12f:83::25de is down", ("IP_ADDRESS", "2a03:2880:f12f:83::25de")),
    ("date of birth: 03/14/1986", ("DATE_OF_BIRTH", "03/14/1986")),
    ("she was born on March 3, 1990 in Oslo", ("DATE_OF_BIRTH", "March 3, 1990")),
    ("my driver's license number is D1234-5678", ("US_DRIVER_LICENSE", "D1234-5678")),
])
def test_detects(scanner: PrivacyScanner, text: str, expected: tuple[str, str]) -> None:
    assert expected in types_of(scanner, text)


@pytest.mark.parametrize("text", [
    "card 4111 1111 1111 1112 expires soon",  # Luhn fails
    "wire it to DE89 3704 0044 0532 0130 01 please",  # mod-97 fails
    "order 021000022 shipped",  # no routing context, bad checksum
    "the routing number is 021000022",  # context but bad checksum
    "ticket 123456780 is closed",  # nine digits without an SSN label
    "part 000-12-3456 is out of stock",  # impossible area number, no SSN label (labelled: see test_normalize)
    "version 1.2.3.4 released, and 999.1.1.1 is not an address",
    "The meeting is on 2020-06-20 14:11:22",
    "My zip code is 90010-170",
    "We sold 3 4 5 units",
    "We sold 1234567 office chairs",
    "We bought 1 500 000 office chairs",
])
def test_look_alikes_are_not_pii(scanner: PrivacyScanner, text: str) -> None:
    assert types_of(scanner, text) == []


@pytest.mark.parametrize("text,secret", [
    ("use AKIAZ3RT5QW7XPL2MN4K for the bucket", "AKIAZ3RT5QW7XPL2MN4K"),
    ("token ghp_" + "a" * 36 + " works", "ghp_" + "a" * 36),
    ("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx", "sk-proj-abcdefghijklmnopqrstuvwx"),
    ("password: hunter2!x", "hunter2!x"),
    ("my password is Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("Authorization: Bearer abcdef0123456789abcdef", "abcdef0123456789abcdef"),
    ("connect to postgres://admin:s3cretpass@db.internal:5432/app", "s3cretpass"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", 
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"),
    # Provider token formats (values made up here, split so that no scanner reads this file as a leak).
    ("my npm publish token " + "npm_" + "jwbgouDlaBixWmHssNxnMc0WAjyO8qxjPRC5" + " stopped working",
     "npm_" + "jwbgouDlaBixWmHssNxnMc0WAjyO8qxjPRC5"),
    ("TWINE_PASSWORD is " + "pypi-" + "AgEIcHlwaS5vcmcCJGQ3ZmE2Y2U4LTk0ZjEtNDc0Zi1iN2E2", "pypi-" + "AgEIcHlwaS5vcmcCJGQ3ZmE2Y2U4LTk0ZjEtNDc0Zi1iN2E2"),
    ("login with " + "hf_" + "qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuI", "hf_" + "qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuI"),
    ("export DO=" + "dop_v1_" + "3f" * 32, "dop_v1_" + "3f" * 32),
    ("shopify " + "shpat_" + "0a1b2c3d4e5f" * 2 + "0a1b2c3d", "shpat_" + "0a1b2c3d4e5f" * 2 + "0a1b2c3d"),
    ("sendgrid " + "SG." + "aB3dE5fG7hI9jK1lM3nO5p" + "." + "Q7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ3rS", 
     "SG." + "aB3dE5fG7hI9jK1lM3nO5p" + "." + "Q7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ3rS"),
    ("client secret " + "GOCSPX-" + "k2Jd8sLq0Wm4Zx7Ty1Uv5Rn3Bp6C", "GOCSPX-" + "k2Jd8sLq0Wm4Zx7Ty1Uv5Rn3Bp6C"),
    ("databricks " + "dapi" + "9c" * 16, "dapi" + "9c" * 16),
    ("bot token 7312945088:" + "AAH" + "d8Kq2LmZp4Xs9Tv1Wy6Rb3Nc5Jf0Ge7U", "7312945088:" + "AAH" + "d8Kq2LmZp4Xs9Tv1Wy6Rb3Nc5Jf0Ge7U"),
    ("post to https://" + "hooks.slack.com/services/" + "T04ABCD12/B05EFGH34/" + "x9Ky2Lm3Nq4Rs5Tu6Vw7Xy8Z",
     "hooks.slack.com/services/" + "T04ABCD12/B05EFGH34/" + "x9Ky2Lm3Nq4Rs5Tu6Vw7Xy8Z"),
    ("DefaultEndpointsProtocol=https;AccountName=acme;" + "AccountKey=" + "Zm9v" * 21 + "QQ==",
     "AccountKey=" + "Zm9v" * 21 + "QQ=="),
    # A name and the value after a space alone, as pasted into prose: a long value of letters and digits.
    ("Twilio fails. account sid AC1f2e auth token " + "4be0c7" * 5 + "a1. what's wrong?", "4be0c7" * 5 + "a1"),
    ("the API KEY " + "Q2x9Lm4Zp7" * 2 + " stopped working", "Q2x9Lm4Zp7" * 2),
])
def test_credentials(scanner: PrivacyScanner, text: str, secret: str) -> None:
    assert ("CREDENTIAL", secret) in types_of(scanner, text)


@pytest.mark.parametrize("text", ["the password is required to log in", "Your token: expired",
                                  "how do I reset my password?", "the token limit for gpt-4o-2024-08-06 is 128k",
                                  "api key rotation every 90 days", "token usage_per_request_2024 dashboard"])
def test_prose_about_credentials_is_not_a_credential(scanner: PrivacyScanner, text: str) -> None:
    assert all(t != "CREDENTIAL" for t, _ in types_of(scanner, text))


def test_spans_point_into_the_text(scanner: PrivacyScanner) -> None:
    text = "Mail bob@examplemail.org or call 555-867-5309, card 5425233430109903."
    for span in scanner.detect_pii(text):
        assert text[span.start:span.end] == span.text


def test_a_span_of_years_is_not_a_phone_number() -> None:
    from shoal.privacy.patterns import detect_phone

    for text in ("Why did Nvidia's market cap jump in 2023-2024?", "the war of 1914-1918", "the 1990/1991 season"):
        assert detect_phone(text) == [], text
    assert [s.text for s in detect_phone("call me at 2023-2024")] == ["2023-2024"]  # a phone label decides
