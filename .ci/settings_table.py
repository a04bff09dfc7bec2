"""Print the README's ``ECM_OPS`` settings table from ``ecm_ops/conf.py`` (keys, defaults and
the comments above each key). Run: ``make settings-table`` and paste the output into README.md.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def comments_by_key(source: str) -> dict[str, str]:
    block = source[source.index("DEFAULTS: dict") :]
    block = block[: block.index("\n}\n")]
    notes: dict[str, str] = {}
    pending: list[str] = []
    for line in block.splitlines()[1:]:
        comment = re.match(r"^    # ?(.*)$", line)
        key = re.match(r'^    "([A-Z_0-9]+)":(.*)$', line)
        if comment:
            pending.append(comment.group(1).strip())
        elif key:
            inline = key.group(2).split("#", 1)[1].strip() if "#" in key.group(2) else ""
            notes[key.group(1)] = " ".join(pending + ([inline] if inline else []))
            pending = []
    return notes


#: For keys that carry no comment in conf.py.
FALLBACK = {
    "ANTHROPIC": "The Anthropic provider: `API_KEY` (else the `ANTHROPIC_API_KEY` environment "
    "variable; never stored or logged), `MODEL`, `MAX_TOKENS`, `TIMEOUT`, `MAX_RETRIES`, "
    "`BASE_URL`.",
    "QUEUE": "The django-rq queue (a key of `RQ_QUEUES`) that ecm_ops jobs go to.",
    "MAX_ATTEMPTS": "Attempts per background row; after that the reaper marks it failed with "
    "a reason.",
    "CHECKS": "Dotted paths of the pre-screening checks (the check registry).",
    "PII_ALLOWLIST": "E-mail addresses and phone numbers the PII check accepts (e.g. a "
    "newsroom address).",
    "NEAR_DUPLICATE_BLOCKER": "Similarity at which a near-duplicate is a blocker.",
    "SWEEP_CHUNK_SIZE": "Pages per sweep chunk job.",
    "BUDGETS": "Token budgets (`None`: unlimited): per user per day, per site per month.",
}


def default_text(value) -> str:
    text = json.dumps(value, default=str)
    if len(text) <= 60:
        return f"`{text}`"
    if isinstance(value, dict):
        return "`{" + ", ".join(f'"{k}": …' for k in value) + "}`"
    return "see `ecm_ops/conf.py`"


def main() -> None:
    from ecm_ops.conf import DEFAULTS

    notes = comments_by_key((ROOT / "ecm_ops" / "conf.py").read_text())
    print("| Key | Default | Meaning |")
    print("|---|---|---|")
    for key, value in DEFAULTS.items():
        meaning = (notes.get(key) or FALLBACK.get(key, "")).replace("|", "\\|")
        print(f"| `{key}` | {default_text(value)} | {meaning} |")


if __name__ == "__main__":
    import django
    from django.conf import settings

    settings.configure()
    django.setup()
    main()
