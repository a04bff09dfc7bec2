"""States, tiers and severities as TextChoices. Imports no models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    """Life cycle of every background-work row (draft requests, screening runs, monitoring)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    BLOCKER = "blocker", _("Blocker")


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.BLOCKER: 2}


class ScreeningTrigger(models.TextChoices):
    DRAFT = "draft", _("AI draft")
    SAVE = "save", _("Save")
    SUBMIT = "submit", _("Submit for review")
    MONITOR = "monitor", _("Post-publication monitoring")
    CLI = "cli", _("Command line")


class Origin(models.TextChoices):
    AI = "ai", _("AI")
    HUMAN = "human", _("Human")
    MIXED = "mixed", _("Mixed")


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    EVALUATING = "evaluating", _("Evaluating")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class RiskLevel(models.IntegerChoices):
    LOW = 1, _("Low")
    STANDARD = 2, _("Standard")
    ELEVATED = 3, _("Elevated")
    HIGH = 4, _("High")


class ReviewState(models.TextChoices):
    SCREENING = "screening", _("Screening")
    AWAITING_REVIEW = "awaiting_review", _("Awaiting review")
    ESCALATED = "escalated", _("Escalated")
    APPROVED = "approved", _("Approved")
    SKIPPED = "skipped", _("Skipped (low risk)")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_REVIEW_STATES = (
    ReviewState.SCREENING,
    ReviewState.AWAITING_REVIEW,
    ReviewState.ESCALATED,
)


class IncidentState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    UNPUBLISHED = "unpublished", _("Unpublished")
