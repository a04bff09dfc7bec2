"""Languages: checks declare what they read; a text in another language is never passed
silently, it gets one "not checked" info finding naming the checks left out."""

from __future__ import annotations

import pytest
from django.test import override_settings
from wagtail.models import Locale, Page

from ecm_ops.content_checks.artefacts import AIArtefactsCheck
from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.claims import ClaimsCheck
from ecm_ops.content_checks.links import LinksCheck
from ecm_ops.content_checks.pii import PIICheck
from ecm_ops.content_checks.registry import CheckContext, run_checks, text_language

TEXT = "As an AI, I think so. Stop taking your tablets. Mail jo.bloggs@example.net."
CHECKS = [AIArtefactsCheck(), ClaimsCheck(), PIICheck()]


def ids(findings):
    return sorted({f.check_id for f in findings})


def doc():
    return CanonicalText.from_fields([("body", TEXT)])


def test_english_text_runs_every_check_and_has_no_language_note():
    found = run_checks(doc(), CheckContext(language="en-GB"), checks=CHECKS)
    assert "language.not_checked" not in ids(found)
    assert {"ai_artefacts.self_reference", "claims.medical", "pii.email"} <= set(ids(found))


def test_a_language_no_pattern_check_reads_gets_one_info_finding_never_silence():
    found = run_checks(doc(), CheckContext(language="fr"), checks=CHECKS)
    notes = [f for f in found if f.check_id == "language.not_checked"]
    assert len(notes) == 1 and notes[0].severity == "info"
    assert "French (fr)" in notes[0].message
    assert "“AI artefacts and placeholders”" in notes[0].message
    assert "“Claims to verify”" in notes[0].message
    assert "Personal data" not in notes[0].message  # language-independent: it ran
    assert ids(found) == ["language.not_checked", "pii.email"]


def test_when_no_check_reads_the_language_the_note_is_the_only_finding():
    found = run_checks(doc(), CheckContext(language="de"), checks=[AIArtefactsCheck()])
    assert ids(found) == ["language.not_checked"]
    assert "German (de)" in found[0].message and "does not support" in found[0].message


def test_unknown_language_codes_are_named_as_they_are():
    found = run_checks(doc(), CheckContext(language="tlh"), checks=[ClaimsCheck()])
    assert "Not checked for tlh" in found[0].message


def test_a_site_can_declare_more_languages_for_a_check():
    with override_settings(ECM_OPS={"CHECK_LANGUAGES": {"claims": ["en", "fr"]}}):
        found = run_checks(doc(), CheckContext(language="fr-ca"), checks=[ClaimsCheck()])
    assert ids(found) == ["claims.medical"]


def test_language_independent_checks_declare_none():
    assert PIICheck.languages is None and LinksCheck.languages is None


@pytest.mark.django_db
def test_the_language_comes_from_the_page_locale_then_the_site_default():
    french = Locale.objects.create(language_code="fr")
    root = Page.get_first_root_node()
    page = root.add_child(instance=Page(title="Bonjour", slug="bonjour", locale=french))
    assert text_language(CheckContext(page=page)) == "fr"
    assert text_language(CheckContext(page=page, language="de")) == "de"
    with override_settings(LANGUAGE_CODE="en-gb"):
        assert text_language(CheckContext()) == "en-gb"
    found = run_checks(doc(), CheckContext(page=page), checks=CHECKS)
    assert "language.not_checked" in ids(found)


@pytest.mark.django_db
def test_a_changed_locale_is_not_read_from_a_stale_cache():
    german = Locale.objects.create(language_code="de")
    root = Page.get_first_root_node()
    page = root.add_child(instance=Page(title="Hallo", slug="hallo", locale=german))
    assert text_language(CheckContext(page=page)) == "de"
    german.language_code = "nl"
    german.save()
    assert text_language(CheckContext(page=page)) == "nl"
