"""Risk-tiered review: the ReviewCase state machine and the approvals it collects.

Transition bodies only set fields; the service layer (:mod:`ecm_ops.services.review`) is the
only caller: it checks permissions and conditions, saves inside ``transaction.atomic``, logs
and notifies. ``ConcurrentTransitionMixin`` makes a second concurrent transition from the same
source state fail with ``ConcurrentTransition`` instead of silently overwriting the first.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from ..states import OPEN_REVIEW_STATES, ReviewState

S = ReviewState


def _can_decide(case: "ReviewCase", user) -> bool:
    """Transition permission: authority for the case's tier (or delegation), no conflict."""
    from ..governance.authority import can_review

    return can_review(user, case)


def _has_quorum(case: "ReviewCase") -> bool:
    """Transition condition for ``approve`` (read-only, no side effects)."""
    return case.has_quorum()


class ReviewCase(ConcurrentTransitionMixin, models.Model):
    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="ecm_review_cases"
    )
    revision = models.ForeignKey("wagtailcore.Revision", on_delete=models.CASCADE, related_name="+")
    task_state = models.OneToOneField(
        "wagtailcore.TaskState",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ecm_review_case",
    )
    policy = models.ForeignKey(
        "ecm_ops.RiskPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier = models.ForeignKey(
        "ecm_ops.ReviewTier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    tier_reasons = models.JSONField(default=list, blank=True)
    #: The AI-written share of the submitted content (0–1), as classification judged it.
    ai_share = models.FloatField(null=True, blank=True)
    #: Digest of the submitted content: approvals count only for this content, and any change
    #: of the page's latest content (a save, an autosave overwrite, a revert) supersedes it.
    content_digest = models.CharField(max_length=64, blank=True, db_index=True)
    screening_run = models.ForeignKey(
        "ecm_ops.ScreeningRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = FSMField(default=S.SCREENING, choices=S.choices, protected=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    send_back_count = models.PositiveSmallIntegerField(default=0)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    outcome_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("review case")
        verbose_name_plural = _("review cases")
        ordering = ["-created_at"]
        permissions = [
            ("review_case", _("Can review this case (delegated)")),
            (
                "override_review",
                _("Can publish AI-assisted content without an approved review (with a reason)"),
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return f"Review of {self.page} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_REVIEW_STATES

    @property
    def is_decidable(self) -> bool:
        return self.state in (S.AWAITING_REVIEW, S.ESCALATED)

    def may_decide(self, user) -> bool:
        """The decision transitions' permission for ``user`` in the current state (without the
        quorum condition, which ``has_transition_perm`` would also apply to ``approve``)."""
        return self.approve._django_fsm.has_transition_perm(self, self.state, user)

    def current_approvals(self):
        """Approvals that count: on this case and its own content (never a superseded one)."""
        return self.approvals.filter(
            revision_id=self.revision_id, content_digest=self.content_digest
        )

    def has_quorum(self) -> bool:
        """N distinct approvers on the case's revision, including the tier's required role."""
        if self.pk is None:
            return False
        approvals = self.current_approvals()
        needed = self.tier.approvals_required if self.tier else 1
        if approvals.values("user").distinct().count() < max(needed, 1):
            return False
        if self.tier and self.tier.required_group_id:
            return approvals.filter(user__groups=self.tier.required_group_id).exists()
        return True

    # -- transitions: bodies only set fields -------------------------------------------------

    @transition(field=state, source=S.SCREENING, target=S.AWAITING_REVIEW)
    def open_for_review(self, due_at=None):
        self.due_at = due_at

    @transition(field=state, source=S.SCREENING, target=S.CHANGES_REQUESTED)
    def fail_screening(self, reason: str):
        """The mandatory pre-screen blocked the submission (or could not run: fail closed)."""
        self.outcome_reason = reason
        self.decided_at = timezone.now()

    @transition(field=state, source=S.SCREENING, target=S.SKIPPED)
    def skip(self, reason: str):
        self.outcome_reason = reason
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=[S.AWAITING_REVIEW, S.ESCALATED],
        target=S.APPROVED,
        permission=_can_decide,
        conditions=[_has_quorum],
    )
    def approve(self):
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=[S.AWAITING_REVIEW, S.ESCALATED],
        target=S.CHANGES_REQUESTED,
        permission=_can_decide,
    )
    def request_changes(self, reason: str = ""):
        self.outcome_reason = reason
        self.decided_at = timezone.now()
        self.send_back_count += 1

    @transition(
        field=state,
        source=[S.AWAITING_REVIEW, S.ESCALATED],
        target=S.REJECTED,
        permission=_can_decide,
    )
    def reject(self, reason: str = ""):
        self.outcome_reason = reason
        self.decided_at = timezone.now()

    @transition(field=state, source=[S.AWAITING_REVIEW, S.ESCALATED], target=S.ESCALATED)
    def escalate(self, reason: str = ""):
        self.escalation_level += 1
        self.outcome_reason = reason

    @transition(field=state, source=list(OPEN_REVIEW_STATES), target=S.WITHDRAWN)
    def withdraw(self, reason: str = ""):
        self.outcome_reason = reason
        self.decided_at = timezone.now()


class Approval(models.Model):
    """One reviewer's approval of one revision. A person counts once per case and revision."""

    case = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="approvals")
    revision = models.ForeignKey("wagtailcore.Revision", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    #: The content the reviewer saw and approved.
    content_digest = models.CharField(max_length=64, blank=True, db_index=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: The certification that made the approver's authority effective when they approved
    #: (None: superuser, delegation on an uncovered tier, or a tier without a programme), and
    #: the same in words, kept even if the certification row is later removed.
    certification = models.ForeignKey(
        "ecm_ops.Certification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="approvals",
    )
    certified_as = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("approval")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "revision", "user"], name="ecm_ops_one_approval_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} approved case {self.case_id}"


class ReviewCaseUserObjectPermission(UserObjectPermissionBase):
    """Per-case delegation to a named reviewer."""

    content_object = models.ForeignKey(ReviewCase, on_delete=models.CASCADE)


class ReviewCaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ReviewCase, on_delete=models.CASCADE)
