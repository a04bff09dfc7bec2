"""AI disclosure for readers, machines and auditors: the template tags on the sandbox's pages,
the JSON-LD, the response header, the API field, the admin evidence screen and the public
pages; the settings that refuse to label less than the law."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.urls import reverse
from wagtail.models import PageViewRestriction

from ecm_ops.conf import ecm_settings
from ecm_ops.models import DisclosureRecord

from .disclosure_support import publish_ai_approved, publish_human, publish_overridden
from .review_support import make_user, pinned_checks  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture(autouse=True)
def header_on(settings):
    """As in the sandbox's own settings: the AI-Disclosure header is on."""
    settings.ECM_OPS = {**settings.ECM_OPS, "DISCLOSURE": {"RESPONSE_HEADER": True}}


def _json_ld(html: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found, html[:800]
    return json.loads(found.group(1))


def test_an_unreviewed_page_shows_the_label_and_json_ld(demo, client, capture):
    page = publish_overridden(demo, client, capture)
    client.logout()
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="note"' in html and 'aria-label="AI disclosure"' in html
    assert "AI-generated, not reviewed." in html
    assert "This text was not reviewed by a person." in html
    assert f'href="{reverse("ecm_ops_public:disclosure_explained")}"' in html
    assert '<meta name="ai-disclosure" content="ai_unreviewed">' in html
    assert (
        '<meta name="digital-source-type" '
        'content="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia">'
    ) in html
    data = _json_ld(html)
    assert data["@type"] == "CreativeWork" and data["name"] == page.title
    assert data["digitalSourceType"] == "https://schema.org/TrainedAlgorithmicMediaDigitalSource"
    assert "editor" not in data  # nobody reviewed it: no editorial responsibility claimed
    # The header is on in the sandbox settings (RESPONSE_HEADER) and names the level.
    assert response["AI-Disclosure"] == (
        "level=ai_unreviewed, digital-source-type=trainedAlgorithmicMedia, reviewed=?0"
    )


def test_a_reviewed_page_names_the_responsible_editor(demo, client, capture):
    page, _case = publish_ai_approved(demo, capture)
    html = client.get(page.url).content.decode()
    assert "AI-generated, human-reviewed." in html
    assert "Editorial responsibility: Senior." in html
    data = _json_ld(html)
    assert data["editor"] == {"@type": "Person", "name": "Senior"}
    assert data["publishingPrinciples"].endswith(reverse("ecm_ops_public:disclosure_explained"))


def test_a_human_page_has_no_label_but_is_marked_for_machines(demo, client, settings):
    page = publish_human(demo)
    response = client.get(page.url)
    html = response.content.decode()
    assert "ecm-disclosure" not in html.split("</head>")[1]
    assert '<meta name="ai-disclosure" content="human">' in html
    assert "digitalSourceType" not in _json_ld(html)
    assert response["AI-Disclosure"] == "level=human"
    settings.ECM_OPS = {**settings.ECM_OPS, "DISCLOSURE": {"RESPONSE_HEADER": False}}
    assert "AI-Disclosure" not in client.get(page.url)


def test_the_eu_icon_style_and_always(demo, capture, settings):
    page, _case = publish_ai_approved(demo, capture)
    eu = Template("{% load ecm_ops_disclosure %}{% ecm_ops_disclosure page style='eu_icon' %}")
    html = eu.render(Context({"page": page}))
    assert 'class="ecm-disclosure__icon" aria-hidden="true">AI</span>' in html
    settings.ECM_OPS = {**settings.ECM_OPS, "DISCLOSURE": {"STYLE": "eu_icon"}}
    page = type(page).objects.get(pk=page.pk)
    plain = Template("{% load ecm_ops_disclosure %}{% ecm_ops_disclosure page %}")
    assert "ecm-disclosure__icon" in plain.render(Context({"page": page}))
    human = publish_human(demo)
    assert "ecm-disclosure" not in plain.render(Context({"page": human}))
    forced = Template("{% load ecm_ops_disclosure %}{% ecm_ops_disclosure page always=True %}")
    assert "Human-written." in forced.render(Context({"page": human}))


def test_a_title_cannot_break_out_of_the_json_ld(demo, client):
    page = publish_human(demo, slug="hostile")
    page.title = "</script><script>alert(1)</script>"
    page.save_revision(user=demo["users"]["senior"]).publish(user=demo["users"]["senior"])
    html = client.get(page.url).content.decode()
    head = html.split("</head>")[0]
    assert "<script>alert(1)" not in head
    assert _json_ld(html)["name"] == page.title


def test_an_unpublished_page_discloses_nothing(demo, capture):
    page, _case = publish_ai_approved(demo, capture)
    page.unpublish()
    page = type(page).objects.get(pk=page.pk)
    tpl = Template(
        "{% load ecm_ops_disclosure %}{% ecm_ops_disclosure_head page %}{% ecm_ops_disclosure page %}"
    )
    assert tpl.render(Context({"page": page})).strip() == ""


def test_the_api_carries_the_disclosure(demo, client, capture):
    page, _case = publish_ai_approved(demo, capture)
    response = client.get(f"/api/v2/pages/{page.pk}/")
    assert response.status_code == 200
    field = response.json()["ai_disclosure"]
    assert field["level"] == "ai_generated_reviewed" and field["exemption"] is True
    assert field["responsible"] == "Senior" and field["label_shown"] is True
    assert field["iptc_digital_source_type"].endswith("/trainedAlgorithmicMedia")
    assert field["record_hash"] == DisclosureRecord.objects.get(page=page).record_hash


# The admin evidence screen ------------------------------------------------------------


def test_the_admin_evidence_page_reads_like_a_record(demo, client, capture):
    page, _case = publish_ai_approved(demo, capture)
    url = reverse("ecm_ops:disclosure_evidence", args=[page.pk])
    client.force_login(demo["users"]["editor"])
    html = client.get(url).content.decode()
    assert "AI-generated, human-reviewed" in html and "Applies" in html
    assert "Senior (approver who completed the review quorum)" in html
    # The approver's certification at that moment, as the approval recorded it.
    approval = _case.approvals.get()
    assert approval.certified_as and approval.certified_as in html
    assert "Intact" in html and "data-ecm-verdict>ok<" in html
    assert "{&#x27;" not in html and "{'" not in html  # no Python reprs
    # The button on the page's edit screen leads here.
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert url in edit


def test_the_admin_evidence_page_refuses_outsiders_and_bad_input(demo, client, capture):
    page, _case = publish_ai_approved(demo, capture)
    url = reverse("ecm_ops:disclosure_evidence", args=[page.pk])
    client.force_login(make_user("outsider"))
    assert client.get(url).status_code == 404
    assert client.get(url, {"format": "json"}).status_code == 404
    client.force_login(demo["users"]["editor"])
    assert client.get(url, {"record": "abc"}).status_code == 400
    assert client.get(url, {"record": "99"}).status_code == 404
    assert client.get(url, {"record": "1"}).status_code == 200


# The public pages ---------------------------------------------------------------------


def test_the_explanation_page_shows_this_sites_table(client, settings):
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "DISCLOSURE": {"LEVELS": {"ai_assisted_reviewed": {"LABEL": True}}},
    }
    html = client.get(reverse("ecm_ops_public:disclosure_explained")).content.decode()
    row = re.search(r'<tr id="ai_assisted_reviewed">(.*?)</tr>', html, re.S).group(1)
    assert "AI-assisted, human-reviewed" in row and "Yes" in row


def test_the_public_evidence_is_off_by_default_and_never_for_private_pages(
    demo, client, capture, settings
):
    page, _case = publish_ai_approved(demo, capture)
    url = reverse("ecm_ops_public:disclosure_evidence", args=[page.pk])
    assert client.get(url).status_code == 404
    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "DISCLOSURE": {"PUBLIC_EVIDENCE": True, "RESPONSE_HEADER": True},
    }
    response = client.get(url, {"format": "json"})
    assert response.status_code == 200
    data = response.json()
    assert data["level"] == "ai_generated_reviewed" and data["responsible"] == "Senior"
    assert "evidence" not in data and "user_id" not in json.dumps(data)
    assert url in client.get(page.url).content.decode()  # the label links to it
    PageViewRestriction.objects.create(page=page, restriction_type="login")
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("ecm_ops_public:disclosure_evidence", args=[999999])).status_code == 404
    )


# Settings that would label less than the law -----------------------------------------


@pytest.mark.parametrize(
    "disclosure, message",
    [
        ({"LEVELS": {"ai_unreviewed": {"LABEL": False}}}, "must stay True"),
        ({"SECTIONS": {"/home/": {"ai_unreviewed": False}}}, "cannot hide"),
        ({"SECTIONS": {"news": {"human": True}}}, "url_path prefix"),
        ({"SECTIONS": {"/home/": {"nonsense": True}}}, "must be one of"),
        ({"AI_GENERATED_SHARE": 0}, "AI_GENERATED_SHARE"),
        ({"STYLE": "flashy"}, "STYLE"),
        ({"LEVELS": {"robot": {"LABEL": True}}}, "Unknown ECM_OPS setting"),
    ],
)
def test_bad_disclosure_settings_are_refused(settings, disclosure, message):
    settings.ECM_OPS = {**settings.ECM_OPS, "DISCLOSURE": disclosure}
    with pytest.raises(ImproperlyConfigured, match=message):
        ecm_settings()
