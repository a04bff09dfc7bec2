"""Canonical text: fields, rich text, nested StreamField blocks, spans, links, determinism."""

from __future__ import annotations

import pytest
from django.test import override_settings
from wagtail.blocks import StreamValue

from ecm_ops.content_checks.canonical import canonical_text, html_to_text, text_field_names
from sandbox_site.content.models import AdviceArticle, NewsArticle, SectionPage

# Wagtail's Page() looks up its ContentType: these tests need the database.
pytestmark = pytest.mark.django_db


def news(**fields):
    defaults = {"title": "Bus plan", "slug": "bus-plan", "search_description": "", "intro": ""}
    return NewsArticle(**{**defaults, **fields})


def test_fields_in_order_with_spans_that_map_back_to_each_field():
    page = news(
        title="  Night buses return ",
        search_description="What changes for commuters.",
        intro="Plain intro text.",
        body="<p>First <b>bold</b> paragraph.</p><h2>Heading</h2><ul><li>one</li><li>two</li></ul>",
    )
    doc = canonical_text(page)
    assert [s.field for s in doc.spans] == ["title", "search_description", "intro", "body"]
    assert doc.field_text("title") == "Night buses return"
    assert doc.field_text("search_description") == "What changes for commuters."
    assert doc.field_text("intro") == "Plain intro text."
    assert doc.field_text("body") == "First bold paragraph.\nHeading\none\ntwo"
    for span in doc.spans:
        assert doc.text[span.start : span.end] == doc.field_text(span.field)
        assert doc.field_at(span.start) == span.field
        assert doc.field_at(span.end - 1) == span.field
    assert doc.text.count("\n\n") == 3  # fields are separated by one blank line


def test_empty_fields_get_no_span_and_whitespace_is_normalised():
    doc = canonical_text(news(intro="   ", body="<p>a\n   b\t c</p><p></p>"))
    assert [s.field for s in doc.spans] == ["title", "body"]
    assert doc.field_text("body") == "a b c"


def test_links_with_anchor_offsets():
    body = (
        '<p>See <a linktype="page" id="42">the plan</a> and '
        '<a href="https://example.org/x">our source</a>, plus '
        '<a linktype="document" id="7">the PDF</a>.</p>'
    )
    doc = canonical_text(news(body=body))
    assert [tuple(link) for link in doc.links] == [
        ("body", "page", "42"),
        ("body", "url", "https://example.org/x"),
        ("body", "document", "7"),
    ]
    anchors = [doc.text[s:e] for s, e in doc.link_spans]
    assert anchors == ["the plan", "our source", "the PDF"]
    assert html_to_text(body)[1] == [("page", "42"), ("url", "https://example.org/x"),
                                     ("document", "7")]  # fmt: skip


def test_streamfield_blocks_are_walked_with_paths():
    page = AdviceArticle(title="Sleep", slug="sleep", intro="Intro.")
    page.body = [
        ("paragraph", '<p>Rich <a linktype="page" id="3">text</a>.</p>'),
        ("callout", {"heading": "Callout heading", "text": "Callout body."}),
    ]
    doc = canonical_text(page)
    assert doc.field_text("body") == "Rich text.\nCallout heading\nCallout body."
    paths = {p.field: doc.text[p.start : p.end] for p in doc.parts}
    assert paths["body.0.paragraph"] == "Rich text."
    assert paths["body.1.callout.heading"] == "Callout heading"
    assert paths["body.1.callout.text"] == "Callout body."
    start = doc.text.index("Callout body")
    assert doc.part_at(start) == "body.1.callout.text"
    ((s, e),) = doc.link_spans
    assert doc.text[s:e] == "text" and doc.links[0] == ("body", "page", "3")


def test_nested_list_and_stream_values():
    from wagtail import blocks

    block = blocks.StreamBlock(
        [
            ("items", blocks.ListBlock(blocks.CharBlock())),
            ("inner", blocks.StreamBlock([("line", blocks.TextBlock())])),
        ]
    )
    value = StreamValue(
        block,
        [("items", ["alpha", "beta"]), ("inner", StreamValue(block.child_blocks["inner"],
                                                             [("line", "gamma")]))],
    )  # fmt: skip
    page = AdviceArticle(title="T", slug="t")
    page.body = value  # not the declared blocks, but any block value is walked
    doc = canonical_text(page)
    assert doc.field_text("body") == "alpha\nbeta\ngamma"
    assert {p.field for p in doc.parts} >= {"body.0.items.0", "body.0.items.1",
                                           "body.1.inner.0.line"}  # fmt: skip


def test_registered_fields_class_attribute_and_setting():
    assert text_field_names(NewsArticle) == ["intro", "body"]
    assert text_field_names(SectionPage) == ["intro"]  # auto-detected rich text
    with override_settings(ECM_OPS={"TEXT_FIELDS": {"content.sectionpage": []}}):
        assert text_field_names(SectionPage) == []


def test_a_registered_property_is_read():
    class WithSummary(NewsArticle):
        class Meta:
            proxy = True
            app_label = "content"

        ecm_ops_text_fields = ["summary_line"]

        @property
        def summary_line(self):
            return "Computed summary."

    page = WithSummary(title="T", slug="t")
    assert canonical_text(page).field_text("summary_line") == "Computed summary."


@pytest.mark.django_db
def test_same_revision_same_text_everywhere(demo):
    page = NewsArticle.objects.get(slug="draft-transport-plan")
    page.body = '<p>Line one with <a href="https://example.org">a link</a>.</p><p>Two.</p>'
    page.search_description = "Summary."
    revision = page.save_revision()
    a = canonical_text(revision.as_object())
    b = canonical_text(NewsArticle.objects.get(pk=page.pk).get_latest_revision_as_object())
    c = canonical_text(revision.as_object())
    assert a == b == c
    assert a.field_text("body") == "Line one with a link.\nTwo."
