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


# Hard words and their syllable counts in the CMU Pronouncing Dictionary (first pronunciation).
HARD_WORDS = {
    "queue": 1, "business": 2, "area": 3, "idea": 3, "ideas": 3, "create": 2, "created": 3,
    "poem": 2, "poetry": 3, "science": 2, "being": 2, "seeing": 2, "going": 2, "lying": 2,
    "continuing": 4, "people": 2, "little": 2, "rhythm": 2, "cooperate": 4, "knowledge": 2,
    "through": 1, "tried": 1, "hoped": 1, "realize": 3, "museum": 3, "video": 3,
    "geography": 4, "theory": 3, "hyperbole": 4, "apostrophe": 4, "catastrophe": 4,
    "recipe": 3, "simile": 3, "quiet": 2, "diet": 2, "society": 4, "anxiety": 4, "variety": 4,
    "ruin": 2, "genuine": 3, "naive": 2, "reuse": 2, "preexisting": 4, "wednesday": 2,
    "beautiful": 3, "university": 5, "radio": 3, "piano": 3, "communication": 5,
    "environmental": 5, "infrastructure": 4, "sophisticated": 5, "intergovernmental": 6,
    "particularly": 5, "considerations": 5, "extraordinarily": 6, "organisation": 5,
    "opportunities": 5, "responsibility": 6, "evaluation": 5, "individual": 5,
    "unfortunately": 5, "immediately": 5, "approximately": 5, "actually": 4, "usually": 4,
    "annual": 3, "casual": 3, "especially": 4, "experience": 4, "material": 4, "period": 3,
    "serious": 3, "curious": 3, "obvious": 3, "previous": 3, "various": 3, "neighbourhood": 3,
    "therefore": 2, "whereas": 2, "someone": 2, "livelihood": 3, "likely": 2, "lonely": 2,
    "loneliness": 3, "statement": 2, "management": 3, "movement": 2, "safety": 2,
    "wholesale": 2, "useful": 2, "careful": 2, "hopeless": 2, "carried": 2, "studies": 2,
    "client": 2, "patient": 2, "ancient": 2, "quality": 3, "language": 2, "guard": 1,
    "surgeon": 2, "pigeon": 2, "shoes": 1, "does": 1, "fruit": 1, "suit": 1, "friend": 1,
    "field": 1, "believe": 2, "piece": 1, "ocean": 2, "social": 2, "special": 2, "region": 2,
    "vision": 2, "nation": 2, "nutrition": 3, "great": 1, "treat": 1, "reach": 1, "bread": 1,
    "seas": 1, "pleased": 1, "used": 1, "surprised": 2, "agreed": 2, "freedom": 2,
    "needed": 2, "decided": 3, "wanted": 2, "jumped": 1, "boxes": 2, "wishes": 2,
    "element": 3, "simple": 2, "table": 2, "whale": 1, "makes": 1, "yellow": 2,
    "medicine": 3, "vegetable": 4, "comfortable": 4, "interesting": 4, "family": 3,
    "different": 3, "several": 3, "evening": 2, "average": 3, "camera": 3, "general": 3,
    "temperature": 4, "restaurant": 3, "separate": 3, "desperate": 3, "favourite": 3,
    "memory": 3, "history": 3, "library": 3, "february": 4, "probably": 3, "government": 3,
    "parliament": 3, "committee": 3, "employee": 3, "guarantee": 3, "coffee": 2, "forever": 3,
}  # fmt: skip


def test_syllable_heuristic_on_hard_words():
    """The words heuristics get wrong (hiatus, silent e inside a word, -ed/-es, loanwords):
    at least 85% exactly right and none off by more than one, so the grades stay close to
    a dictionary's. (The heuristic before this list got 95 of 168 right: 57%.)"""
    got = {word: syllables(word) for word in HARD_WORDS}
    wrong = {w: (got[w], n) for w, n in HARD_WORDS.items() if got[w] != n}
    far = {w: pair for w, pair in wrong.items() if abs(pair[0] - pair[1]) > 1}
    assert not far, far
    assert len(wrong) <= 0.15 * len(HARD_WORDS), sorted(wrong.items())


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
