"""Evaluation runs and suites: start a run (a row, then a job), compare runs, and turn
production findings into regression cases.

A run is requested for one exact template version and model; the template moves from draft
to "evaluating" when its first run is requested (an active template stays active: editors keep
drafting with the promoted version while its candidate is evaluated).
"""

from __future__ import annotations

from django.db import transaction

from ..jobs import outbox
from ..models import EvaluationCase, EvaluationRun, PromptTemplate, PromptTemplateVersion
from ..providers import get_provider
from ..states import JobStatus, TemplateStatus
from . import PermissionDenied, ServiceError, audit
from .prompts import can_manage


def resolve_model(version: PromptTemplateVersion, model: str = "") -> str:
    """The exact model a run uses: the one asked for, the version's, or the provider's default."""
    return (model or "").strip() or version.model_name or get_provider().default_model


@transaction.atomic
def request_run(
    version_pk: int, user, *, model: str = "", trigger: str = "admin", enqueue: bool = True
):
    """Queue an evaluation run of ``version`` with ``model`` (``enqueue=False``: the caller
    runs it itself, as the ``ecm_ops_eval`` command does; the row is claimed like any job).

    Raises:
        PermissionDenied: the user may not manage prompt templates.
        ServiceError: the template has no active cases, or is retired.
    """
    if user is not None and not can_manage(user):
        raise PermissionDenied("Only site administrators can evaluate prompt templates.")
    version = PromptTemplateVersion.objects.select_related("template").get(pk=version_pk)
    template = PromptTemplate.objects.select_for_update().get(pk=version.template_id)
    if template.status == TemplateStatus.RETIRED:
        raise ServiceError(f"“{template}” is retired; reopen it before evaluating it.", status=409)
    if not template.evaluation_cases.filter(active=True).exists():
        raise ServiceError(
            f"“{template}” has no evaluation cases yet. Add cases (or import a YAML suite) "
            "first: a run without cases proves nothing.",
            status=409,
        )
    run = EvaluationRun.objects.create(
        version=version,
        model_name=resolve_model(version, model)[:100],
        requested_by=user,
        trigger=trigger,
    )
    if template.status == TemplateStatus.DRAFT:
        template.start_evaluation()
        template.save(update_fields=["status"])
    audit.record(
        template,
        "ecm_ops.template.evaluation_requested",
        user,
        template=template.slug,
        version=version.number,
        model=run.model_name,
        run=run.pk,
    )
    if enqueue:
        outbox.enqueue_on_commit(run)
    return run


def latest_run(version, model: str) -> EvaluationRun | None:
    """The newest run of exactly this version and model (any status)."""
    return (
        EvaluationRun.objects.filter(version=version, model_name=model)
        .order_by("-created_at", "-pk")
        .first()
    )


def last_finished_run(version, model: str) -> EvaluationRun | None:
    return (
        EvaluationRun.objects.filter(version=version, model_name=model, status=JobStatus.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )


def comparable(run: EvaluationRun, baseline: EvaluationRun | None) -> dict | None:
    """Side-by-side figures of ``run`` and ``baseline`` on the cases both ran.

    Returns ``{"cases": n, "rows": [(label, run value, baseline value, worse?)]}`` or None.
    """
    if baseline is None or baseline.pk == run.pk:
        return None
    mine = {r.case_id: r for r in run.results.all() if r.case_id}
    theirs = {r.case_id: r for r in baseline.results.all() if r.case_id}
    shared = sorted(set(mine) & set(theirs))
    if not shared:
        return None

    def figures(results):
        n = len(results)
        scores = [r.score for r in results if r.score is not None]
        return {
            "pass_rate": sum(r.passed for r in results) / n,
            "mean_score": sum(scores) / len(scores) if scores else 0.0,
            "cost": sum(float(r.cost) for r in results),
            "latency": sum(r.latency_ms for r in results) / n,
        }

    a = figures([mine[c] for c in shared])
    b = figures([theirs[c] for c in shared])
    return {
        "cases": len(shared),
        "pass_rate": (a["pass_rate"], b["pass_rate"]),
        "mean_score": (a["mean_score"], b["mean_score"]),
        "rows": [
            ("Pass rate", f"{a['pass_rate']:.0%}", f"{b['pass_rate']:.0%}"),
            ("Mean screening score", f"{a['mean_score']:.2f}", f"{b['mean_score']:.2f}"),
            ("Cost (USD)", f"{a['cost']:.4f}", f"{b['cost']:.4f}"),
            ("Mean latency (ms)", f"{a['latency']:.0f}", f"{b['latency']:.0f}"),
        ],
    }


def baseline_for(run: EvaluationRun) -> EvaluationRun | None:
    """The promoted version's last finished run with the same model (None if none, or if
    ``run`` is itself of the promoted version)."""
    promoted_id = run.version.template.promoted_version_id
    if promoted_id is None or promoted_id == run.version_id:
        return None
    return last_finished_run(promoted_id, run.model_name)


# -- production feeds the suite ------------------------------------------------------------


def _draft_for(page, revision=None):
    """The AI draft whose brief and template produced ``page``'s content."""
    from ..models import DraftRequest

    drafts = DraftRequest.objects.filter(page=page, status=JobStatus.SUCCEEDED).select_related(
        "template_version__template"
    )
    if revision is not None:
        exact = drafts.filter(revision=revision).first()
        if exact is not None:
            return exact
    return drafts.order_by("-created_at", "-pk").first()


def _output_text(revision) -> str:
    from ..content_checks.canonical import canonical_text

    return canonical_text(revision.as_object()).text[:20_000] if revision else ""


@transaction.atomic
def regression_case_from(kind: str, pk: int, user) -> EvaluationCase:
    """Turn a production finding into a regression case of the template that produced it.

    ``kind``: ``"review"`` (a rejected or sent-back review case; its reason is the finding)
    or ``"incident"`` (its findings' checks become ``no_check`` assertions).

    Raises:
        PermissionDenied: the user may not manage prompt templates.
        ServiceError: nothing there came from an AI draft, or nothing to learn from.
    """
    from ..models import Incident, ReviewCase
    from ..states import ReviewState

    if not can_manage(user):
        raise PermissionDenied("Only site administrators can add evaluation cases.")
    assertions = [{"type": "no_blocker"}]
    if kind == "review":
        case = ReviewCase.objects.select_related("page", "revision").get(pk=pk)
        if case.state not in (ReviewState.REJECTED, ReviewState.CHANGES_REQUESTED):
            raise ServiceError("Only a rejected or sent-back review can become a case.", 409)
        page, revision, finding = case.page, case.revision, case.outcome_reason.strip()
        source = (
            EvaluationCase.Source.REVIEW
            if case.state == ReviewState.REJECTED
            else EvaluationCase.Source.COMMENT
        )
        note = f"Review case {case.pk} ({case.get_state_display().lower()})"
        if finding:
            assertions.append({"type": "rubric", "value": 8})
    elif kind == "incident":
        incident = Incident.objects.select_related("page", "screening_run").get(pk=pk)
        page, finding = incident.page, incident.summary.strip()
        run = incident.screening_run
        revision = run.revision if run is not None and run.revision_id else None
        revision = revision or page.live_revision
        source, note = EvaluationCase.Source.INCIDENT, f"Incident {incident.pk}"
        if run is not None:
            from ..content_checks.scoring import family

            for check in sorted({family(f.check_id) for f in run.findings.all()}):
                assertions.append({"type": "no_check", "value": check})
    else:
        raise ServiceError(f"Unknown source “{kind}”.", status=404)
    draft = _draft_for(page, revision)
    if draft is None:
        raise ServiceError(
            "This content did not come from an AI draft, so there is no brief or template to "
            "turn into an evaluation case.",
            status=409,
        )
    template = draft.template_version.template
    name = f"{note}: {page.title}"[:200]
    if template.evaluation_cases.filter(name=name).exists():
        raise ServiceError(f"“{template}” already has the case “{name}”.", status=409)
    created = EvaluationCase.objects.create(
        template=template,
        name=name,
        brief=dict(draft.brief or {}),
        assertions=assertions,
        source=source,
        source_note=(f"{note}: {finding}" if finding else note)[:300],
        reference_output=_output_text(revision),
        created_by=user,
    )
    audit.record(
        template, "ecm_ops.template.case_added", user, template=template.slug, case=created.name
    )
    return created
