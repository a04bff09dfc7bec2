"""Near-duplicates: MinHash signatures of live pages, stored on publish, one query per check."""

from __future__ import annotations

import random

import pytest

from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.duplicates import NearDuplicateCheck
from ecm_ops.content_checks.minhash import signature, similarity
from ecm_ops.content_checks.registry import CheckContext
from ecm_ops.models import PageFingerprint
from sandbox_site.content.models import NewsArticle

WORDS = ("bus train route night city council plan riders ticket fare station service "
         "timetable driver stop evening morning week year change new late early map app "
         "queue platform line depot street bridge road cycle lane walk park").split()  # fmt: skip


def prose(seed: int, n: int = 300) -> str:
    rng = random.Random(seed)
    sentences = []
    while sum(len(s.split()) for s in sentences) < n:
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def edit(text: str, every: int) -> str:
    """Change every n-th word (a light rewrite)."""
    return " ".join("altered" if i % every == 0 else w for i, w in enumerate(text.split()))


def test_signature_similarity_tracks_overlap():
    base = prose(1)
    assert similarity(signature(base), signature(base)) == 1.0
    assert similarity(signature(base), signature(edit(base, 40))) > 0.6
    assert similarity(signature(base), signature(prose(2))) < 0.2
    assert signature("too short to compare") is None


def publish(parent, slug, text):
    page = NewsArticle(title=slug.replace("-", " ").title(), slug=slug, body=f"<p>{text}</p>")
    parent.add_child(instance=page)
    page.save_revision().publish()
    return NewsArticle.objects.get(pk=page.pk)


def check(text, page=None):
    doc = CanonicalText.from_fields([("title", "New"), ("body", text)])
    return list(NearDuplicateCheck().run(doc, CheckContext(page=page)))


@pytest.mark.django_db
def test_copies_of_live_pages_are_found_and_the_page_itself_is_not(demo, django_assert_num_queries):
    original_text = prose(1)
    original = publish(demo["news"], "original-story", original_text)
    assert PageFingerprint.objects.filter(page=original).exists()

    with django_assert_num_queries(1):
        (exact,) = check(original_text)
    assert exact.check_id == "duplicates.near" and exact.severity == "blocker"
    assert "Original Story" in exact.message and f"id {original.pk}" in exact.message
    assert exact.field == "body"

    (rewritten,) = check(edit(original_text, 30))
    assert rewritten.severity == "warning"
    assert check(prose(2)) == []  # unrelated text on the same subject

    # The page's own (next) revision is not a duplicate of itself.
    assert check(original_text, page=original) == []


@pytest.mark.django_db
def test_unpublished_pages_are_not_compared(demo):
    text = prose(3)
    page = publish(demo["news"], "to-withdraw", text)
    assert check(text)
    page.unpublish()
    assert not PageFingerprint.objects.filter(page=page).exists()
    assert check(text) == []


@pytest.mark.django_db
def test_rebuild_command_fingerprints_pages_published_before_install(demo, capsys):
    from django.core.management import call_command

    page = publish(demo["news"], "older-story", prose(4))
    PageFingerprint.objects.all().delete()  # as on a site that had live pages before ecm_ops
    assert check(prose(4)) == []
    call_command("ecm_ops_rebuild_fingerprints")
    assert "live page(s)" in capsys.readouterr().out
    assert PageFingerprint.objects.filter(page=page).exists() and check(prose(4))
