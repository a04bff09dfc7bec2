"""Pre-screening accuracy on the labelled corpus (issue 14): can an editor trust the checks?

Runs every default check (``conf.DEFAULT_CHECKS``, the shipped style pack, a style guide that
prefers "sign in" to "log in"/"login", a section policy that makes health, money and legal
advice strict) on each passage of ``bench/corpus/`` and prints, per family
(``bench/labelled_corpus.py`` says how spans and findings are matched):

* ``prescreen_recall_<family>``: labelled spans found. Goal >= 0.95 for the blocker-grade
  families (personal data, AI artefacts, strict advice), >= 0.85 for the rest.
* ``prescreen_precision_<family>`` and ``prescreen_precision_<check id>``: findings that hit a
  span with their label. Goal >= 0.90 for every check.
* ``prescreen_clean_false_flags``: share of the clean editorial passages with any warning or
  blocker. Goal <= 0.05.

``--verbose`` lists every missed span and every false hit.

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_prescreen.py``
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from benchdb import throwaway_database  # noqa: E402
from labelled_corpus import FAMILIES, load, score  # noqa: E402

BLOCKER_GRADE = {"pii", "ai_artefacts", "advice"}
STRICT = SimpleNamespace(
    strict_advice_checks=["claims.medical", "claims.financial", "claims.legal"]
)


def main() -> None:
    from ecm_ops.content_checks.registry import CheckContext, run_checks
    from ecm_ops.models import StyleGuide

    passages = load()
    with throwaway_database("test_ecm_ops_bench_prescreen"):
        guide = StyleGuide.objects.create(
            name="House",
            voice="Plain.",
            terminology=[{"preferred": "sign in", "deprecated": ["log in", "login"]}],
        )

        def run(doc):
            context = CheckContext(
                page_type="content.newsarticle", policy=STRICT, style_guide=guide
            )
            return run_checks(doc, context)

        result = score(passages, run)
    labelled = sum(result.spans.values())
    print(f"# corpus: {len(passages)} passages, {labelled} labelled spans "
          f"({', '.join(f'{f} {result.spans[f]}' for f in FAMILIES)}), "
          f"{result.clean_passages} clean passages")  # fmt: skip
    for fam in FAMILIES:
        goal = 0.95 if fam in BLOCKER_GRADE else 0.85
        recall = result.recall(fam)
        if recall is not None:
            print(f"bench: prescreen_recall_{fam} = {recall:.3f} (goal >= {goal})")
    for fam in FAMILIES:
        precision = result.precision(fam)
        if precision is not None:
            print(f"bench: prescreen_precision_{fam} = {precision:.3f} (goal >= 0.9)")
    for check_id in sorted(result.findings):
        precision = result.precision(check_id)
        print(
            f"bench: prescreen_precision_{check_id} = {precision:.3f} (goal >= 0.9, "
            f"{result.findings[check_id]} findings)"
        )
    rate = result.clean_flagged / max(1, result.clean_passages)
    print(
        f"bench: prescreen_clean_false_flags = {rate:.3f} (goal <= 0.05, "
        f"{result.clean_flagged} of {result.clean_passages} passages)"
    )
    if "--verbose" in sys.argv:
        for line in result.misses:
            print(f"# missed    {line}")
        for line in result.false_hits:
            print(f"# false hit {line}")


if __name__ == "__main__":
    main()
