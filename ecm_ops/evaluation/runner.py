"""The evaluation job: generate every case of a suite with one version and model, screen, judge.

Each case goes through the real provider path (the same request :mod:`ecm_ops.drafting` builds
for editors, through the configured provider), its output is written into an unsaved page of
the template's first designed page type exactly as a draft would be, screened with the current
checks, and judged against the case's assertions.

Fenced like every job (:mod:`ecm_ops.jobs.claims`): each case's result is written in a
transaction that holds the run under this attempt, and also refreshes ``started_at`` (so a run
making progress is not mistaken for a dead one by the reaper); results are committed in
batches at most ``COMMIT_EVERY`` seconds apart. A re-queued run resumes after the cases
already committed; a stale attempt writes nothing more.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..content_checks.readability import target_for
from ..content_checks.scoring import count, score
from ..drafting.brief import build_request
from ..drafting.fields import apply_fields
from ..jobs import claims
from ..models import EvaluationResult, EvaluationRun
from ..providers import ProviderError, get_provider
from ..providers.rubric import RubricRequest
from ..states import JobStatus, Severity
from . import assertions

logger = logging.getLogger("ecm_ops.evaluation")
#: Seconds of judged cases an attempt may hold before committing them.
COMMIT_EVERY = 1.0


def page_class_for(template):
    """The page type a template's cases are drafted into: its first designed page type."""
    from wagtail.models import Page

    for content_type in template.page_types.all():
        model = content_type.model_class()
        if model is not None:
            return model
    return Page


def process_evaluation_run(pk: int) -> EvaluationRun | None:
    """Job body (see the module docstring)."""
    claimed = claims.claim(EvaluationRun, pk)
    if claimed is None:
        return None
    run = EvaluationRun.objects.select_related("version__template__style_guide").get(pk=pk)
    run.attempts = claimed.attempts
    try:
        _judge_cases(run)
        with transaction.atomic():
            claims.hold_or_raise(run)
            fields = summarise(run)
            claims.finish_or_raise(run, JobStatus.SUCCEEDED, **fields)
    except claims.StaleAttempt:
        logger.warning("Evaluation run %s attempt %s lost its claim", pk, run.attempts)
        return None
    except Exception as exc:
        logger.exception("Evaluation run %s crashed", pk)
        claims.finish(
            run,
            JobStatus.FAILED,
            error=f"The evaluation could not finish ({type(exc).__name__}). Run it again; if it "
            "keeps failing, ask a developer to check the worker logs.",
            passed=False,
        )
    run.refresh_from_db()
    return run


def _judge_cases(run: EvaluationRun) -> None:
    version = run.version
    template = version.template
    provider = get_provider()
    model = run.model_name or version.model_name or provider.default_model
    page_class = page_class_for(template)
    mapping = version.mapping_for(page_class)
    page_type = f"{page_class._meta.app_label}.{page_class._meta.model_name}"
    target = target_for(page_type)
    voice = getattr(template.style_guide, "voice", "") or ""
    done = set(run.results.values_list("case_id", flat=True))
    pending: list[EvaluationResult] = []
    flushed = time.monotonic()
    for case in template.evaluation_cases.filter(active=True).exclude(pk__in=done):
        pending.append(judge_case(run, case, provider, model, page_class, mapping, target, voice))
        # Results are committed at least every COMMIT_EVERY seconds (not per case: a commit
        # costs as much as judging a case), so a re-queued run loses at most that much work.
        if time.monotonic() - flushed >= COMMIT_EVERY:
            _flush(run, pending)
            flushed = time.monotonic()
    _flush(run, pending)


def _flush(run: EvaluationRun, pending: list) -> None:
    """Write judged results under the fence, and mark the run alive for the reaper."""
    if not pending:
        return
    with transaction.atomic():
        claims.hold_or_raise(run)
        EvaluationResult.objects.bulk_create(pending)
        EvaluationRun.objects.filter(pk=run.pk).update(started_at=timezone.now())
    pending.clear()


def judge_case(run, case, provider, model, page_class, mapping, target, voice):
    """Generate, screen and judge one case; returns the unsaved :class:`EvaluationResult`."""
    from ..drafting.service import cost_of
    from ..services.screening import screen_object

    row = EvaluationResult(
        run=run, case=case, case_name=case.name, required=case.required, passed=False
    )
    request = build_request(run.version, case.brief, {k: k for k in mapping}, model)
    started = time.perf_counter()
    try:
        result = provider.generate(request)
    except ProviderError as exc:
        row.latency_ms = int((time.perf_counter() - started) * 1000)
        row.reasons = [f"The provider failed: {exc.user_message}"]
        if exc.usage is not None:
            row.input_tokens, row.output_tokens = exc.usage.input_tokens, exc.usage.output_tokens
            row.cost = cost_of(model, exc.usage)
        return row
    provider_s = time.perf_counter() - started
    row.latency_ms = int(provider_s * 1000)
    row.input_tokens, row.output_tokens = result.usage.input_tokens, result.usage.output_tokens
    row.cost = cost_of(result.model, result.usage)
    row.output = {k: str(v)[:20_000] for k, v in result.fields.items()}
    overhead_started = time.perf_counter()
    page = page_class(title="Evaluation")
    apply_fields(page, mapping, result.fields)
    doc, findings = screen_object(page)
    row.score = score(findings, doc.word_count)
    row.blockers = count(findings, Severity.BLOCKER)
    rubric_s = 0.0

    def rubric() -> float:
        nonlocal rubric_s
        at = time.perf_counter()
        answer = provider.rubric(RubricRequest(text=doc.text[:60_000], brand_voice=voice))
        rubric_s += time.perf_counter() - at
        row.input_tokens += answer.usage.input_tokens
        row.output_tokens += answer.usage.output_tokens
        row.cost += cost_of(answer.model, answer.usage)
        return assertions.rubric_score(answer.issues)

    output = assertions.Output(
        fields=dict(result.fields),
        text=doc.text,
        findings=findings,
        score=row.score,
        word_count=doc.word_count,
        expected_fields=list(mapping),
        readability_target=target,
        rubric=rubric,
    )
    try:
        row.reasons = assertions.judge(case.assertions or [], output)
    except ProviderError as exc:  # the rubric's provider call failed: fail closed
        row.reasons = [f"The LLM rubric could not run: {exc.user_message}"]
    row.passed = not row.reasons
    row.overhead_ms = round((time.perf_counter() - overhead_started - rubric_s) * 1000, 2)
    return row


def summarise(run: EvaluationRun) -> dict:
    """The run's totals and summary (written when it finishes)."""
    totals = run.results.aggregate(
        n_total=Count("pk"),
        n_passed=Count("pk", filter=Q(passed=True)),
        n_required_failed=Count("pk", filter=Q(passed=False, required=True)),
        n_input_tokens=Sum("input_tokens"),
        n_output_tokens=Sum("output_tokens"),
        n_cost=Sum("cost"),
        n_latency=Sum("latency_ms"),
        n_overhead=Sum("overhead_ms"),
    )
    scores = [s for s in run.results.values_list("score", flat=True) if s is not None]
    total = totals["n_total"] or 0
    summary = {
        "total": total,
        "passed": totals["n_passed"],
        "failed": total - totals["n_passed"],
        "required_failed": totals["n_required_failed"],
        "pass_rate": round(totals["n_passed"] / total, 4) if total else 0.0,
        "mean_score": round(sum(scores) / len(scores), 2) if scores else None,
        "cost": str(totals["n_cost"] or Decimal(0)),
        "mean_latency_ms": round((totals["n_latency"] or 0) / total) if total else 0,
        "mean_overhead_ms": round((totals["n_overhead"] or 0) / total, 2) if total else 0,
    }
    return {
        "summary": summary,
        "passed": total > 0 and totals["n_required_failed"] == 0,
        "input_tokens": totals["n_input_tokens"] or 0,
        "output_tokens": totals["n_output_tokens"] or 0,
        "cost": totals["n_cost"] or Decimal(0),
        "latency_ms": totals["n_latency"] or 0,
        "provider": get_provider().name,
    }
