"""Notifications: one row per person and event through ``notify``, shown in the admin (list,
dashboard panel, menu count), mailed per person when their Wagtail preferences allow, and a
failed e-mail recorded once with its reason and shown to site admins."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from wagtail.users.models import UserProfile

from ecm_ops.models import EmailStatus, Notification
from ecm_ops.services import notifications
from ecm_ops.services import review as review_service

from .review_support import health_page, make_user, pinned_checks, submit  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_a_submission_notifies_each_reviewer_in_the_admin_and_by_mail(demo, capture):
    users = demo["users"]
    mail.outbox.clear()
    case = submit(health_page(demo), users["editor"], capture)
    rows = Notification.objects.filter(kind="review_request")
    assert sorted(n.recipient.username for n in rows) == ["legal", "senior"]
    assert all(n.url == reverse("ecm_ops:review_case", args=[case.pk]) for n in rows)
    assert {n.email_status for n in rows} == {EmailStatus.SENT}
    review_mails = [m for m in mail.outbox if m.subject.startswith("Review needed")]
    assert sorted(m.to for m in review_mails) == [["legal@example.com"], ["senior@example.com"]]
    # Tier reasons reach people in words, never as check ids in backticks.
    assert all("`" not in m.body for m in review_mails)


def test_wagtail_notification_preferences_are_respected(demo, capture):
    users = demo["users"]
    profile = UserProfile.get_for_user(users["legal"])
    profile.submitted_notifications = False
    profile.save()
    mail.outbox.clear()
    submit(health_page(demo), users["editor"], capture)
    legal = Notification.objects.get(kind="review_request", recipient=users["legal"])
    assert legal.email_status == EmailStatus.NOT_WANTED  # still in the admin, not mailed
    assert not [m for m in mail.outbox if m.to == ["legal@example.com"]]
    # The requester turned off "rejected" mails: a send-back is not mailed but is listed.
    profile = UserProfile.get_for_user(users["editor"])
    profile.rejected_notifications = False
    profile.save()
    case = submit(health_page(demo, slug="second"), users["editor"], capture)
    mail.outbox.clear()
    with capture(execute=True):
        review_service.request_changes(case.pk, users["senior"], comment="Add sources")
    note = Notification.objects.get(kind="changes_requested", recipient=users["editor"])
    assert note.email_status == EmailStatus.NOT_WANTED and "Add sources" in note.body
    assert not [m for m in mail.outbox if m.subject.startswith("Changes requested")]


def test_a_failed_mail_is_recorded_logged_once_and_shown_to_admins(
    demo, capture, settings, caplog, client_for
):
    settings.EMAIL_BACKEND = "tests.test_notifications.BrokenBackend"
    users = demo["users"]
    with caplog.at_level(logging.ERROR, logger="ecm_ops.notifications"):
        submit(health_page(demo), users["editor"], capture)
    failed = Notification.objects.filter(email_status=EmailStatus.FAILED)
    assert failed.count() == 2
    assert all("SMTP server refused: 554" in n.email_error for n in failed)
    errors = [r for r in caplog.records if r.name == "ecm_ops.notifications"]
    assert len(errors) == 2 and all("554" in r.getMessage() for r in errors)
    # Sending again does not resend or relog a failed row (it is recorded, not retried).
    caplog.clear()
    assert notifications.send_pending(failed.values_list("pk", flat=True)) == 0
    assert not caplog.records
    # A site admin sees it on the dashboard and in the failed e-mails listing; others may not.
    admin = users["admin"]
    client = client_for(admin)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "data-ecm-failed-emails" in home and "SMTP server refused" in home
    listing = client.get(reverse("ecm_ops:failed_emails")).content.decode()
    assert "SMTP server refused" in listing and "senior" in listing.lower()
    client.logout()
    assert client_for(users["editor"]).get(reverse("ecm_ops:failed_emails")).status_code == 403


class BrokenBackend(BaseEmailBackend):
    """A mail server that refuses everything (Wagtail's own mails catch the error too)."""

    def send_messages(self, messages):
        raise OSError("SMTP server refused: 554 relay denied")


def test_the_list_menu_and_panel_show_the_viewers_own(demo, capture, client_for):
    users = demo["users"]
    case = submit(health_page(demo), users["editor"], capture)
    client = client_for(users["senior"])
    html = client.get(reverse("ecm_ops:notifications")).content.decode()
    assert "Review needed" in html and "data-ecm-unread" in html
    assert "Notifications (1)" in client.get(reverse("wagtailadmin_home")).content.decode()
    mine = Notification.objects.get(recipient=users["senior"])
    theirs = Notification.objects.get(recipient=users["legal"])
    # Someone else's notification is not found (not marked read, no redirect).
    assert client.get(reverse("ecm_ops:notification_open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = client.get(reverse("ecm_ops:notification_open", args=[mine.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("ecm_ops:review_case", args=[case.pk])
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert "Notifications (1)" not in client.get(reverse("wagtailadmin_home")).content.decode()
    # Mark all read needs POST.
    assert client.get(reverse("ecm_ops:notifications_read_all")).status_code == 405
    notifications.notify([users["senior"]], "system", "Another")
    client.post(reverse("ecm_ops:notifications_read_all"))
    assert not Notification.objects.filter(recipient=users["senior"], read_at=None).exists()
    assert Notification.objects.filter(recipient=users["legal"], read_at=None).exists()


def test_an_outside_link_is_never_followed(demo, client_for):
    user = demo["users"]["editor"]
    (note,) = notifications.notify([user], "system", "Hello", url="https://evil.example/x")
    response = client_for(user).get(reverse("ecm_ops:notification_open", args=[note.pk]))
    assert response["Location"] == reverse("ecm_ops:notifications")


def test_inactive_users_and_users_without_address(demo):
    inactive = make_user("gone")
    inactive.is_active = False
    inactive.save()
    no_mail = make_user("nomail", email=False)
    rows = notifications.notify([inactive, no_mail, no_mail], "system", "Hi")
    assert [r.recipient for r in rows] == [no_mail]
    assert rows[0].email_status == EmailStatus.NO_ADDRESS
