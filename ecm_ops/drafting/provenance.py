"""Per-field provenance: AI / human / mixed, judged from the content itself.

Every text a model writes is indexed (:func:`index_ai_text`); a revision's provenance is
recomputed from its own text on every save (:func:`carry_forward`), so a save, a revert, an
autosave overwrite or a copy cannot erase the AI share (see ``content_checks.identity``)."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from ..content_checks import identity
from ..content_checks.canonical import canonical_text
from ..models import AIShingle, DraftRequest, FieldProvenance
from ..states import JobStatus, Origin

AI_THRESHOLD = 0.95  # at least this share of a field is AI text: "AI", else "mixed"


def record_for_draft(revision, draft: DraftRequest, written: dict[str, str]) -> None:
    """Provenance of a revision the model just wrote: every written field is AI, and its text
    joins the AI-text index (so it is recognised later wherever it turns up)."""
    index_ai_text(written.values(), draft=draft)
    FieldProvenance.objects.filter(revision=revision).delete()
    FieldProvenance.objects.bulk_create(
        FieldProvenance(
            revision=revision,
            page_id=revision.object_id,
            field_name=name,
            origin=Origin.AI,
            draft=draft,
            ai_text=text,
            words=len(text.split()),
            similarity=1.0,
        )
        for name, text in written.items()
    )


def index_ai_text(texts, draft=None) -> None:
    """Add the shingles of model-written ``texts`` to the AI-text index (idempotent)."""
    hashes = {h for text in texts for h in identity.shingles(text)}
    AIShingle.objects.bulk_create(
        [AIShingle(hash=h, draft=draft) for h in hashes], ignore_conflicts=True, batch_size=1000
    )


def known_ai_shingles(hashes) -> set[int]:
    """Which of ``hashes`` are in the AI-text index (one query)."""
    return set(indexed_at(hashes))


def indexed_at(hashes) -> dict[int, object]:
    """``{hash: when it was first indexed}`` for those of ``hashes`` in the AI-text index (one
    query): a past publication is judged against the index as it was then."""
    hashes = list(set(hashes))
    if not hashes:
        return {}
    return dict(AIShingle.objects.filter(hash__in=hashes).values_list("hash", "created_at"))


def ai_coverage(obj_or_doc) -> identity.AICoverage:
    """How much of this content (a page/revision object or a CanonicalText) is AI-written,
    judged from the text alone (one query)."""
    doc = identity.document(obj_or_doc)
    per_field = identity.field_shingles(doc)
    known = known_ai_shingles(h for hashes, _n in per_field.values() for h in hashes)
    return identity.coverage(doc, known)


def carry_forward(page_id: int, revision) -> list[FieldProvenance]:
    """(Re)compute ``revision``'s provenance from its content: each field's AI-written share
    against the AI-text index (every draft ever written, on any page), whoever saved it. Runs
    on every save, including an autosave that rewrote the revision in place. The model's
    original text per field (``ai_text``, for diffs) is carried over from earlier rows."""
    cov = ai_coverage(canonical_text(revision.as_object()))
    earlier = {
        name: (text, draft_id)
        for name, text, draft_id in FieldProvenance.objects.filter(page_id=page_id)
        .exclude(ai_text="")
        .order_by("revision_id")
        .values_list("field_name", "ai_text", "draft_id")
    }
    FieldProvenance.objects.filter(revision=revision).delete()
    if not cov.has_ai_text:
        return []
    latest_draft = (
        DraftRequest.objects.filter(page_id=page_id, status=JobStatus.SUCCEEDED)
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    rows = []
    for name, (ai, total) in cov.fields.items():
        if not ai:
            continue
        share = round(ai / total, 4) if total else 0.0
        ai_text, draft_id = earlier.get(name, ("", latest_draft))
        rows.append(
            FieldProvenance(
                revision=revision,
                page_id=page_id,
                field_name=name,
                origin=Origin.AI if share >= AI_THRESHOLD else Origin.MIXED,
                draft_id=draft_id,
                ai_text=ai_text,
                words=total,
                similarity=share,
            )
        )
    return FieldProvenance.objects.bulk_create(rows)


def ai_share(revision) -> float:
    """Share (0-1) of this revision's words that are AI-written, judged from its content."""
    return ai_coverage(revision.as_object()).share


def template_risks(page_ids) -> dict[int, int]:
    """``{page_id: risk level}`` of the template behind each page's latest successful AI
    draft (one query)."""
    out: dict[int, int] = {}
    for page_id, level in (
        DraftRequest.objects.filter(page_id__in=list(page_ids), status=JobStatus.SUCCEEDED)
        .order_by("created_at", "pk")
        .values_list("page_id", "template_version__template__risk_level")
    ):
        out[page_id] = level  # the newest wins
    return out


def template_risk_for(page) -> int | None:
    """Risk level of the template behind the page's latest successful AI draft."""
    draft = (
        DraftRequest.objects.filter(page_id=page.pk, status=JobStatus.SUCCEEDED)
        .select_related("template_version__template")
        .order_by("-created_at")
        .first()
    )
    return draft.template_version.template.risk_level if draft else None


# -- reading provenance (editor panel, dashboards, disclosure) --------------------------------

_RELATED = ("draft__requester", "draft__template_version__template")


def latest_for_pages(page_ids) -> QuerySet[FieldProvenance]:
    """The field rows of each page's most recent provenance-bearing revision, in ONE query
    (a correlated subquery), with the draft, its requester and template version joined.

    For dashboards and disclosure: ``latest_for_pages(ids).filter(origin="ai")`` etc.
    """
    newest = (
        FieldProvenance.objects.filter(page_id=OuterRef("page_id"))
        .order_by("-revision_id")
        .values("revision_id")[:1]
    )
    return (
        FieldProvenance.objects.filter(page_id__in=page_ids, revision_id=Subquery(newest))
        .select_related(*_RELATED)
        .order_by("page_id", "field_name")
    )


def for_page(page) -> list[FieldProvenance]:
    """The field rows behind the editor's provenance panel for ``page`` (one query)."""
    return list(latest_for_pages([page.pk]))
