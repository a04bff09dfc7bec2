"""Real English prose for the benches, from text that ships on the machine running them.

The source is the long descriptions of the installed Debian packages (``/var/lib/dpkg/status``:
prose written by hundreds of people, about 40,000 words on a minimal system), or, where there is
no dpkg, Python's own help topics (``pydoc_data.topics``, shipped with every CPython). Either way
nothing is generated from templates, so the checks (and proselint, on the same text) see the
variety of real writing: long and short sentences, jargon, lists, the odd URL.

:func:`paragraphs` gives the deduplicated paragraphs in a fixed order; :func:`article` picks
paragraphs (seeded) up to a word count; :func:`describe` says which source was used.
"""

from __future__ import annotations

import html
import random
import re
from functools import lru_cache
from pathlib import Path

DPKG_STATUS = Path("/var/lib/dpkg/status")
MIN_WORDS = 12  # shorter "paragraphs" are headings or one-line notes


def _dpkg_paragraphs(text: str) -> list[str]:
    found = []
    for block in text.split("\n\n"):
        match = re.search(r"^Description: .*\n((?: .*(?:\n|$))*)", block, re.M)
        if not match:
            continue
        current: list[str] = []
        for line in match.group(1).splitlines():
            body = line[1:]
            if body.strip() == ".":  # a paragraph break in the control-file syntax
                if current:
                    found.append(" ".join(current))
                current = []
            elif body.startswith(" "):  # preformatted (lists, code): not prose
                continue
            else:
                current.append(body.strip())
        if current:
            found.append(" ".join(current))
    return found


def _pydoc_paragraphs() -> list[str]:
    from pydoc_data.topics import topics

    found = []
    for name in sorted(topics):
        for block in topics[name].split("\n\n"):
            lines = block.strip().splitlines()
            if lines and not any(line.startswith(" ") for line in lines):
                found.append(" ".join(line.strip() for line in lines))
    return found


@lru_cache(maxsize=1)
def _load() -> tuple[str, tuple[str, ...]]:
    if DPKG_STATUS.exists():
        source, raw = str(DPKG_STATUS), _dpkg_paragraphs(DPKG_STATUS.read_text(errors="replace"))
    else:
        source, raw = "pydoc_data.topics", _pydoc_paragraphs()
    seen: set[str] = set()
    kept = []
    for paragraph in raw:
        if len(paragraph.split()) >= MIN_WORDS and paragraph not in seen:
            seen.add(paragraph)
            kept.append(paragraph)
    return source, tuple(kept)


def paragraphs() -> tuple[str, ...]:
    return _load()[1]


def describe() -> str:
    source, kept = _load()
    words = sum(len(p.split()) for p in kept)
    return f"{len(kept)} paragraphs, {words:,} words of real prose from {source}"


def article(words: int, seed: int) -> list[str]:
    """Paragraphs (plain text) picked at random (``seed``) until about ``words`` words."""
    pool = list(paragraphs())
    random.Random(seed).shuffle(pool)
    picked, count = [], 0
    for paragraph in pool:
        if count >= words:
            break
        picked.append(paragraph)
        count += len(paragraph.split())
    return picked


def article_html(words: int, seed: int) -> str:
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in article(words, seed))
