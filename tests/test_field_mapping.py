"""Model output -> page fields: sanitised to each field's allowed rich-text features (RichTextField
and StreamField rich-text blocks), plain text for text fields, and mapping validation."""

from __future__ import annotations

import pytest

from ecm_ops.drafting.fields import apply_fields
from ecm_ops.drafting.schema import SchemaError, mapping_for, validate_output_fields
from sandbox_site.content.models import AdviceArticle, NewsArticle

# Wagtail's Page() looks up its ContentType: these tests need the database.
pytestmark = pytest.mark.django_db

NASTY = (
    '<h1>Big</h1><h2>Fine</h2><script>alert("x")</script><p onclick="steal()">Text '
    '<a href="javascript:alert(1)">bad link</a> <a href="https://example.com/a">good link</a>'
    '</p><h4>Too deep</h4><iframe src="https://evil.example"></iframe><b>bold</b>'
)


def test_rich_text_field_keeps_only_its_features():
    page = NewsArticle(title="x", slug="x")
    written = apply_fields(page, {"body": "body"}, {"body": NASTY})
    body = page.body
    assert "<script" not in body and "alert" not in body
    assert "onclick" not in body and "javascript:" not in body
    assert "<iframe" not in body
    assert "<h1" not in body and "<h4" not in body  # not in the field's features
    assert "<h2>Fine</h2>" in body and "<b>bold</b>" in body
    assert '<a href="https://example.com/a">good link</a>' in body
    assert "Big" in body and "Too deep" in body  # disallowed elements keep their text
    assert "bad link" in body
    assert "alert" not in written["body"] and "good link" in written["body"]


def test_rich_text_respects_a_narrower_feature_list():
    page = NewsArticle(title="x", slug="x")
    field = NewsArticle._meta.get_field("body")
    original = field.features
    field.features = ["bold"]
    try:
        apply_fields(page, {"body": "body"}, {"body": "<h2>Head</h2><p><i>it</i> <b>b</b></p>"})
    finally:
        field.features = original
    assert "<h2" not in page.body and "<i>" not in page.body and "<b>b</b>" in page.body


def test_streamfield_body_becomes_a_sanitised_rich_text_block():
    page = AdviceArticle(title="x", slug="x")
    written = apply_fields(page, {"body": "body"}, {"body": NASTY})
    blocks = list(page.body)
    assert len(blocks) == 1 and blocks[0].block_type == "paragraph"
    source = blocks[0].value.source
    assert "<script" not in source and "javascript:" not in source and "<h1" not in source
    assert "<h4" not in source and "onclick" not in source
    assert "<h2>Fine</h2>" in source and "good link" in source
    assert "alert" not in written["body"]


def test_plain_model_text_becomes_paragraphs_and_text_fields_become_plain():
    page = NewsArticle(title="x", slug="x")
    written = apply_fields(
        page,
        {"title": "title", "intro": "intro", "body": "body", "missing": "search_description"},
        {
            "title": "<b>A</b> title " + "x" * 300,
            "intro": "<p>Intro <script>bad()</script>text</p>",
            "body": "First & one.\n\nSecond <3",
        },
    )
    assert len(page.title) == 255 and page.title.startswith("A title")
    assert page.intro == "Intro text"
    assert page.body == "<p>First &amp; one.</p><p>Second &lt;3</p>"
    assert "search_description" not in written  # absent output: field untouched


def test_mapping_validation_names_the_field_and_page_type():
    with pytest.raises(SchemaError, match="“summary”.*has no such field"):
        validate_output_fields({"summary": "summary"}, [NewsArticle])
    with pytest.raises(SchemaError, match="may not write"):
        validate_output_fields({"title": "owner"}, [NewsArticle])
    with pytest.raises(SchemaError, match="no mapping for"):
        validate_output_fields({"content.advicearticle": {"title": "title"}}, [NewsArticle])
    ok = validate_output_fields({"title": "title", "body": "body"}, [NewsArticle, AdviceArticle])
    assert ok == {"title": "title", "body": "body"}
    assert mapping_for(ok, NewsArticle) == ok
