"""The evidence record made with each publication (called once by the publication guard).

:func:`record_publication` runs inside the guard's transaction, under the page lock, right
after the :class:`~ecm_ops.models.Publication` row is written. It adds at most five queries,
whatever the page: the chain's last hash, the AI-text index (AI content only), the counted
approvals (review only), the screening overrides (only when the screening had blockers), and
the insert. Human-only content costs two.
"""

from __future__ import annotations

from django.utils import timezone

from ..content_checks import identity
from ..content_checks.canonical import canonical_text
from ..models import AIShingle, Approval, DisclosureRecord, ScreeningOverride
from . import chain, levels

SCHEMA = "ecm_ops.disclosure/1"


def approver_certification(approval) -> str | None:
    """The approver's certification at the moment of approval, as the approval recorded it
    (``Approval.certified_as``, written by the approve service); None when none applied (a
    superuser, or a tier no certification programme covers)."""
    return approval.certified_as or None


def _name(user) -> str:
    if user is None:
        return ""
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


def _generation(obj, verdict) -> tuple[dict, list[dict]]:
    """Per-field AI share and the drafts (model, prompt version) whose text is in ``obj``."""
    if not verdict.ai:
        return {}, []
    doc = canonical_text(obj)
    per_field = identity.field_shingles(doc)
    rows = list(
        AIShingle.objects.filter(
            hash__in={h for hashes, _n in per_field.values() for h in hashes}
        ).values_list(
            "hash",
            "draft_id",
            "draft__provider",
            "draft__model_name",
            "draft__template_version__template__slug",
            "draft__template_version__number",
        )
    )
    cov = identity.coverage(doc, {r[0] for r in rows})
    fields = {name: round(cov.field_share(name), 4) for name in cov.fields}
    drafts = {}
    for _h, draft_id, provider, model, template, version in rows:
        if draft_id is not None:
            drafts[draft_id] = {
                "draft": draft_id,
                "provider": provider,
                "model": model,
                "prompt_template": template,
                "prompt_version": version,
            }
    return fields, [drafts[k] for k in sorted(drafts)]


def _screening(page_id, verdict) -> tuple[dict | None, list[dict]]:
    run = verdict.run
    if run is None:
        return None, []
    screening = {
        "run": run.pk,
        "status": run.status,
        "score": run.score,
        "blockers": run.blocker_count,
        "warnings": run.warning_count,
        "finished_at": run.finished_at,
    }
    overrides = []
    if run.blocker_count:
        overrides = [
            {"by": _name(o.user), "user_id": o.user_id, "at": o.created_at, "reason": o.reason}
            for o in ScreeningOverride.objects.filter(
                page_id=page_id, content_digest=verdict.digest
            )
            .select_related("user")
            .order_by("created_at", "pk")
        ]
    return screening, overrides


def _approvals(verdict) -> list[Approval]:
    if verdict.basis != "review" or not verdict.approvers:
        return []
    return list(
        Approval.objects.filter(
            case_id=verdict.case_id, content_digest=verdict.digest, user_id__in=verdict.approvers
        )
        .select_related("user")
        .order_by("created_at", "pk")
    )


def record_publication(publication, verdict, obj, override=None) -> DisclosureRecord:
    """Derive and store the disclosure of ``publication`` (``verdict`` is the guard's, ``obj``
    the content that went live). Append-only: chained to the page's previous record."""
    page_id = publication.page_id
    url_path = getattr(obj, "url_path", "") or ""
    decision = levels.derive(verdict.basis, verdict.ai_share, url_path)
    fields, drafts = _generation(obj, verdict)
    screening, screening_overrides = _screening(page_id, verdict)
    approvals = _approvals(verdict)
    tier = verdict.tier
    responsible, role = None, ""
    if approvals:
        responsible, role = approvals[-1].user, "approver who completed the review quorum"
    elif override is not None and getattr(override.user, "pk", None):
        responsible, role = override.user, "published with the review override"
    evidence = {
        "schema": SCHEMA,
        "page": {"id": page_id, "title": getattr(obj, "title", ""), "url_path": url_path},
        "publication": {
            "id": publication.pk,
            "revision": publication.revision_id,
            "published_at": publication.published_at,
            "basis": publication.basis,
        },
        "content": {"digest": verdict.digest, "ai_share": verdict.ai_share, "fields": fields},
        "generation": drafts,
        "screening": screening,
        "screening_overrides": screening_overrides,
        "review": {
            "case": verdict.case_id,
            "tier": tier.label if tier else None,
            "tier_level": tier.level if tier else None,
            "policy": tier.policy_id if tier else None,
            "policy_hash": verdict.policy_hash,
            "tier_reasons": list(verdict.reasons),
            "approvals": [
                {
                    "by": _name(a.user),
                    "user_id": a.user_id,
                    "at": a.created_at,
                    "comment": a.comment,
                    "certification": approver_certification(a),
                }
                for a in approvals
            ],
        },
        "publish_override": (
            {"by": _name(override.user), "reason": override.reason} if override else None
        ),
        "responsible": (
            {"user_id": responsible.pk, "name": _name(responsible), "role": role}
            if responsible
            else None
        ),
        "decision": {
            "level": decision.level,
            "exemption": decision.exemption,
            "label_shown": decision.label_shown,
            "why": decision.why,
            "iptc_digital_source_type": decision.iptc_uri,
            "schema_org_digital_source_type": decision.schema_org,
            "table": levels.table(),
            "ai_generated_share": levels.ecm_settings()["DISCLOSURE"]["AI_GENERATED_SHARE"],
        },
        "guard": "passed: the publication guard checked the invariant for this content",
    }
    last = (
        DisclosureRecord.objects.filter(page_id=page_id)
        .order_by("-sequence")
        .values_list("sequence", "record_hash")
        .first()
    )
    record = DisclosureRecord(
        publication_id=publication.pk,
        page_id=page_id,
        sequence=(last[0] + 1) if last else 1,
        level=decision.level,
        label_shown=decision.label_shown,
        label_text=decision.label_text,
        exemption=decision.exemption,
        responsible_id=responsible.pk if responsible else None,
        responsible_name=_name(responsible),
        digital_source_type=decision.source_type,
        content_digest=verdict.digest,
        ai_share=verdict.ai_share,
        evidence=chain.jsonable(evidence),
        previous_hash=last[1] if last else "",
        created_at=publication.published_at or timezone.now(),
    )
    record.record_hash = chain.digest(chain.record_fields(record))
    record.save()
    return record
