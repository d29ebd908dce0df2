#!/usr/bin/env python3
"""The review policy of the Lumio support leads, applied to `shoal feedback list --json` output.

A rating without correction is accepted (thumbs-up answers become SFT data, thumbs-down KTO negatives). A correction is accepted only when it names one of the queues
(the model must learn to answer with a queue name, nothing else); anything else an agent typed
("send to billing pls") is rejected — kept on record, never trained on. Writes the ids to accept and
to reject, one per line, for `shoal feedback review accept|reject`.

    shoal feedback list --status pending --limit 100000 --json | python review.py data/queues.txt
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    queues = set(Path(sys.argv[1]).read_text(encoding="utf-8").split())
    accept: list[str] = []
    reject: list[str] = []
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        correction = (item.get("correction") or "").strip()
        if correction:
            (accept if correction in queues else reject).append(item["id"])
        elif item.get("rating") is not None:
            accept.append(item["id"])  # a rating alone: thumbs for KTO, or the answer as SFT when rated up
        else:
            reject.append(item["id"])  # a comment alone teaches nothing
    Path("accept.txt").write_text("".join(i + "\n" for i in accept), encoding="utf-8")
    Path("reject.txt").write_text("".join(i + "\n" for i in reject), encoding="utf-8")
    print(f"review policy: accept {len(accept)}, reject {len(reject)}")


if __name__ == "__main__":
    main()
