"""What masking the request log's content costs, next to the privacy scan every request already pays.

    python bench/content_log.py [--repeat 30]

For prompts and answers of varied size (≈100 B to 16 KB) and content (plain prose, personal data,
credentials, code), times per record: ``log_content: masked`` (detect + pseudonymise the prompt and
the answer; "answer-only" when the request's scan found no personal data and vouches for the
prompt), ``raw`` (the floor: nothing to do) and the request's privacy scan (the peer the gateway
runs anyway). Prints milliseconds and masked/scan ratios; the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from shoal.config import parse_config
from shoal.content_log import ContentLog
from shoal.privacy.scanner import PrivacyScanner
from shoal.store.records import RequestRecord

PROSE = ("The quarterly plan covers hiring, budgets and the roadmap for the platform team. "
         "We will review the vendor contracts and the migration schedule next week. ")
PII = ("Please send the contract to {first}.{last}@example.com or call {phone}; "
       "my card is 4111 1111 1111 1111 and I live at 42 Elm Street, Springfield. ")
SECRET = "Use the key sk-proj-{key} for the deploy, and the password hunter2 for the staging box. "
CODE = "def handler(event):\n    return {'status': 200, 'body': event['body'].upper()}\n"
NAMES = [("dana", "whitfield"), ("omar", "haddad"), ("li", "wei"), ("maria", "garcia"), ("john", "okafor")]


def _text(kind: str, size: int, rng: random.Random) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        if kind == "pii" and rng.random() < 0.3:
            first, last = rng.choice(NAMES)
            parts.append(PII.format(first=first, last=last, phone=f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"))
        elif kind == "secret" and rng.random() < 0.3:
            parts.append(SECRET.format(key="".join(rng.choice("abcdefghijkLMNOP0123456789") for _ in range(32))))
        elif kind == "code":
            parts.append(CODE)
        else:
            parts.append(PROSE)
    return "".join(parts)[:size]


def _median_ms(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    scanner = PrivacyScanner(parse_config({}).privacy)
    scanner.warm_up()
    masked = ContentLog("masked", scanner.detect_pii, scan_detects=True)
    raw = ContentLog("raw", scanner.detect_pii)
    rng = random.Random(7)
    print(f"{'content':8} {'prompt':>7} {'answer':>7} {'raw ms':>8} {'masked ms':>10} {'answer-only':>12} "
          f"{'scan ms':>8} {'masked/scan':>12}")
    ratios = []
    for kind in ("prose", "pii", "secret", "code"):
        for size in (100, 1000, 4000, 16000):
            prompt, answer = _text(kind, size, rng), _text(kind, max(100, size // 2), rng)

            def record(p: str = prompt, a: str = answer) -> RequestRecord:
                return RequestRecord(request_id="r", ts=0.0, request_messages=[{"role": "user", "content": p}],
                                     response_text=a)

            t_raw = _median_ms(lambda: raw.masked(record()), args.repeat)
            t_masked = _median_ms(lambda: masked.masked(record()), args.repeat)
            # what the gateway pays when the request's scan found no personal data (the prompt is vouched for)
            t_answer = _median_ms(lambda: masked.masked(record(), prompt_clean=True), args.repeat)
            t_scan = _median_ms(lambda p=prompt: scanner.scan(p), args.repeat)
            ratios.append(t_masked / t_scan)
            print(f"{kind:8} {len(prompt):>7} {len(answer):>7} {t_raw:>8.3f} {t_masked:>10.3f} {t_answer:>12.3f} "
                  f"{t_scan:>8.3f} {t_masked / t_scan:>12.2f}")
    print(f"median masked/scan ratio: {statistics.median(ratios):.2f} "
          f"(masking covers prompt + answer; the scan covers the prompt only)")


if __name__ == "__main__":
    main()
