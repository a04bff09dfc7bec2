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
        ("You should take 400 mg of ibuprofen.", "claims.medical", "You should take"),
        ("Take 2 tablets: 500 mg twice a day.", "claims.medical", "500 mg twice a day"),
        ("We recommend you invest your savings in shares.", "claims.financial",
         "We recommend you invest"),
        ("Returns of 12% are typical.", "claims.financial", "Returns of 12%"),
        ("You should sue the landlord.", "claims.legal", "You should sue"),
        ("You are legally entitled to a refund.", "claims.legal",
         "You are legally entitled"),
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
