"""Links check: internal page/document links resolve to live targets; URLs are well-formed.
No network: the check never opens a connection."""

from __future__ import annotations

import socket

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.links import LinksCheck, url_problem
from ecm_ops.content_checks.registry import CheckContext
from sandbox_site.content.models import NewsArticle


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the links check must not open connections")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def run(html):
    doc = CanonicalText.from_fields([("body", html)], html_fields=("body",))
    return [(f.check_id, f.severity, f.excerpt) for f in LinksCheck().run(doc, CheckContext())]


@pytest.mark.parametrize(
    "url",
    ["https://example.org/a?b=1#c", "http://sub.example.co.uk:8080/", "https://xn--bcher-kva.example/",
     "https://93.184.216.34/", "/relative/path", "#section", "mailto:news@example.org",
     "tel:+442079460958"],
)  # fmt: skip
def test_good_urls(url):
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "severity", "why"),
    [
        ("javascript:alert(1)", "blocker", "unsafe"),
        ("data:text/html,hi", "blocker", "unsafe"),
        ("ftp://example.org/file", "warning", "not http or https"),
        ("https://", "warning", "no host"),
        ("https://exa mple.org", "warning", "spaces"),
        ("https://example", "warning", "not valid"),
        ("https://bad_host.example.org", "warning", "not valid"),
        ("http://localhost:8000/admin", "warning", "localhost"),
        ("http://127.0.0.1/", "warning", "private or internal"),
        ("http://10.0.0.5/", "warning", "private or internal"),
        ("http://169.254.169.254/latest", "warning", "private or internal"),
        ("http://[::1]/", "warning", "private or internal"),
        ("www.example.org", "warning", "no scheme"),
        ("http://example.org:99999/", "warning", "malformed"),
    ],
)
def test_bad_urls(url, severity, why):
    found_severity, message = url_problem(url)
    assert found_severity == severity and why in message


def test_bad_href_and_bare_url_findings_point_at_their_text():
    found = run('<p>See <a href="javascript:void(0)">this</a> and http://localhost/x.</p>'
                '<p>Fine: <a href="https://example.org">ok</a> https://example.org/y</p>')  # fmt: skip
    assert found == [
        ("links.url", "blocker", "this"),
        ("links.url", "warning", "http://localhost/x"),
    ]


@pytest.mark.django_db
def test_internal_links_resolve_to_live_targets(demo):
    live = NewsArticle.objects.filter(live=True).first()
    draft = NewsArticle.objects.get(slug="draft-transport-plan")
    document = get_document_model().objects.create(
        title="Timetable", file=ContentFile(b"pdf", name="timetable.pdf")
    )
    html = (
        f'<p><a linktype="page" id="{live.pk}">live page</a>, '
        f'<a linktype="page" id="{draft.pk}">draft page</a>, '
        '<a linktype="page" id="987654">gone page</a>, '
        f'<a linktype="document" id="{document.pk}">the timetable</a>, '
        '<a linktype="document" id="987654">gone doc</a>.</p>'
    )
    assert run(html) == [
        ("links.page", "warning", "draft page"),
        ("links.page", "blocker", "gone page"),
        ("links.document", "blocker", "gone doc"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Sign the petition on http://petitions.local/lido today.",
        "The rota is on https://wiki.newsroom.internal/rota now.",
        "The statement is at https://www.example-trust.nhs.uk /news/statement and was issued.",
        "Slides: file:///C:/Users/editor/Desktop/slides.pdf for the meeting.",
    ],
)
def test_internal_names_broken_and_file_urls_in_plain_text(text):
    doc = CanonicalText.from_fields([("body", text)])
    found = [f for f in LinksCheck().run(doc, CheckContext()) if f.check_id == "links.url"]
    assert len(found) == 1, found


def test_a_url_followed_by_a_sentence_is_not_broken():
    doc = CanonicalText.from_fields([("body", "See https://www.gov.uk/tax. / Next item.")])
    assert list(LinksCheck().run(doc, CheckContext())) == []
