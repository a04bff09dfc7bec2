"""Word-level diffs of canonical text, field by field (the case screen's "what changed").

Texts are split into words and the whitespace between them, so a diff keeps the text's own
spacing; a replaced word is a deletion followed by an insertion. Pure functions, no ORM.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from .canonical import CanonicalText

_TOKEN = re.compile(r"\s+|[^\s]+")

EQUAL, INSERT, DELETE = "equal", "insert", "delete"


@dataclass
class FieldDiff:
    name: str
    label: str
    #: ``[(op, text)]`` with op ``"equal"``, ``"insert"`` or ``"delete"``.
    segments: list[tuple[str, str]]
    inserted: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.deleted)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``[(op, text)]`` turning ``old`` into ``new``, word by word."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append((EQUAL, "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append((DELETE, "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append((INSERT, "".join(b[j1:j2])))
    return out


def field_texts(doc: CanonicalText) -> dict[str, str]:
    """``{field: text}`` in the document's field order."""
    return {span.field: doc.text[span.start : span.end] for span in doc.spans}


def field_diffs(
    old: dict[str, str] | None, new: dict[str, str], label: Callable[[str], str] = str
) -> list[FieldDiff]:
    """One diff per field of ``new`` (then fields only ``old`` has), against ``old`` (None or
    a missing field: everything is inserted)."""
    old = old or {}
    out = []
    for name in [*new, *(n for n in old if n not in new)]:
        segments = word_diff(old.get(name, ""), new.get(name, ""))
        out.append(
            FieldDiff(
                name,
                label(name),
                segments,
                inserted=sum(len(t.split()) for op, t in segments if op == INSERT),
                deleted=sum(len(t.split()) for op, t in segments if op == DELETE),
            )
        )
    return out
