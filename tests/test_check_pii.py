"""PII check: what it must catch and what it must leave alone."""

from __future__ import annotations

import pytest
from django.test import override_settings

from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.pii import PIICheck, iban_ok, luhn_ok
from ecm_ops.content_checks.registry import CheckContext


def found(text: str) -> list[tuple[str, str]]:
    doc = CanonicalText.from_fields([("body", text)])
    return [(f.check_id, f.excerpt) for f in PIICheck().run(doc, CheckContext())]


@pytest.mark.parametrize(
    ("text", "check_id", "excerpt"),
    [
        ("Write to jane.doe+news@example.co.uk today.", "pii.email", "jane.doe+news@example.co.uk"),
        ("Call +44 20 7946 0958 now.", "pii.phone", "+44 20 7946 0958"),
        ("Ring (020) 7946 0958.", "pii.phone", "(020) 7946 0958"),
        ("US office: (212) 555-0199.", "pii.phone", "(212) 555-0199"),
        ("Card: 4111 1111 1111 1111.", "pii.card", "4111 1111 1111 1111"),
        ("Card 5500-0000-0000-0004 was used.", "pii.card", "5500-0000-0000-0004"),
        ("Pay to GB82 WEST 1234 5698 7654 32 please.", "pii.iban", "GB82 WEST 1234 5698 7654 32"),
        ("IBAN DE89370400440532013000.", "pii.iban", "DE89370400440532013000"),
        ("SSN 123-45-6789 on file.", "pii.national_id", "123-45-6789"),
        ("NI number JG 10 37 59 A.", "pii.national_id", "JG 10 37 59 A"),
        ("Server at 203.0.113.9 went down.", "pii.ip_address", "203.0.113.9"),
        ("Host 2001:db8::8a2e:370:7334 answered.", "pii.ip_address", "2001:db8::8a2e:370:7334"),
    ],
)
def test_hits(text, check_id, excerpt):
    assert (check_id, excerpt) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "The council spent 1,250,000 pounds in 2023, up 12% on 2022.",
        "Card-like but invalid: 4111 1111 1111 1112.",  # fails Luhn
        "GB82 WEST 1234 5698 7654 33 is a typo.",  # fails mod-97
        "Update to version 1.2.3.4 or v10.0.0.1 today; see release 2.4.6.8.",
        "The score was 3-2 and the meeting ran 10:30-12:00, ref 000-12-3456.",
        "Order number 12345678 shipped.",
        "Population 67,000,000 and 999-99-9999 both invalid as SSN.",
        "Use the address in the footer; no @ here at all.",
    ],
)
def test_non_hits(text):
    assert found(text) == []


def test_a_card_number_is_not_also_reported_as_a_phone():
    assert [c for c, _ in found("4111 1111 1111 1111")] == ["pii.card"]


def test_allow_list_exact_and_domain():
    text = "Mail newsroom@example.com or press@ourpaper.org, call 020 7946 0958, or bob@evil.test."
    with override_settings(
        ECM_OPS={"PII_ALLOWLIST": ["Newsroom@Example.com", "@ourpaper.org", "02079460958"]}
    ):
        assert found(text) == [("pii.email", "bob@evil.test")]


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")
