"""Optional LLM rubric check: factual risk, tone and brand fit, through the provider interface.

Not in the default CHECKS; enable it with
``ECM_OPS = {"CHECKS": [*DEFAULT_CHECKS, "ecm_ops.content_checks.llm_rubric.LLMRubricCheck"]}``
(and give it a budget, e.g. ``"CHECK_TIME_BUDGETS": {"llm_rubric": 60}``; its own default
is 60 seconds).

AI may raise risk, never lower it: this check only yields findings of its own
(``llm_rubric.<criterion>``); it never sees, removes or changes other checks' findings. A
provider failure fails closed like any crashing check (a blocker "could not run").

Cost: the tokens and the cost in USD (``ECM_OPS["PRICES"]``) are recorded in
``context.meta["llm_rubric"]`` (``{"model", "input_tokens", "output_tokens", "cost_usd"}``)
and logged to ``ecm_ops.checks``; every finding's suggestion also names the model.
"""

from __future__ import annotations

import logging

from ..providers import get_provider
from ..providers.rubric import RubricRequest
from ..states import Severity
from .registry import BaseCheck, FindingData

logger = logging.getLogger("ecm_ops.checks")
SEVERITY = {"info": Severity.INFO, "warning": Severity.WARNING, "blocker": Severity.BLOCKER}
MAX_CHARS = 60_000


def locate(text: str, excerpt: str) -> tuple[int, int] | None:
    excerpt = excerpt.strip()
    if not excerpt:
        return None
    at = text.find(excerpt)
    if at < 0:
        at = text.lower().find(excerpt.lower())
    return (at, at + len(excerpt)) if at >= 0 else None


class LLMRubricCheck(BaseCheck):
    check_id = "llm_rubric"
    label = "LLM rubric (factual risk, tone, brand fit)"
    time_budget = 60.0

    def run(self, doc, context):
        from ..drafting.service import cost_of

        guide = context.style_guide
        request = RubricRequest(
            text=doc.text[:MAX_CHARS], brand_voice=getattr(guide, "voice", "") or ""
        )
        result = get_provider().rubric(request)
        cost = cost_of(result.model, result.usage)
        context.meta[self.check_id] = {
            "model": result.model,
            "input_tokens": result.usage.input_tokens,
            "output_tokens": result.usage.output_tokens,
            "cost_usd": str(cost),
        }
        logger.info(
            "LLM rubric on %s: %d issue(s), %d tokens, $%s",
            context.page_type or "text",
            len(result.issues),
            result.usage.total,
            cost,
        )
        for issue in result.issues:
            where = locate(doc.text, issue.excerpt)
            start, end = where or (0, 0)
            finding = self.finding(
                doc,
                SEVERITY.get(issue.severity, Severity.WARNING),
                start,
                end,
                issue.message or f"The model flagged a {issue.criterion} problem.",
                suggestion=f"Flagged by {result.model}; a person decides.",
                check_id=f"{self.check_id}.{issue.criterion}",
            )
            if where is None:  # the model quoted words that are not in the text
                finding = FindingData(**{**finding.__dict__, "field": "", "excerpt": issue.excerpt})
            yield finding
