"""Fast case-insensitive matching for the built-in checks.

Python's ``re`` scans a case-insensitive pattern that starts with ``\\b`` position by position;
the same pattern without ``re.I`` and without the leading ``\\b``, run on the lowercased text,
lets the engine skip ahead to the possible first characters, several times faster. So a
pattern written in lower case (no upper-case letters, so no ``\\S``/``\\W``/``\\B`` either)
whose top-level alternatives all start with ``\\b`` is run that way, and the word boundary at
the start is checked in code. Anything else, or a text whose lower-case form has a different
length (rare Unicode), falls back to ``re.I`` on the original text. Offsets always refer to
the original text. (A fast match rejected for its boundary still consumes its characters, so
a second match starting inside it is not found: only possible with contrived patterns.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache


def split_top_level(pattern: str) -> list[str]:
    """Split a regex at its top-level ``|`` (not inside groups or character classes)."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


@lru_cache(maxsize=512)
def compiled(pattern: str) -> tuple[re.Pattern, re.Pattern | None]:
    """(fallback with re.I, fast pattern for lowercased text or None)."""
    slow = re.compile(pattern, re.I)
    if pattern != pattern.lower():
        return slow, None
    alternatives = split_top_level(pattern)
    if not all(a.startswith(r"\b") for a in alternatives):
        return slow, None
    fast = re.compile("(?:" + "|".join(a[2:] for a in alternatives) + ")")
    return slow, fast


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def finditer_ci(pattern: str, text: str, lowered: str | None = None) -> Iterator[re.Match]:
    """Case-insensitive ``finditer`` of ``pattern`` over ``text`` (see the module docstring).
    The matches' ``start()``/``end()`` are offsets into ``text``; use ``text[m.start():m.end()]``
    for the matched words (``m.group()`` may be lower-cased)."""
    slow, fast = compiled(pattern)
    lowered = text.lower() if lowered is None else lowered
    if fast is None or len(lowered) != len(text):
        yield from slow.finditer(text)
        return
    for match in fast.finditer(lowered):
        start = match.start()
        before = start > 0 and _word(lowered[start - 1])
        after = start < len(lowered) and _word(lowered[start])
        if before != after:  # the \b the fast pattern left out
            yield match
