"""The review queue: open cases the user holds authority for (or was delegated), as a Wagtail
generic listing with filters (section, tier, state, overdue, "awaiting me"), search by page
title, sortable columns, pagination and CSV/XLSX export.

Seeing a case in the queue is not deciding it: the "You" column says whether the viewer may
decide, is conflicted (four-eyes) or was delegated the case; the services refuse anything else.
The cost of one page is constant in the number of cases: the rows with their relations and
approval counts in one query, the conflicts of the shown rows in four, delegations prefetched.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from guardian.core import ObjectPermissionChecker
from wagtail.admin.ui.tables import Column, TitleColumn

from ..governance import authority
from ..models import Approval, ReviewCase, ReviewTier, RiskPolicy
from ..services import awaiting
from ..services import review as review_service
from ..states import OPEN_REVIEW_STATES
from .listing import EcmIndexView, ListingFilterSet, TemplateColumn

ASSIGNEE_CHOICES = [
    ("me", _("Awaiting my decision")),
    ("delegated", _("Delegated to me")),
]
OVERDUE_CHOICES = [("yes", _("Overdue")), ("no", _("Not overdue"))]


def _section_choices():
    return [
        (p.pk, f"{p.section.title} ({p.name})")
        for p in RiskPolicy.objects.select_related("section").order_by("section__title", "pk")
    ]


def _tier_choices():
    """Tiers by level across sections (a level may carry a different label per policy)."""
    labels: dict[int, set[str]] = {}
    for level, label in ReviewTier.objects.values_list("level", "label").distinct():
        labels.setdefault(level, set()).add(label)
    return [(level, " / ".join(sorted(labels[level]))) for level in sorted(labels)]


class QueueFilterSet(ListingFilterSet):
    section = django_filters.ChoiceFilter(
        label=_("Section"), field_name="policy", choices=_section_choices, empty_label=_("All")
    )
    tier = django_filters.ChoiceFilter(
        label=_("Tier"), field_name="tier__level", choices=_tier_choices, empty_label=_("All")
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=[(s.value, s.label) for s in OPEN_REVIEW_STATES],
        empty_label=_("All"),
        widget=forms.RadioSelect,
    )
    overdue = django_filters.ChoiceFilter(
        label=_("Deadline"),
        choices=OVERDUE_CHOICES,
        method="filter_overdue",
        empty_label=_("All"),
        widget=forms.RadioSelect,
    )
    assignee = django_filters.ChoiceFilter(
        label=_("Assignee"),
        choices=ASSIGNEE_CHOICES,
        method="filter_assignee",
        empty_label=_("Everything I may see"),
        widget=forms.RadioSelect,
    )

    class Meta:
        model = ReviewCase
        fields = []

    def filter_overdue(self, queryset, name, value):
        late = Q(due_at__lt=timezone.now())
        return queryset.filter(late) if value == "yes" else queryset.exclude(late)

    def filter_assignee(self, queryset, name, value):
        user = self.request.user
        if value == "me":
            return queryset.filter(pk__in=awaiting.decidable_by(user).values("pk"))
        if value == "delegated":
            return queryset.filter(
                reviewcaseuserobjectpermission__user=user,
                reviewcaseuserobjectpermission__permission__codename=authority.REVIEW_CASE,
            )
        return queryset


class ReviewQueueView(EcmIndexView):
    model = ReviewCase
    page_title = _("Review queue")
    header_icon = "tasks"
    index_url_name = "ecm_ops:review_queue"
    index_results_url_name = "ecm_ops:review_queue_results"
    filterset_class = QueueFilterSet
    search_fields = ["page__title"]
    default_ordering = "due_at"
    export_filename = "ecm_ops-review-queue"
    list_export = [
        "pk",
        "page.title",
        "section_title",
        "tier.label",
        "get_state_display",
        "n_approvals",
        "approvals_needed",
        "due_at",
        "overdue_label",
        "reasons",
        "requester",
        "created_at",
    ]
    export_headings = {
        "pk": _("Case"),
        "page.title": _("Page"),
        "section_title": _("Section"),
        "tier.label": _("Tier"),
        "get_state_display": _("State"),
        "n_approvals": _("Approvals"),
        "approvals_needed": _("Approvals needed"),
        "due_at": _("Due"),
        "overdue_label": _("Overdue"),
        "reasons": _("Why this tier"),
        "requester": _("Submitted by"),
        "created_at": _("Submitted"),
    }

    @property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No open review matches these filters.")
        return _("Nothing is waiting for your review.")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "page",
                label=_("Page"),
                accessor="page.title",
                sort_key="page__title",
                get_url=lambda case: reverse("ecm_ops:review_case", args=[case.pk]),
            ),
            Column("section", label=_("Section"), accessor="section_title"),
            Column("tier", label=_("Tier"), accessor="tier.label", sort_key="tier__level"),
            Column("state", label=_("State"), accessor="get_state_display", sort_key="state"),
            Column("approvals", label=_("Approvals"), accessor="approvals_progress"),
            TemplateColumn(
                "due",
                label=_("Due"),
                sort_key="due_at",
                template="ecm_ops/listings/due_cell.html",
            ),
            Column("reasons", label=_("Why this tier"), accessor="reasons"),
            TemplateColumn("you", label=_("You"), template="ecm_ops/listings/you_cell.html"),
        ]

    def get_base_queryset(self):
        return (
            authority.cases_reviewable_by(self.request.user)
            .select_related("page", "tier", "policy__section", "requester")
            .annotate(
                n_approvals=Count(
                    "approvals",
                    filter=Q(approvals__content_digest=F("content_digest")),
                    distinct=True,
                ),
                you_approved=Exists(
                    Approval.objects.filter(
                        case=OuterRef("pk"),
                        user=self.request.user.pk,
                        content_digest=OuterRef("content_digest"),
                    )
                ),
            )
        )

    def order_queryset(self, queryset):
        # Soonest deadline first, cases without one last; pk keeps pages stable.
        if self.ordering == "due_at":
            return queryset.order_by(F("due_at").asc(nulls_last=True), "pk")
        if self.ordering == "-due_at":
            return queryset.order_by(F("due_at").desc(nulls_last=True), "-pk")
        return super().order_queryset(queryset).order_by(self.ordering, "pk")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        self.annotate_rows(list(context["object_list"]))
        return context

    def annotate_rows(self, rows: list[ReviewCase]) -> None:
        """Per-row facts for the shown page, in a constant number of queries."""
        user = self.request.user
        conflicts = review_service.conflicts_by_case(rows, user)
        checker = ObjectPermissionChecker(user)
        if rows and not user.is_superuser:
            checker.prefetch_perms(rows)
        now = timezone.now()
        for case in rows:
            case.conflict = conflicts.get(case.pk, "")
            case.delegated = not user.is_superuser and checker.has_perm(authority.REVIEW_CASE, case)
            case.may_decide = case.is_decidable and not case.conflict and not case.you_approved
            self._facts(case, now)

    @staticmethod
    def _facts(case: ReviewCase, now) -> None:
        case.section_title = case.policy.section.title if case.policy else ""
        case.approvals_needed = case.tier.approvals_required if case.tier else 1
        case.approvals_progress = f"{case.n_approvals} / {case.approvals_needed}"
        case.overdue = awaiting.is_overdue(case, now)
        case.overdue_label = _("Yes") if case.overdue else _("No")
        case.reasons = "; ".join(str(r) for r in case.tier_reasons or [])

    def to_row_dict(self, item):
        self._facts(item, timezone.now())
        return super().to_row_dict(item)


queue = ReviewQueueView.as_view()
queue_results = ReviewQueueView.as_view(results_only=True)
