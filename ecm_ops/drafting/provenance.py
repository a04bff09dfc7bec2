"""Per-field provenance: AI / human / mixed, and how much AI text survives edits."""

from __future__ import annotations

from difflib import SequenceMatcher

from django.db.models import OuterRef, QuerySet, Subquery

from ..content_checks.canonical import canonical_text
from ..models import DraftRequest, FieldProvenance
from ..states import JobStatus, Origin

AI_THRESHOLD = 0.95  # at least this much of the AI text survives unchanged: still "AI"
HUMAN_THRESHOLD = 0.2  # less than this survives: the human rewrote it


def survival(ai_text: str, current: str) -> float:
    """Share of the AI text's words that survive, in order, in the current text (0-1)."""
    ai_words, cur_words = ai_text.split(), current.split()
    if not ai_words:
        return 0.0
    matcher = SequenceMatcher(None, ai_words, cur_words, autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    return round(kept / len(ai_words), 4)


def origin_for(similarity: float) -> str:
    if similarity >= AI_THRESHOLD:
        return Origin.AI
    if similarity >= HUMAN_THRESHOLD:
        return Origin.MIXED
    return Origin.HUMAN


def record_for_draft(revision, draft: DraftRequest, written: dict[str, str]) -> None:
    """Provenance of a revision the model just wrote: every written field is AI."""
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


def carry_forward(page, revision) -> list[FieldProvenance]:
    """After a human save: compare each AI field of the last provenance-bearing revision with
    this revision's text and record what survives. Kept across revisions."""
    if FieldProvenance.objects.filter(revision=revision).exists():
        return []
    latest = (
        FieldProvenance.objects.filter(page_id=page.pk)
        .exclude(revision=revision)
        .order_by("-revision_id")
        .values_list("revision_id", flat=True)
        .first()
    )
    if latest is None:
        return []
    doc = canonical_text(revision.as_object())
    rows = []
    for prev in FieldProvenance.objects.filter(revision_id=latest).exclude(origin=Origin.HUMAN):
        current = doc.field_text(prev.field_name)
        sim = survival(prev.ai_text, current)
        rows.append(
            FieldProvenance(
                revision=revision,
                page_id=page.pk,
                field_name=prev.field_name,
                origin=origin_for(sim),
                draft_id=prev.draft_id,
                ai_text=prev.ai_text,
                words=len(current.split()),
                similarity=sim,
            )
        )
    return FieldProvenance.objects.bulk_create(rows)


def ai_share(revision) -> float | None:
    """Share (0-1) of this revision's words that are surviving AI text; None if no AI draft."""
    rows = list(FieldProvenance.objects.filter(revision=revision))
    if not rows:
        return None
    total = canonical_text(revision.as_object()).word_count or 1
    ai_words = sum(min(r.words, len(r.ai_text.split())) * r.similarity for r in rows)
    return round(min(ai_words / total, 1.0), 4)


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
