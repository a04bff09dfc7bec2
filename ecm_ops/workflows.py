"""The Wagtail workflow Task adapter: "Risk-tiered review".

Site admins add it to any workflow. Wagtail's own "Submit for moderation" starts it; its
``start`` opens a :class:`~ecm_ops.models.ReviewCase` that waits for the mandatory pre-screen.
``get_actions`` is the authorisation gate (Wagtail's workflow action view only runs actions it
returned); ``on_action`` delegates to :mod:`ecm_ops.services.review`. The Wagtail task state is
approved only when the case itself reaches ``approved`` (or is skipped by policy).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.models import Task, TaskState


class RiskTieredReviewTask(Task):
    admin_form_fields = Task.admin_form_fields

    class Meta:
        app_label = "ecm_ops"
        verbose_name = _("Risk-tiered review")
        verbose_name_plural = _("Risk-tiered reviews")

    @classmethod
    def get_description(cls):
        return _(
            "Pre-screens the content, classifies its risk by the section's policy and "
            "requires approvals from reviewers with authority for that tier."
        )

    def start(self, workflow_state, user=None):
        task_state = super().start(workflow_state, user=user)
        from .services.review import open_case

        open_case(task_state, user=user)
        return task_state

    def _case(self, obj):
        from .models import ReviewCase
        from .states import OPEN_REVIEW_STATES

        return (
            ReviewCase.objects.filter(
                page_id=obj.pk, state__in=OPEN_REVIEW_STATES, task_state__task=self
            )
            .select_related("tier", "revision")
            .first()
        )

    def get_actions(self, obj, user):
        """Approve / Request changes, for users who hold decision authority on the open case
        (for its tier and section, or a delegation). One query: Wagtail's moderation listings
        call this once per row. Whether this person may decide *now* (four-eyes, the content
        unchanged) is the review service's to say: a refused action is reported on the case
        screen with the reason, and changes nothing."""
        from .governance.authority import cases_reviewable_by
        from .states import ReviewState

        decidable = cases_reviewable_by(user).filter(
            page_id=obj.pk,
            task_state__task=self,
            state__in=(ReviewState.AWAITING_REVIEW, ReviewState.ESCALATED),
        )
        if not (user and user.is_authenticated and user.is_active) or not decidable.exists():
            return []
        return [
            ("reject", _("Request changes"), True),
            ("approve", _("Approve"), False),
            ("approve", _("Approve with comment"), True),
        ]

    def on_action(self, task_state, user, action_name, **kwargs):
        """Run the service for the action. A refusal (e.g. another reviewer decided a moment
        earlier, a conflict of interest, changed content) changes nothing and sends the user
        to the case screen, which says why."""
        from django.urls import reverse

        from .services import ServiceError, review

        case = review.open_case_for(task_state)
        if case is None:
            return None
        comment = kwargs.get("comment", "")
        try:
            if action_name == "approve":
                review.approve(case.pk, user, comment=comment)
            elif action_name == "reject":
                review.request_changes(case.pk, user, comment=comment)
        except ServiceError:
            # Nothing changed; the case screen says why (the reason is recomputed there).
            return reverse("ecm_ops:review_case", args=[case.pk]) + f"?refused={action_name}"
        return None

    def locked_for_user(self, obj, user):
        """The page is locked while its review is open (like Wagtail's GroupApprovalTask):
        only those with authority for the case may edit it (and editing makes them authors,
        so conflicted). Everyone else must withdraw it from review first."""
        case = self._case(obj)
        if case is None:
            return False
        from .governance.authority import has_authority

        return not has_authority(user, case)

    def user_can_lock(self, obj, user):
        case = self._case(obj)
        from .governance.authority import has_authority

        return bool(case and has_authority(user, case))

    def user_can_unlock(self, obj, user):
        return False

    def user_can_access_editor(self, obj, user):
        case = self._case(obj)
        from .governance.authority import has_authority

        return bool(case and has_authority(user, case))

    def get_task_states_user_can_moderate(self, user, **kwargs):
        from .admin.dashboard import rendering_wagtail_moderation_panel
        from .governance.authority import cases_reviewable_by

        if rendering_wagtail_moderation_panel():
            # The dashboard shows these cases in ecm_ops's constant-cost panel instead.
            return TaskState.objects.none()
        return TaskState.objects.filter(
            task=self,
            status=TaskState.STATUS_IN_PROGRESS,
            ecm_review_case__in=cases_reviewable_by(user),
        )
