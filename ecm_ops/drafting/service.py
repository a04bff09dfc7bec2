"""Request an AI draft (a row, then a job) and process it into a draft revision."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F

from .. import conf
from ..jobs import claims, outbox
from ..models import DraftRequest, PromptTemplate
from ..models.drafts import ProviderCall
from ..providers import ProviderError, get_provider
from ..services import PermissionDenied, ServiceError, audit, readiness
from ..states import JobStatus, TemplateStatus
from . import budgets, provenance
from .brief import BriefError, build_request, clean_brief
from .fields import apply_fields

logger = logging.getLogger("ecm_ops.drafting")


def usable_templates(page_class=None):
    """Active templates, the ones designed for ``page_class`` first."""
    templates = PromptTemplate.objects.filter(
        status=TemplateStatus.ACTIVE, promoted_version__isnull=False
    ).prefetch_related("page_types")
    if page_class is None:
        return list(templates)
    ct = ContentType.objects.get_for_model(page_class)
    return sorted(templates, key=lambda t: (ct not in t.page_types.all(), t.name))


def request_draft(page, template_slug: str, brief: dict, user) -> DraftRequest:
    """Validate and queue a draft for ``page``.

    Raises:
        PermissionDenied: the user cannot edit the page.
        ServiceError: unknown or inactive template, or an unusable brief (message says which).
        budgets.BudgetExceeded: the user's daily or the site's monthly token budget is used up.
    """
    page = page.specific
    if not page.permissions_for_user(user).can_edit():
        raise PermissionDenied("You do not have permission to edit this page.")
    if locked_for(page, user):
        raise ServiceError(
            "This page is locked (it is in review, or someone locked it), so an AI draft "
            "cannot be written into it now. Withdraw it from review or ask for it to be "
            "unlocked, then generate again.",
            status=409,
        )
    not_ready = readiness.drafting_gate(page)  # raises NotReady under "enforce"
    budgets.check(user)
    template = PromptTemplate.objects.filter(slug=template_slug).first()
    if template is None:
        raise ServiceError(f"There is no prompt template called “{template_slug}”.", status=404)
    if template.status != TemplateStatus.ACTIVE:
        raise ServiceError(
            f"The prompt template “{template}” is {template.get_status_display().lower()}, "
            "not active; choose an active template."
        )
    # Editors draft with the promoted version only: a newer candidate reaches them when an
    # evaluation lets it be promoted (services.promotion), never by being saved.
    version = template.promoted_version
    if version is None:
        raise ServiceError(f"The prompt template “{template}” has no promoted version yet.")
    try:
        brief = clean_brief(brief, version.variables)
    except BriefError as exc:
        raise ServiceError(str(exc)) from exc
    off_label = not template.is_designed_for(ContentType.objects.get_for_model(type(page)))
    with transaction.atomic():
        draft = DraftRequest.objects.create(
            page=page, template_version=version, requester=user, brief=brief, off_label=off_label
        )
        audit.record(
            page,
            "ecm_ops.draft.requested",
            user,
            draft=draft.pk,
            template=template.slug,
            version=version.number,
            off_label=off_label,
            **({"section_not_ready": not_ready} if not_ready else {}),
        )
        outbox.enqueue_on_commit(draft)
    return draft


def locked_for(page, user) -> bool:
    """The page is locked for ``user`` (in review, or locked by someone): no AI drafting."""
    lock = page.get_lock()
    return bool(lock is not None and lock.for_user(user))


def cost_of(model: str, usage) -> Decimal:
    prices = conf.get("PRICES")
    key = next((k for k in sorted(prices, key=len, reverse=True) if model.startswith(k)), None)
    if key is None:
        if model:
            logger.warning("No price for model %r in ECM_OPS['PRICES']; cost recorded as 0", model)
        return Decimal(0)
    p = prices[key]
    total = (
        usage.input_tokens * p["input"]
        + usage.output_tokens * p["output"]
        + usage.cache_read_tokens * p["cache_read"]
        + usage.cache_write_tokens * p["cache_write"]
    )
    return (Decimal(str(total)) / Decimal(1_000_000)).quantize(Decimal("0.000001"))


def process_draft_request(pk: int) -> DraftRequest | None:
    """Job body: call the provider, write a draft revision with provenance, start screening.

    Fenced (:mod:`ecm_ops.jobs.claims`): the provider call is recorded (a
    :class:`~ecm_ops.models.drafts.ProviderCall`, committed at once) whatever happens next;
    the revision, its provenance, the draft's outcome and the follow-on screening are written
    in one transaction that commits only if this attempt still owns the row, so an attempt
    the reaper gave up on writes no second revision.
    """
    claimed = claims.claim(DraftRequest, pk)
    if claimed is None:
        return None
    # One query for everything the job reads (keeps the job's own overhead small).
    draft = DraftRequest.objects.select_related(
        "template_version__template__style_guide", "page", "requester"
    ).get(pk=pk)
    draft.attempts = claimed.attempts  # the fencing token is the claim's, not a re-read's
    version = draft.template_version
    provider = get_provider()
    model = version.model_name or provider.default_model
    page = draft.page.specific
    mapping = version.mapping_for(type(page))
    started = time.monotonic()
    try:
        result = provider.generate(
            build_request(version, draft.brief, {k: k for k in mapping}, model)
        )
    except ProviderError as exc:
        logger.warning("Draft %s failed: %s", pk, exc)
        latency = int((time.monotonic() - started) * 1000)
        record_call(draft, provider.name, model, exc.usage, latency, error=str(exc))
        return _fail(draft, page, exc.user_message, provider.name, model, latency_ms=latency)
    except Exception as exc:
        logger.exception("Draft %s crashed in the provider", pk)
        latency = int((time.monotonic() - started) * 1000)
        record_call(draft, provider.name, model, None, latency, error=repr(exc))
        return _fail(
            draft,
            page,
            "The AI provider failed unexpectedly. Try again; if it keeps "
            "failing, ask a site administrator to check the worker logs.",
            provider.name,
            model,
        )
    latency = int((time.monotonic() - started) * 1000)
    record_call(draft, provider.name, result.model, result.usage, latency)
    if _in_review(page):
        # Submitted while the model was writing: the draft must not replace what reviewers
        # are approving (their approvals would be thrown away). The call stays recorded.
        return _fail(
            draft,
            page,
            "The page was submitted for review while the draft was being written, so the draft "
            "was not saved into it. Withdraw the page from review to use AI drafting again.",
            provider.name,
            result.model,
            latency_ms=latency,
        )
    try:
        with transaction.atomic():
            # A cancel, a re-queue by the reaper or a newer attempt wins: nothing is written.
            claims.hold_or_raise(draft)
            latest = page.get_latest_revision_as_object()
            written = apply_fields(latest, mapping, result.fields)
            revision = latest.save_revision(user=draft.requester, log_action=True)
            provenance.record_for_draft(revision, draft, written)
            usage = result.usage
            claims.finish_or_raise(
                draft,
                JobStatus.SUCCEEDED,
                provider=provider.name,
                model_name=result.model,
                latency_ms=latency,
                revision=revision,
            )
            audit.record(
                page,
                "ecm_ops.draft.succeeded",
                draft.requester,
                draft=draft.pk,
                revision=revision.pk,
                model=result.model,
                tokens=usage.total,
            )
            from ..services.screening import request_screening

            request_screening(page, trigger="draft", revision=revision, user=draft.requester)
    except claims.StaleAttempt:
        draft.refresh_from_db()
        if draft.status == JobStatus.CANCELLED:
            logger.info("Draft %s was cancelled while generating; result discarded", pk)
        else:
            logger.warning(
                "Draft %s attempt %s lost its claim (re-queued by the reaper?); result "
                "discarded, its provider call is recorded",
                pk,
                claimed.attempts,
            )
        return draft
    except Exception:
        logger.exception("Draft %s could not be saved", pk)
        return _fail(
            draft,
            page,
            "The draft could not be saved into the page (the model's output "
            "did not fit its fields). Try again or choose another template.",
            provider.name,
            model,
        )
    draft.refresh_from_db()
    return draft


def _in_review(page) -> bool:
    from ..models import ReviewCase
    from ..states import OPEN_REVIEW_STATES

    return ReviewCase.objects.filter(page_id=page.pk, state__in=OPEN_REVIEW_STATES).exists()


def record_call(draft, provider: str, model: str, usage, latency_ms: int, error: str = ""):
    """Record one provider call of ``draft``'s current attempt and add its usage to the
    draft's totals, in a transaction of its own, committed before the attempt goes on (so the
    call stays billed if the attempt dies or loses the fence)."""
    fields = _usage_fields(model, usage)
    with transaction.atomic():
        call = ProviderCall.objects.create(
            draft=draft,
            attempt=draft.attempts,
            provider=provider,
            model_name=model,
            latency_ms=latency_ms,
            ok=not error,
            error=error,
            **fields,
        )
        if fields:
            DraftRequest.objects.filter(pk=draft.pk).update(
                **{name: F(name) + value for name, value in fields.items()}
            )
    return call


def _usage_fields(model: str, usage) -> dict:
    """Token and cost fields of one call (a failed call may still have consumed tokens)."""
    if usage is None:
        return {}
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "cost": cost_of(model, usage),
    }


def _fail(draft, page, message: str, provider: str, model: str, **fields) -> DraftRequest:
    if claims.finish(
        draft, JobStatus.FAILED, error=message, provider=provider, model_name=model, **fields
    ):  # a draft cancelled meanwhile stays cancelled, with no "failed" entry in its history
        audit.record(page, "ecm_ops.draft.failed", draft.requester, draft=draft.pk, error=message)
    draft.refresh_from_db()
    return draft


@transaction.atomic
def cancel_draft(draft_pk: int, user) -> DraftRequest:
    draft = DraftRequest.objects.select_for_update().get(pk=draft_pk)
    if draft.requester_id != user.pk and not user.is_superuser:
        raise PermissionDenied("Only the person who requested this draft can cancel it.")
    if not draft.is_open:
        raise ServiceError(
            f"This draft is already {draft.get_status_display().lower()}.", status=409
        )
    draft.status = JobStatus.CANCELLED
    draft.error = "Cancelled by the editor."
    draft.save(update_fields=["status", "error"])
    audit.record(draft.page, "ecm_ops.draft.cancelled", user, draft=draft.pk)
    return draft
