"""What readers, machines, headless front ends and auditors are shown of a page's disclosure.

Everything reads the page's latest :class:`~ecm_ops.models.DisclosureRecord` — the disclosure
made when the live content was published — never the page's current draft, so editing a page
after publication changes nothing until the next publication. One query per page per request
(cached on the page object that the hook, the head tag and the label tag share).
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse

from ..conf import ecm_settings
from ..models import DisclosureRecord
from . import levels

_CACHE = "_ecm_ops_disclosure"


def latest(page) -> DisclosureRecord | None:
    """The disclosure of what is live on ``page`` (None: not published through ecm_ops)."""
    if page is None or not getattr(page, "pk", None):
        return None
    if not hasattr(page, _CACHE):
        record = None
        if page.live:
            record = (
                DisclosureRecord.objects.filter(page_id=page.pk)
                .select_related("publication")
                .order_by("-sequence")
                .first()
            )
        setattr(page, _CACHE, record)
    return getattr(page, _CACHE)


def explanation_url() -> str:
    url = ecm_settings()["DISCLOSURE"]["EXPLANATION_URL"]
    if url:
        return url
    try:
        return reverse("ecm_ops_public:disclosure_explained")
    except NoReverseMatch:
        return ""


def evidence_url(page) -> str:
    """The stable public URL of the page's minimal evidence ('' when not enabled)."""
    if not ecm_settings()["DISCLOSURE"]["PUBLIC_EVIDENCE"]:
        return ""
    try:
        return reverse("ecm_ops_public:disclosure_evidence", args=[page.pk])
    except NoReverseMatch:
        return ""


def machine_fields(record: DisclosureRecord) -> dict:
    """The machine-readable disclosure (the API field, the header, the JSON-LD)."""
    source = record.digital_source_type
    return {
        "level": record.level,
        "level_name": str(levels.DisclosureLevel(record.level).label),
        "label_required": record.level == levels.AI_UNREVIEWED,
        "label_shown": record.label_shown,
        "label_text": record.label_text,
        "exemption": record.exemption,
        "responsible": record.responsible_name or None,
        "ai_share": round(record.ai_share, 4),
        "iptc_digital_source_type": levels.IPTC + source if source else None,
        "schema_org_digital_source_type": levels.VOCABULARY.get(source),
        "published_at": record.created_at,
        "record_hash": record.record_hash,
    }


def json_ld(page, record: DisclosureRecord, request=None) -> dict:
    """schema.org ``CreativeWork`` with ``digitalSourceType`` for the page's head."""
    data = {
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "name": page.title,
        "dateModified": record.created_at,
    }
    url = page.get_full_url(request) if hasattr(page, "get_full_url") else None
    if url:
        data["url"] = url
    schema_org = levels.VOCABULARY.get(record.digital_source_type)
    if schema_org:
        data["digitalSourceType"] = schema_org
    if record.responsible_name and record.exemption:
        data["editor"] = {"@type": "Person", "name": record.responsible_name}
    explained = explanation_url()
    if explained:
        data["publishingPrinciples"] = (
            request.build_absolute_uri(explained) if request is not None else explained
        )
    return data


def script_json(data: dict) -> str:
    """JSON safe inside a ``<script>`` element (``<``, ``>`` and ``&`` escaped)."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def header_value(record: DisclosureRecord) -> str:
    """``AI-Disclosure`` header value, an HTTP Structured Fields dictionary (RFC 9651): the
    level and, for AI text, the IPTC term and whether a person reviewed it."""
    parts = [f"level={record.level}"]
    if record.level != levels.HUMAN:
        parts.append(f"digital-source-type={record.digital_source_type}")
        parts.append(f"reviewed=?{1 if record.exemption else 0}")
    return ", ".join(parts)


def public_minimal(record: DisclosureRecord) -> dict:
    """What the public evidence URL shows: enough to check the label, nothing personal but
    the responsible person's name (which the exemption requires to be known)."""
    ev = record.evidence
    review = ev.get("review") or {}
    return {
        "page": {"title": ev.get("page", {}).get("title"), "id": record.page_id},
        "published_at": record.created_at,
        "level": record.level,
        "level_name": str(levels.DisclosureLevel(record.level).label),
        "why": (ev.get("decision") or {}).get("why"),
        "exemption": record.exemption,
        "responsible": record.responsible_name or None,
        "ai_share": round(record.ai_share, 2),
        "review_tier": review.get("tier") if record.exemption else None,
        "approvals": len(review.get("approvals") or []),
        "content_digest": record.content_digest,
        "record_hash": record.record_hash,
        "previous_hash": record.previous_hash,
        "sequence": record.sequence,
    }


def export(record: DisclosureRecord) -> dict:
    """The full record: the admin JSON download and the audit export's ``disclosure``."""
    return {
        "sequence": record.sequence,
        "level": record.level,
        "label_shown": record.label_shown,
        "label_text": record.label_text,
        "exemption": record.exemption,
        "responsible": record.responsible_name or None,
        "digital_source_type": record.digital_source_type,
        "content_digest": record.content_digest,
        "ai_share": record.ai_share,
        "created_at": record.created_at,
        "previous_hash": record.previous_hash,
        "record_hash": record.record_hash,
        "evidence": record.evidence,
    }
