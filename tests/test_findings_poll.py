"""The editor's findings poll: an ETag on every answer, a 304 in at most 3 queries when nothing
changed, the full answer (with every permission check) as soon as something did, and a 304
only for the user the ETag was made for."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ecm_ops.services import screening as screening_service

from .review_support import news_page, pinned_checks  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]


def _urls(page):
    return [
        reverse("ecm_ops_public:page_findings_poll", args=[page.pk]),
        reverse("ecm_ops:page_findings", args=[page.pk]),
    ]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("which", ["public", "admin"])
def test_unchanged_state_is_a_cheap_304(demo, which, django_assert_max_num_queries):
    editor = demo["users"]["editor"]
    page = news_page(demo, slug="polled")
    url = _urls(page)[0 if which == "public" else 1]
    client = _client(editor)
    first = client.get(url)
    assert first.status_code == 200 and first.json()["page"] == page.pk
    etag = first["ETag"]
    if which == "public":  # (the admin wraps its answers in never_cache: the script keeps them)
        assert first["Cache-Control"] == "private, no-cache"
    with django_assert_max_num_queries(3 if which == "public" else 7):
        again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again["ETag"] == etag and not again.content


def test_a_new_screening_or_revision_gives_the_full_answer(
    demo, django_capture_on_commit_callbacks
):
    editor = demo["users"]["editor"]
    page = news_page(demo, slug="changing")
    url = _urls(page)[0]
    client = _client(editor)
    etag = client.get(url)["ETag"]
    with django_capture_on_commit_callbacks(execute=False):  # queued, not run yet
        run = screening_service.request_screening(
            page, trigger="cli", revision=page.latest_revision
        )
    queued = client.get(url, headers={"If-None-Match": etag})
    assert queued.status_code == 200 and queued.json()["pending"]
    etag = queued["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    screening_service.process_screening_run(run.pk)  # the run finishes: same rows, new state
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["run"]["done"] and not changed.json()["pending"]
    etag = changed["ETag"]
    page.save_revision(user=editor)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_an_etag_is_no_use_to_another_user(demo):
    from django.contrib.auth import get_user_model

    editor = demo["users"]["editor"]
    page = news_page(demo, slug="private")
    url = _urls(page)[0]
    etag = _client(editor).get(url)["ETag"]
    legal = demo["users"]["legal"]  # admin access, but no right to edit News pages
    assert _client(legal).get(url, headers={"If-None-Match": etag}).status_code == 403
    outsider = get_user_model().objects.create_user("outsider", "o@example.com", "x")
    response = _client(outsider).get(url, headers={"If-None-Match": etag})
    assert response.status_code == 302  # no admin access: to the login page, as the admin does
    anonymous = Client().get(url, headers={"If-None-Match": etag})
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
