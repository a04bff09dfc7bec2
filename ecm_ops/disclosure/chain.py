"""The hash chain over a page's disclosure records: tampering with a record is evident.

Each record's hash is the SHA-256 of its canonical JSON (sorted keys, no whitespace), which
includes the previous record's hash. :func:`problems` re-derives every hash of the given pages
(a constant number of queries) and reports edited, removed, re-ordered or missing records.
"""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder

from ..models import DisclosureRecord, Publication

#: The record's fields the hash covers (everything but its own hash and id).
HASHED = (
    "publication_id",
    "page_id",
    "sequence",
    "level",
    "label_shown",
    "label_text",
    "exemption",
    "responsible_id",
    "responsible_name",
    "digital_source_type",
    "content_digest",
    "ai_share",
    "evidence",
    "previous_hash",
    "created_at",
)


def jsonable(value):
    """``value`` as plain JSON types (what a JSONField gives back), so what is stored is
    exactly what was hashed."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def digest(fields: dict) -> str:
    body = json.dumps(
        jsonable({k: fields[k] for k in HASHED}),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record_fields(record: DisclosureRecord) -> dict:
    return {k: getattr(record, k) for k in HASHED}


def problems(page_ids) -> list[tuple[int, int | None, object, str]]:
    """``[(page_id, publication_id, when, what is wrong)]`` for the disclosure chains of
    ``page_ids`` (two queries)."""
    page_ids = set(page_ids)
    out: list[tuple[int, int | None, object, str]] = []
    chains: dict[int, list[DisclosureRecord]] = {}
    for rec in DisclosureRecord.objects.filter(page_id__in=page_ids).order_by(
        "page_id", "sequence"
    ):
        chains.setdefault(rec.page_id, []).append(rec)
    pubs: dict[int, list[tuple[int, str, object]]] = {}
    for pk, page_id, content_digest, at in (
        Publication.objects.filter(page_id__in=chains)
        .order_by("published_at", "pk")
        .values_list("pk", "page_id", "content_digest", "published_at")
    ):
        pubs.setdefault(page_id, []).append((pk, content_digest, at))
    for page_id, records in chains.items():
        previous = ""
        for expected, rec in enumerate(records, start=1):
            where = f"disclosure record {rec.sequence} of this page"
            if rec.sequence != expected:
                out.append(
                    (
                        page_id,
                        rec.publication_id,
                        rec.created_at,
                        f"{where} is out of sequence "
                        f"(expected {expected}): a record was removed or re-ordered.",
                    )
                )
            if rec.previous_hash != previous:
                out.append(
                    (
                        page_id,
                        rec.publication_id,
                        rec.created_at,
                        f"{where} does not link to the record "
                        "before it: a record was removed, replaced or re-ordered.",
                    )
                )
            if digest(record_fields(rec)) != rec.record_hash:
                out.append(
                    (
                        page_id,
                        rec.publication_id,
                        rec.created_at,
                        f"{where} was changed after it was "
                        "made: its content no longer matches its hash.",
                    )
                )
            previous = rec.record_hash
        by_pub = {r.publication_id: r for r in records}
        # Publications before the page's first record predate ecm_ops's disclosure; when the
        # first record itself is gone, every publication without a record is reported.
        first = records[0].created_at if records[0].sequence == 1 else None
        for pk, content_digest, at in pubs.get(page_id, ()):
            rec = by_pub.get(pk)
            if rec is None:
                if first is None or at >= first:
                    out.append((page_id, pk, at, "This publication has no disclosure record."))
            elif rec.content_digest != content_digest:
                out.append(
                    (
                        page_id,
                        pk,
                        at,
                        "The disclosure record is about other content than "
                        "the publication it belongs to.",
                    )
                )
    return out
