"""Claims check: statistics, money, dates, quotes, unsourced attributions, absolutes, advice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.claims import ClaimsCheck
from ecm_ops.content_checks.registry import CheckContext


def run(text, policy=None, html=False):
    doc = CanonicalText.from_fields([("body", text)], html_fields=("body",) if html else ())
    return [(f.check_id, f.severity, f.excerpt) for f in
            ClaimsCheck().run(doc, CheckContext(policy=policy))]  # fmt: skip


def ids(text, **kw):
    return {c for c, _s, _e in run(text, **kw)}


@pytest.mark.parametrize(
    ("text", "check_id", "excerpt"),
    [
        ("Turnout rose to 64.5% this year.", "claims.statistic", "64.5%"),
        ("Three in ten riders use the night bus.", "claims.statistic", "Three in ten"),
        ("The scheme costs £3.2 million.", "claims.money", "£3.2 million"),
        ("It raised 40,000 euros.", "claims.money", "40,000 euros"),
        ("The bridge opened on 3 March 2024.", "claims.date", "on 3 March 2024"),
        ("It closed March 3, 2021 for repairs.", "claims.date", "March 3, 2021"),
        ('She said “we will finish the line by spring” at the launch.', "claims.quotation",
         "“we will finish the line by spring”"),
        ("This diet cures headaches.", "claims.absolute", "cures"),
        ("A risk-free, guaranteed plan.", "claims.absolute", "risk-free"),
        ("It is the best cafe in town.", "claims.absolute", "the best"),
        ("You should take 400 mg of ibuprofen.", "claims.medical", "take 400 mg"),
        ("Take 2 tablets: 500 mg twice a day.", "claims.medical", "Take 2 tablets: 500 mg"),
        ("On hot days halve your dose of diuretics.", "claims.medical",
         "halve your dose"),
        ("If it bothers you, stop taking your statins.", "claims.medical",
         "stop taking your statins"),
        ("There is no need to finish the course of antibiotics.", "claims.medical",
         "finish the course of antibiotics"),
        ("Patients on warfarin should stop taking it before surgery.", "claims.medical",
         "stop taking it"),
        ("We recommend you invest your savings in shares.", "claims.financial",
         "invest your savings"),
        ("Cancel your direct debits to the supplier.", "claims.financial",
         "Cancel your direct debits"),
        ("The plan offers guaranteed returns of 12% a year.", "claims.financial",
         "guaranteed returns"),
        ("This fund cannot lose money.", "claims.financial", "cannot lose money"),
        ("You should sue the landlord.", "claims.legal", "sue the landlord"),
        ("If the boiler is broken, stop paying rent.", "claims.legal", "stop paying rent"),
        ("Ignore the court summons.", "claims.legal", "Ignore the court"),
        ("You are legally entitled to a refund.", "claims.legal",
         "You are legally entitled"),
        ("You don't need to tell your insurer.", "claims.legal",
         "don't need to tell your insurer"),
        ("Scientists have found that the river is cleaner.", "claims.unsourced",
         "Scientists have found"),
        ("It is widely believed the castle is Roman.", "claims.unsourced",
         "It is widely believed"),
        ("The course is guaranteed to get you a job.", "claims.absolute", "guaranteed"),
        ("It is the fastest broadband in Europe.", "claims.absolute", "the fastest"),
        ("Studies show that walking helps.", "claims.unsourced", "Studies show"),
        ("Experts say the plan will work.", "claims.unsourced", "Experts say"),
    ],
)  # fmt: skip
def test_hits(text, check_id, excerpt):
    assert any(c == check_id and e == excerpt for c, _s, e in run(text)), run(text)


@pytest.mark.parametrize(
    "text",
    [
        "The new timetable starts next week and adds buses to three routes.",
        "Riders can ask the driver for help at any stop.",
        'The sign says "Exit" in green.',  # short quotes are not quotations to verify
        "We tested the better of the two designs.",
        "Talk to your doctor about your options.",
        "Page 12 has the map; route 7 runs every hour.",
        "Patients who had missed a dose should call the pharmacy, the trust said.",
        "Rents rose by a fifth and several tenants told us they had fallen behind.",
        "The court heard that the company had broken its contract with suppliers.",
        "The best-known stretch of the walk runs along the cliffs.",
        "Councillors said they would do their best but could not guarantee it.",
        "The bank said it would keep its savings rates under review.",
        "Speak to your GP before changing any medication.",
    ],
)
def test_non_hits(text):
    assert run(text) == []


def test_a_source_nearby_clears_an_attribution():
    linked = '<p>Studies show walking helps (<a href="https://example.org/study">study</a>).</p>'
    assert "claims.unsourced" not in ids(linked, html=True)
    assert "claims.unsourced" not in ids("Research suggests it works [1].")
    assert "claims.unsourced" not in ids("Experts say so (Smith, 2021).")


def test_a_named_source_without_link_is_only_info():
    ((check, severity, _),) = [r for r in run("According to the Office for National Statistics, "
                                              "it fell.") if r[0] == "claims.unsourced"]  # fmt: skip
    assert severity == "info"
    assert ("claims.unsourced", "warning", "according to") in run("It fell, according to some.")


def test_suggestions_match_the_kind_of_claim():
    found = {f.check_id: f.suggestion for f in ClaimsCheck().run(
        CanonicalText.from_fields([("body", "It is the best cafe. Experts say so. "
                                            "Stop taking your tablets.")]),
        CheckContext())}  # fmt: skip
    assert "Soften it" in found["claims.absolute"]
    assert "cite the source" in found["claims.unsourced"].lower()
    assert "qualified reviewer" in found["claims.medical"]
    assert len(set(found.values())) == 3


def test_an_absolute_inside_financial_advice_is_one_finding():
    assert ids("The plan offers guaranteed returns of 12% a year.") >= {"claims.financial"}
    assert "claims.absolute" not in ids("The plan offers guaranteed returns of 12% a year.")


def test_strict_policy_raises_advice_to_blocker():
    text = "You should take 400 mg of ibuprofen. You should sue them."
    lenient = {(c, s) for c, s, _ in run(text)}
    assert ("claims.medical", "warning") in lenient and ("claims.legal", "warning") in lenient
    strict = SimpleNamespace(strict_advice_checks=["claims.medical"])
    severities = {(c, s) for c, s, _ in run(text, policy=strict)}
    assert ("claims.medical", "blocker") in severities
    assert ("claims.legal", "warning") in severities  # not listed: unchanged
    everything = SimpleNamespace(strict_advice_checks=["claims"])
    assert {s for c, s, _ in run(text, policy=everything)} == {"blocker"}
