"""Notifications in the admin: the viewer's own list (a Wagtail generic listing with filters),
opening one (marks it read, then follows its link), "mark all as read", the dashboard panel,
the menu's unread count, and for site admins the e-mails that could not be sent."""

from __future__ import annotations

import django_filters
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn

from ..models import EmailStatus, Notification, NotificationKind
from ..services import PermissionDenied
from .listing import EcmIndexView, ListingFilterSet, TemplateColumn, person

PANEL_LIMIT = 5


class NotificationFilterSet(ListingFilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=NotificationKind.choices, empty_label=_("All")
    )
    unread = django_filters.BooleanFilter(
        label=_("Unread"), field_name="read_at", lookup_expr="isnull"
    )
    email_status = django_filters.ChoiceFilter(
        label=_("E-mail"), choices=EmailStatus.choices, empty_label=_("All")
    )

    class Meta:
        model = Notification
        fields = []


class NotificationIndexView(EcmIndexView):
    """The viewer's own notifications, newest first."""

    model = Notification
    page_title = _("Notifications")
    header_icon = "ecm-bell"
    template_name = "ecm_ops/notifications/index.html"
    index_url_name = "ecm_ops:notifications"
    index_results_url_name = "ecm_ops:notifications_results"
    filterset_class = NotificationFilterSet
    search_fields = ["title", "body"]
    default_ordering = "-created_at"
    failed_only = False

    @property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No notification matches these filters.")
        if self.failed_only:
            return _("No failed e-mails: every notification e-mail was sent.")
        return _(
            "No notifications yet. Review requests, decisions on your submissions, "
            "escalations and incidents will appear here."
        )

    @cached_property
    def columns(self):
        columns = [
            TitleColumn(
                "title",
                label=_("Notification"),
                accessor="title",
                get_url=lambda n: reverse("ecm_ops:notification_open", args=[n.pk]),
            ),
            TemplateColumn(
                "kind",
                label=_("Kind"),
                sort_key="kind",
                template="ecm_ops/notifications/kind_cell.html",
            ),
            DateColumn("created_at", label=_("When"), sort_key="created_at"),
            TemplateColumn(
                "email_status",
                label=_("E-mail"),
                sort_key="email_status",
                template="ecm_ops/notifications/email_cell.html",
            ),
        ]
        if self.failed_only:
            columns.insert(
                1, Column("recipient", label=_("For"), accessor=lambda n: person(n.recipient))
            )
        return columns

    def check_access(self, user) -> None:
        if self.failed_only and not user.is_superuser:
            raise PermissionDenied("Only site admins can see the e-mails that failed.")

    def get_base_queryset(self):
        if self.failed_only:
            return Notification.objects.filter(email_status=EmailStatus.FAILED).select_related(
                "recipient"
            )
        return Notification.objects.filter(recipient=self.request.user)

    def order_queryset(self, queryset):
        return super().order_queryset(queryset).order_by(self.ordering, "-pk")

    def get_page_title(self):
        return _("E-mails that could not be sent") if self.failed_only else self.page_title

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["failed_only"] = self.failed_only
        user = self.request.user
        context["unread"] = 0 if self.failed_only else unread_count(user)
        context["failed"] = failed_count() if user.is_superuser and not self.failed_only else 0
        return context


notification_list = NotificationIndexView.as_view()
notification_results = NotificationIndexView.as_view(results_only=True)
_FAILED = {
    "failed_only": True,
    "index_url_name": "ecm_ops:failed_emails",
    "index_results_url_name": "ecm_ops:failed_emails_results",
}
failed_emails = NotificationIndexView.as_view(**_FAILED)
failed_emails_results = NotificationIndexView.as_view(**_FAILED, results_only=True)


def open_notification(request, pk: int):
    """Mark the viewer's notification read and follow its link (only the viewer's own)."""
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    if note.url and url_has_allowed_host_and_scheme(
        note.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(note.url)
    return redirect("ecm_ops:notifications")


@require_POST
def mark_all_read(request):
    n = Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if n:
        messages.success(request, _("All notifications marked as read."))
    return redirect("ecm_ops:notifications")


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def failed_count(days: int = 7) -> int:
    since = timezone.now() - timezone.timedelta(days=days)
    return Notification.objects.filter(
        email_status=EmailStatus.FAILED, created_at__gte=since
    ).count()


class NotificationsMenuItem(MenuItem):
    """ "Notifications" in the main menu, with the viewer's unread count (one COUNT query)."""

    def render_component(self, request):
        component = super().render_component(request)
        n = unread_count(request.user)
        if n:
            component.label = _("Notifications (%(n)s)") % {"n": n}
        return component


class NotificationsPanel(Component):
    """Dashboard: the viewer's latest unread notifications; for site admins, failed e-mails."""

    name = "ecm_ops_notifications"
    order = 205
    template_name = "ecm_ops/notifications/panel.html"

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        user = request.user
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
        context = {
            "notifications": list(unread.order_by("-created_at", "-pk")[:PANEL_LIMIT]),
            "unread": unread.count(),
            "failed": [],
            "failed_total": 0,
            "request": request,
        }
        if user.is_superuser:
            since = timezone.now() - timezone.timedelta(days=7)
            failed = Notification.objects.filter(
                email_status=EmailStatus.FAILED, created_at__gte=since
            )
            context["failed"] = list(
                failed.values("email_error")
                .annotate(n=Count("pk"))
                .order_by("-n", "email_error")[:3]
            )
            context["failed_total"] = failed.count()
        return context

    def render_html(self, parent_context=None):
        context = self.get_context_data(parent_context or {})
        if not context["notifications"] and not context["failed_total"]:
            return ""
        return render_to_string(self.template_name, context)
