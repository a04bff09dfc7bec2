"""Readability against a target per page type, computed offline.

Formulas (Flesch 1948; Kincaid et al. 1975), over words, sentences and syllables::

    reading ease = 206.835 - 1.015 * (words / sentences) - 84.6 * (syllables / words)
    grade        = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59

Syllables come from a heuristic, not a dictionary (nothing is downloaded): count vowel
groups (``y`` counts as a vowel after the first letter), drop a silent final ``e`` (but
not ``-le`` after a consonant), a silent ``-es``/``-ed`` and a silent ``e`` before endings
such as ``-ment``/``-ly``, add one for hiatus pairs (``-ia``/``-io`` but not ``-tion``,
``-sion``, ``-cial``, ``-gion``; ``-ua``, ``-uin``, ``oe``, ``-eum``, ``eo``, ``-iet``,
``-ience``, ``-eing``/``-ying``, a final ``-ea``), and count at least one per word.
``tests/test_check_readability.py`` holds it to a list of hard words with dictionary counts
(at least 90% exact, every word within one).

Targets: ``ECM_OPS["READABILITY_TARGETS"]`` maps a page type (``"app_label.model"``) or
``"*"`` to ``{"max_grade": 10, "min_ease": 50}``. Each prose field of 100 words or more
(title and search description excluded) whose grade is above ``max_grade`` or whose ease is
below ``min_ease`` gets a ``readability.grade`` warning covering the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import conf
from ..states import Severity
from .registry import BaseCheck

MIN_WORDS = 100
WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n")
VOWEL_GROUP = re.compile(r"[aeiouy]+")
HIATUS = re.compile(r"[^aeioutscg]i[aou]")
# Two vowels spoken as two syllables, one more each: ac-tu-al, ru-in, po-em, mu-se-um,
# vi-de-o, di-et, sci-ence, be-ing, ly-ing. (``qu``/``gu`` are consonants: qua-li-ty.)
MORE_HIATUS = re.compile(
    r"(?<![qg])ua|(?<![qg])uin|oe(?=[a-rt-z])|eum\b|(?<!p)eo(?!u|n\b|rg)|iet"
    r"|(?<!t)(?<!(?<!s)c)ien(?=ce\b|t\b)|[eouy]ing\b"
)
# A silent ``e`` closing the stem before these endings (state-ment, like-ly, safe-ty, there-fore).
E_SUFFIXES = ("ments", "ment", "ly", "ty", "ful", "ness", "less", "fore", "sale")
SKIP_FIELDS = {"title", "search_description"}


@lru_cache(maxsize=20000)
def syllables(word: str) -> int:
    w = word.lower().replace("’", "'").split("'")[0]
    if not w:
        return 1
    if len(w) <= 3:
        return 1
    for suffix in E_SUFFIXES:
        stem = w[: -len(suffix)]
        if (
            w.endswith(suffix)
            and len(stem) >= (4 if suffix.startswith("ment") else 3)  # not el-e-ment
            and stem[-1] == "e"
            and stem[-2] not in "aeiouy"
            and not (stem[-2] == "l" and stem[-3] not in "aeiouy")  # not sim-ple-ness
        ):
            return syllables(stem) + syllables(suffix)
    groups = len(VOWEL_GROUP.findall(w[0].replace("y", "") + w[1:]))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    elif w.endswith("le") and len(w) > 2 and w[-3] in "aeiouy" and groups > 1:
        groups -= 1
    spoken_ending = (
        w[-3] in "tdie"  # wan-ted, car-ried, a-greed
        if w.endswith("ed")
        else w[-3] in "sxzgci" or w.endswith(("ches", "shes"))  # box-es, stud-ies, wish-es
    )
    if w.endswith(("es", "ed")) and len(w) > 3 and not spoken_ending and groups > 1:
        groups -= 1
    if groups > 1 and re.search(r"[^aeiou]eas?$", w):  # i-de-a, a-re-as
        groups += 1
    groups += len(HIATUS.findall(w)) + len(MORE_HIATUS.findall(w))
    return max(1, groups)


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int

    @property
    def ease(self) -> float:
        if not self.words:
            return 100.0
        return round(
            206.835 - 1.015 * self.words / self.sentences - 84.6 * self.syllables / self.words, 1
        )

    @property
    def grade(self) -> float:
        if not self.words:
            return 0.0
        return round(
            0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59, 1
        )


def measure(text: str) -> Readability:
    words = WORD.findall(text)
    sentences = sum(1 for part in SENTENCE_END.split(text) if WORD.search(part))
    return Readability(
        words=len(words), sentences=max(1, sentences), syllables=sum(syllables(w) for w in words)
    )


def target_for(page_type: str) -> dict:
    targets = conf.get("READABILITY_TARGETS")
    return targets.get(page_type) or targets.get("*") or {}


class ReadabilityCheck(BaseCheck):
    check_id = "readability"
    label = "Readability"
    languages = ("en",)  # Flesch formulas are for English; others get a "not checked" note

    def run(self, doc, context):
        target = target_for(context.page_type)
        max_grade, min_ease = target.get("max_grade"), target.get("min_ease")
        if max_grade is None and min_ease is None:
            return
        for span in doc.spans:
            if span.field in SKIP_FIELDS:
                continue
            result = measure(doc.text[span.start : span.end])
            if result.words < MIN_WORDS:
                continue
            problems = []
            if max_grade is not None and result.grade > float(max_grade):
                problems.append(f"grade level {result.grade:g} (target: {max_grade} or lower)")
            if min_ease is not None and result.ease < float(min_ease):
                problems.append(f"reading ease {result.ease:g} (target: {min_ease} or higher)")
            if problems:
                yield self.finding(
                    doc,
                    Severity.WARNING,
                    span.start,
                    span.end,
                    f"“{span.field}” is harder to read than this page type's target: "
                    + "; ".join(problems)
                    + ".",
                    suggestion="Use shorter sentences and plainer words.",
                    check_id="readability.grade",
                )
