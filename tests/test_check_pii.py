"""PII check: what it must catch, what it must leave alone, and that it never keeps the value."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from ecm_ops import conf
from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.pii import PIICheck, mask, reference
from ecm_ops.content_checks.registry import CheckContext


def findings(text: str):
    doc = CanonicalText.from_fields([("body", text)])
    return doc, list(PIICheck().run(doc, CheckContext()))


def found(text: str) -> list[tuple[str, str]]:
    """(check id, the text the finding covers) — read from the page, not from the finding."""
    doc, result = findings(text)
    return [(f.check_id, doc.text[f.start : f.end]) for f in result]


@pytest.mark.parametrize(
    ("text", "check_id", "value"),
    [
        ("Write to jane.doe+news@example.co.uk today.", "pii.email", "jane.doe+news@example.co.uk"),
        ("Call +44 20 7946 0958 now.", "pii.phone", "+44 20 7946 0958"),
        ("Ring (020) 7946 0958.", "pii.phone", "(020) 7946 0958"),
        ("US office: (212) 555-0199.", "pii.phone", "(212) 555-0199"),
        ("Her mobile is 07912 345678.", "pii.phone", "07912 345678"),
        ("Berlin: +49 30 901820.", "pii.phone", "+49 30 901820"),
        ("Card: 4111 1111 1111 1111.", "pii.card", "4111 1111 1111 1111"),
        ("Card 5500-0000-0000-0004 was used.", "pii.card", "5500-0000-0000-0004"),
        ("Amex 3714 496353 98431 on file.", "pii.card", "3714 496353 98431"),
        ("Pay to GB82 WEST 1234 5698 7654 32 please.", "pii.iban", "GB82 WEST 1234 5698 7654 32"),
        ("IBAN DE89370400440532013000.", "pii.iban", "DE89370400440532013000"),
        ("Konto NL91 ABNA 0417 1643 00.", "pii.iban", "NL91 ABNA 0417 1643 00"),
        ("SSN 536-22-8174 on file.", "pii.national_id", "536-22-8174"),
        ("Social Security number 401 62 3359.", "pii.national_id", "401 62 3359"),
        ("NI number JG 10 37 59 A.", "pii.national_id", "JG 10 37 59 A"),
        ("Steuer-ID 65929970489 im Brief.", "pii.national_id", "65929970489"),
        ("Sécu : 2 84 12 76 451 089 93.", "pii.national_id", "2 84 12 76 451 089 93"),
        ("El DNI 12345678Z del titular.", "pii.national_id", "12345678Z"),
        ("NIE X1234567L del residente.", "pii.national_id", "X1234567L"),
        ("Codice fiscale RSSMRA85T10A562S.", "pii.national_id", "RSSMRA85T10A562S"),
        ("Her BSN is 111222333.", "pii.national_id", "111222333"),
        ("Server at 81.2.69.160 went down.", "pii.ip_address", "81.2.69.160"),
        ("Host 2a02:c7f:8e4f:1200::17a9:40e2 answered.", "pii.ip_address",
         "2a02:c7f:8e4f:1200::17a9:40e2"),
    ],
)  # fmt: skip
def test_hits(text, check_id, value):
    assert (check_id, value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "The council spent 1,250,000 pounds in 2023, up 12% on 2022.",
        "Card-like but invalid: 4111 1111 1111 1112.",  # fails Luhn
        "Order number 9111 1111 1111 1111 starts with no card network's digit.",
        "GB82 WEST 1234 5698 7654 33 is a typo.",  # fails mod-97
        "BE68 5390 0754 7034 fails the Belgian national check.",
        "Update to version 1.2.3.4 or v10.0.0.1 today; see release 2.4.6.8.",
        "The score was 3-2 and the meeting ran 10:30-12:00, ref 000-12-3456.",
        "Order number 12345678 shipped.",
        "Population 67,000,000 and 999-99-9999 both invalid as SSN.",
        "The sample SSN 078-05-1120 from the wallet insert is a published fake.",
        "Reference 111222333 on the parcel.",  # a valid BSN, but nothing says it is one
        "Invoice 65929970489 paid.",  # a valid Steuer-ID, but nothing says it is one
        "Use the address in the footer; no @ here at all.",
        "The router at 192.168.1.20 and the loopback 127.0.0.1 identify nobody.",
        "Open http://81.2.69.160/status to see it (the links check judges URLs).",
        "ISBN 978-0-306-40615-7 is the guide's edition.",
        "Between 1930 and 1970, 5,000 people worked there.",
    ],
)
def test_non_hits(text):
    assert found(text) == []


def test_a_card_number_is_not_also_reported_as_a_phone():
    assert [c for c, _ in found("4111 1111 1111 1111")] == ["pii.card"]


def test_findings_hold_a_masked_excerpt_and_a_keyed_reference_never_the_value():
    text = "Card 4539 1488 0343 6467, SSN 536-22-8174, mail j.whitaker84@gmail.com."
    doc, result = findings(text)
    excerpts = {f.check_id: f.excerpt for f in result}
    assert excerpts["pii.card"].startswith("•••• •••• •••• 6467 (ref ")
    assert excerpts["pii.national_id"].startswith("•••-••-8174 (ref ")
    assert excerpts["pii.email"].startswith("j•••@gmail.com (ref ")
    for f in result:
        value = doc.text[f.start : f.end]
        assert value not in f.excerpt and value not in f.message and value not in f.suggestion
        digits = "".join(ch for ch in value if ch.isdigit())
        shown = f.excerpt.split(" (ref ")[0]
        assert not digits or digits not in "".join(ch for ch in shown if ch.isdigit())


def test_the_reference_tells_equal_values_apart_from_different_ones_with_the_same_ending():
    assert reference("4539 1488 0343 6467") == reference("4539-1488-0343-6467")
    assert reference("4539 1488 0343 6467") != reference("4916 3385 0608 6467")
    assert mask("4539 1488 0343 6467") == mask("4916 3385 0608 6467")
    a = reference("536-22-8174")
    with override_settings(SECRET_KEY="another-key-entirely-for-this-test"):
        assert reference("536-22-8174") != a  # keyed: not a plain hash anyone can recompute


def test_allow_list_matches_exactly():
    text = (
        "Mail newsroom@example.com, news.room@example.com or press@ourpaper.org, "
        "a@sub.ourpaper.org, call 020 7946 0958 or 020 7946 0959."
    )
    allow = ["Newsroom@Example.com", "@ourpaper.org", "(020) 7946-0958"]
    with override_settings(ECM_OPS={"PII_ALLOWLIST": allow}):
        assert sorted(found(text)) == [
            ("pii.email", "a@sub.ourpaper.org"),
            ("pii.email", "news.room@example.com"),
            ("pii.phone", "020 7946 0959"),
        ]


def test_national_phone_formats_follow_the_configured_regions():
    text = "Ring 04 72 10 30 30 or +33 4 72 10 30 31."
    assert found(text) == [("pii.phone", "+33 4 72 10 30 31")]  # FR not configured
    with override_settings(ECM_OPS={"PII_PHONE_REGIONS": ["FR"]}):
        assert [v for _c, v in found(text)] == ["04 72 10 30 30", "+33 4 72 10 30 31"]


@pytest.mark.parametrize("regions", [["UK"], "GB", ["gb"]])
def test_unknown_phone_regions_are_refused_at_start(regions):
    with override_settings(ECM_OPS={"PII_PHONE_REGIONS": regions}):
        with pytest.raises(ImproperlyConfigured, match="PII_PHONE_REGIONS"):
            conf.get("PII_PHONE_REGIONS")
