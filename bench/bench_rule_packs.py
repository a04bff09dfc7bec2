"""Hostile rule packs are refused at save quickly (issue 14): the time from submitting a pack
to its refusal, through the model's validation (what the admin form runs).

* ``rule_pack_alias_bomb_refused_s``: a YAML "billion laughs" alias bomb (nine levels of nine
  aliases, a few hundred bytes; PyYAML alone would build 9^9 list items).
* ``rule_pack_catastrophic_regex_refused_s``: a pack whose pattern is catastrophic for a
  backtracking engine (``(\\w+\\s?)+\\1$``, exponential in Python's ``re``); RE2 refuses the
  backreference at compile time.
* ``rule_pack_too_slow_refused_s``: a pack RE2 accepts but that is too slow on a 2,000-word
  text (four rules matching every letter), refused by the timed run at
  ``ECM_OPS["RULE_PACK_TIME_BUDGET"]``.

Each figure is the worst of 5 attempts (goal <= 1 s). No database is needed: ``clean()``
validates without saving.

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_rule_packs.py``
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402

from ecm_ops.models import StyleRulePack  # noqa: E402

LEVELS = "abcdefghi"
ALIAS_BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip(LEVELS, LEVELS[1:], strict=False)
)
PACKS = {
    "alias_bomb": ALIAS_BOMB,
    "catastrophic_regex": "Doubled:\n  extends: existence\n  raw: ['(\\w+\\s?)+\\1$']\n",
    "too_slow": "".join(
        f"Letter{i}:\n  extends: existence\n  nonword: true\n  raw: ['[a-z]']\n" for i in range(4)
    ),
}
GOAL_S = 1.0


def refusal_time(source: str) -> float:
    pack = StyleRulePack(name="bench", source=source)
    started = time.perf_counter()
    try:
        pack.clean()
    except ValidationError:
        return time.perf_counter() - started
    raise SystemExit(f"the pack was accepted: {source[:60]!r}")


def main() -> None:
    print(f"alias bomb: {len(ALIAS_BOMB)} bytes")
    for name, source in PACKS.items():
        worst = max(refusal_time(source) for _ in range(5))
        print(f"bench: rule_pack_{name}_refused_s = {worst:.3f} s (goal <= {GOAL_S:g})")


if __name__ == "__main__":
    main()
