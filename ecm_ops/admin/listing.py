"""What ecm_ops's listings share on top of Wagtail's generic ``IndexView``.

ecm_ops's listings are not model admin screens: who may see a listing, and which rows, is
decided per object (tier authority, delegation, section), not by Django's model permissions.
So the generic views' model permission policy is switched off here and each listing filters
its own queryset; a view that refuses raises :class:`ecm_ops.services.PermissionDenied`, shown
as a 403 page with its message (see :mod:`ecm_ops.admin.refusals`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.models import Page

from ..services import ServiceError
from ..services.audit_export import neutralise_formula
from .refusals import refusal


class EcmIndexView(generic.IndexView):
    """An ``IndexView`` whose rows are chosen by ecm_ops's own authority rules."""

    permission_policy = None
    any_permission_required = None
    is_searchable = True
    #: As Wagtail's own model listings (``ModelViewSet.list_per_page``); a page renders 20
    #: rows of table components, which is what the review-queue bench times.
    paginate_by = 20
    breadcrumbs_items = generic.IndexView.breadcrumbs_items + [
        {"url": "", "label": _("Content ops")}
    ]

    def dispatch(self, request, *args, **kwargs):
        try:
            self.check_access(request.user)
        except ServiceError as exc:
            return refusal(request, exc)
        return super().dispatch(request, *args, **kwargs)

    def check_access(self, user) -> None:
        """Raise ``ServiceError`` when ``user`` may not open this listing at all."""

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def write_csv_row(self, writer, row_dict):
        # Text people typed (titles, summaries, reasons) must not run as a spreadsheet formula
        # (CSV injection); the XLSX export already writes such cells as strings.
        return super().write_csv_row(
            writer, {field: neutralise_formula(value) for field, value in row_dict.items()}
        )


class TemplateColumn(Column):
    """A column rendered by its own cell template, given the row as ``instance``."""

    def __init__(self, name, *, template, **kwargs):
        super().__init__(name, **kwargs)
        self.cell_template_name = template

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["instance"] = instance
        return context


class ListingFilterSet(WagtailFilterSet):
    """Filters get the request (``self.request``) for filters about the viewer."""

    def filter_section(self, queryset, name, value):
        """Rows whose page is in the chosen section (the page's subtree); none when the section
        is gone."""
        section = Page.objects.filter(pk=value).first()
        if section is None:
            return queryset.none()
        return queryset.filter(page__path__startswith=section.path)


def person(user, nobody="—") -> str:
    """A user as people read it in a listing: full name, else username; ``nobody`` for none."""
    if user is None:
        return str(nobody)
    return user.get_full_name() or user.get_username()
