"""Readability: the offline formulas, the syllable heuristic and per-page-type targets."""

from __future__ import annotations

import pytest
from django.test import override_settings

from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.readability import ReadabilityCheck, measure, syllables
from ecm_ops.content_checks.registry import CheckContext

EASY = "The cat sat on the mat. The dog ran to the park. We had fun in the sun. " * 10
HARD = (
    "Notwithstanding considerable institutional uncertainty, the administration's "
    "comprehensive infrastructural modernisation programme necessitates extraordinarily "
    "sophisticated intergovernmental coordination, particularly regarding environmental "
    "sustainability considerations and socioeconomic implications. "
) * 6


@pytest.mark.parametrize(
    ("word", "count"),
    [("cat", 1), ("table", 2), ("whale", 1), ("make", 1), ("makes", 1), ("wanted", 2),
     ("jumped", 1), ("played", 1), ("boxes", 2), ("radio", 3), ("nation", 2), ("social", 2),
     ("yellow", 2), ("university", 5), ("beautiful", 3), ("piano", 3), ("a", 1)],
)  # fmt: skip
def test_syllable_heuristic(word, count):
    assert syllables(word) == count


def test_formulas():
    easy = measure(EASY)
    assert easy.words == 180 and easy.sentences == 30 and easy.syllables == 180
    assert easy.ease == round(206.835 - 1.015 * 6 - 84.6 * 1, 1) == 116.1
    assert easy.grade == round(0.39 * 6 + 11.8 * 1 - 15.59, 1)
    hard = measure(HARD)
    assert hard.grade > 18 and hard.ease < 0


def check(text, page_type="content.newsarticle"):
    doc = CanonicalText.from_fields([("title", "T"), ("body", text)])
    return list(ReadabilityCheck().run(doc, CheckContext(page_type=page_type)))


def test_hard_text_misses_the_target_easy_text_meets_it():
    with override_settings(ECM_OPS={"READABILITY_TARGETS": {"content.newsarticle":
                                                            {"max_grade": 10}}}):  # fmt: skip
        (finding,) = check(HARD)
        assert finding.check_id == "readability.grade" and finding.severity == "warning"
        assert finding.field == "body" and "target: 10 or lower" in finding.message
        assert check(EASY) == []
        assert check(HARD, page_type="content.advicearticle") == []  # no target for it


def test_default_target_and_min_ease():
    assert check(HARD, page_type="anything.else")  # "*": max_grade 12
    with override_settings(ECM_OPS={"READABILITY_TARGETS": {"*": {"min_ease": 120}}}):
        (finding,) = check(EASY)
        assert "reading ease 116.1" in finding.message


def test_short_fields_are_not_judged():
    assert check("Notwithstanding considerable institutional uncertainty.") == []
