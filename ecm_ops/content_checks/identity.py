"""Content identity: what "the same content" means everywhere ecm_ops matches content.

Reviews, screenings, overrides and publications are matched on a *digest of the content*,
never on a revision id: Wagtail 8's autosave rewrites the latest revision in place (same pk,
new content), and a revert from history brings old content back under a new id.

The digest covers the canonical text (every screened field, in order, with field names) and
the link targets (an approved text whose link is later pointed elsewhere is new content).

AI text is recognised by *shingles*: hashed runs of :data:`SHINGLE_WORDS` normalised words.
Every text a model writes is indexed (``AIShingle``); any later text is AI text where a run of
at least :data:`MIN_RUN_SHINGLES` consecutive shingles is in the index, whoever saved it and
on whichever page. Editing one word in a sentence leaves most of the sentence's shingles intact
(the text is then "mixed"), so laundering AI text takes rewriting it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from .canonical import CanonicalText, canonical_text

SHINGLE_WORDS = 5
#: A run of this many consecutive indexed shingles (7 words) counts as AI text; shorter runs
#: are common phrases that AI and people both write (unless the run is the whole field).
MIN_RUN_SHINGLES = 3
_WORD = re.compile(r"[\w']+", re.UNICODE)


def document(obj_or_doc) -> CanonicalText:
    """A CanonicalText for a page/revision object, or the CanonicalText itself."""
    if isinstance(obj_or_doc, CanonicalText):
        return obj_or_doc
    return canonical_text(obj_or_doc)


def revision_object(revision, page=None):
    """The page as stored in ``revision``, built from its JSON without touching the database
    (``Revision.as_object`` loads the live page, its locale and comments: queries per
    revision). For batch readers: the verifier, the audit export. With ``page``, the object
    is placed where the page is now (its section decides its policy), as ``as_object`` does."""
    from django.contrib.contenttypes.models import ContentType

    model = ContentType.objects.get_for_id(revision.content_type_id).model_class()
    obj = model.from_serializable_data(revision.content, check_fks=False, strict_fks=False)
    if page is not None:
        obj.pk = obj.id = page.pk
        obj.path, obj.depth = page.path, page.depth
    return obj


def snapshot_object(page, content: dict):
    """The page object for serialisable ``content`` (a Publication's snapshot), placed where
    ``page`` is now, built without a query."""
    model = page.specific_class
    obj = model.from_serializable_data(content, check_fks=False, strict_fks=False)
    obj.pk = obj.id = page.pk
    obj.path, obj.depth = page.path, page.depth
    return obj


def content_digest(obj_or_doc) -> str:
    """SHA-256 (hex) of the canonical text with its field spans and link targets."""
    doc = document(obj_or_doc)
    payload = {
        "fields": [[s.field, doc.text[s.start : s.end]] for s in doc.spans],
        "links": [list(link) for link in doc.links],
    }
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def shingle_hash(chunk: list[str]) -> int:
    """A stable signed 64-bit hash of one shingle (fits a BigIntegerField)."""
    digest = hashlib.blake2b(" ".join(chunk).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def shingles(text: str) -> list[int]:
    """The hashes of every run of :data:`SHINGLE_WORDS` words, in order (texts shorter than
    that are one shingle)."""
    ws = words(text)
    if not ws:
        return []
    if len(ws) < SHINGLE_WORDS:
        return [shingle_hash(ws)]
    return [shingle_hash(ws[i : i + SHINGLE_WORDS]) for i in range(len(ws) - SHINGLE_WORDS + 1)]


@dataclass
class AICoverage:
    """How much of a text is AI-written, per field and overall."""

    total_words: int = 0
    ai_words: int = 0
    fields: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (ai, total)

    @property
    def share(self) -> float:
        return round(self.ai_words / self.total_words, 4) if self.total_words else 0.0

    @property
    def has_ai_text(self) -> bool:
        return self.ai_words > 0

    def field_share(self, name: str) -> float:
        ai, total = self.fields.get(name, (0, 0))
        return round(ai / total, 4) if total else 0.0


def covered_words(hashes: list[int], known: set[int], n_words: int) -> int:
    """Words covered by runs of at least :data:`MIN_RUN_SHINGLES` consecutive known shingles
    (a text shorter than one shingle is covered when its single shingle is known)."""
    if not hashes:
        return 0
    if n_words < SHINGLE_WORDS:
        return n_words if hashes[0] in known else 0
    covered = [False] * n_words
    run_start = None
    for i, h in enumerate([*hashes, None]):
        if h is not None and h in known:
            if run_start is None:
                run_start = i
            continue
        whole = run_start == 0 and i == len(hashes)  # every shingle of a short text
        if run_start is not None and (i - run_start >= MIN_RUN_SHINGLES or whole):
            for w in range(run_start, i - 1 + SHINGLE_WORDS):
                covered[w] = True
        run_start = None
    return sum(covered)


def field_shingles(doc: CanonicalText) -> dict[str, tuple[list[int], int]]:
    """``{field: (shingle hashes, word count)}`` for every field of ``doc``."""
    out = {}
    for span in doc.spans:
        text = doc.text[span.start : span.end]
        out[span.field] = (shingles(text), len(words(text)))
    return out


def coverage(doc: CanonicalText, known: set[int]) -> AICoverage:
    """AI coverage of ``doc`` given the set of known AI shingle hashes among its own."""
    result = AICoverage()
    for name, (hashes, n) in field_shingles(doc).items():
        ai = covered_words(hashes, known, n)
        result.fields[name] = (ai, n)
        result.total_words += n
        result.ai_words += ai
    return result
