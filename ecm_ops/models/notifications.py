"""Notifications: one row per person and event (a review request, a decision, an escalation,
an incident), shown in the admin and mailed when the person's preferences allow it. The row
also records what became of the e-mail, so a failed one is visible to admins, not lost."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    REVIEW_REQUEST = "review_request", _("Review request")
    ESCALATION = "escalation", _("Escalation")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")
    REVIEW_UPDATE = "review_update", _("Review update")
    INCIDENT = "incident", _("Incident")
    SYSTEM = "system", _("For site admins")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NOT_WANTED = "not_wanted", _("Not wanted (the person's notification settings)")
    NO_ADDRESS = "no_address", _("No e-mail address")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ecm_notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("page"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=12, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_error = models.TextField(_("e-mail error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="ecm_notif_unread"),
            models.Index(fields=["email_status", "created_at"], name="ecm_notif_email"),
        ]

    def __str__(self) -> str:
        return self.title
