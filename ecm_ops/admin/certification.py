"""Reviewer certification screens: the programme editor (site admins), "My certifications"
and the calibration exercise (reviewers), the records listing with CSV/XLSX export (site
admins), and the dashboard panel that shows expiry ahead of time.

Views are thin: judging an attempt is :func:`ecm_ops.services.certification.submit_attempt`;
whether a certification makes a grant count is
:class:`ecm_ops.governance.authority.CertificationRule`.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from ..governance import authority
from ..models import Certification, CertificationAttempt, CertificationProgramme
from ..models.certification import Decision
from ..services import PermissionDenied, ServiceError
from ..services import certification as service
from .listing import EcmIndexView
from .refusals import refusal

VIEW_RECORDS = "ecm_ops.view_certification_records"


class CertificationProgrammeViewSet(ModelViewSet):
    model = CertificationProgramme
    icon = "user"
    menu_label = _("Certification programmes")
    add_to_admin_menu = False
    list_display = ["name", "policy", "tier", "validity_days", "pass_catch_rate", "active"]
    list_filter = ["policy", "active"]
    search_fields = ["name"]
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("active")]),
        FieldRowPanel([FieldPanel("policy"), FieldPanel("tier")]),
        FieldPanel("guidance"),
        FieldRowPanel(
            [
                FieldPanel("validity_days"),
                FieldPanel("reminder_days"),
                FieldPanel("pass_catch_rate"),
            ]
        ),
        InlinePanel(
            "items",
            heading=_("Calibration exercise"),
            label=_("Sample item"),
            min_num=1,
            panels=[
                FieldPanel("title"),
                FieldPanel("brief"),
                FieldPanel("content"),
                FieldRowPanel([FieldPanel("defect"), FieldPanel("severity")]),
                FieldPanel("defect_excerpt"),
                FieldPanel("explanation"),
            ],
        ),
    ]


programmes = CertificationProgrammeViewSet("certification_programmes")


# -- taking the exercise --------------------------------------------------------------------


def my_certifications(request):
    """The viewer's programmes: status, expiry, and a link to take (or retake) each."""
    user = request.user
    now = timezone.now()
    suspended = {prog for _t, prog, _c in authority.uncertified_tiers(user)}
    rows = []
    certs = {}
    for cert in Certification.objects.filter(user=user).order_by("expires_at"):
        certs[cert.programme_id] = cert  # newest expiry wins
    for programme in CertificationProgramme.objects.filter(active=True).select_related(
        "policy", "tier"
    ):
        cert = certs.get(programme.pk)
        rows.append(
            {
                "programme": programme,
                "cert": cert,
                "valid": bool(cert and cert.is_valid(now)),
                "expiring": bool(
                    cert
                    and cert.is_valid(now)
                    and (cert.expires_at - now).days < programme.reminder_days
                ),
                "suspended": programme.pk in suspended,
            }
        )
    attempts = CertificationAttempt.objects.filter(user=user).select_related("programme")[:20]
    return TemplateResponse(
        request,
        "ecm_ops/certification/mine.html",
        {"rows": rows, "attempts": attempts},
    )


def take(request, pk: int):
    """The calibration exercise: guidance, then every sample item to approve or send back,
    quoting the words at fault."""
    programme = get_object_or_404(CertificationProgramme.objects.select_related("policy"), pk=pk)
    if not programme.active:
        return refusal(request, ServiceError("This certification programme is not active.", 404))
    items = list(programme.items.all())
    error, status = "", 200
    answers = {}
    if request.method == "POST":
        for item in items:
            decision = request.POST.get(f"decision-{item.pk}", "")
            pointed = request.POST.get(f"pointed-{item.pk}", "").strip()
            if decision:
                answers[item.pk] = service.Answer(decision=decision, pointed_at=pointed)
        try:
            attempt = service.submit_attempt(programme, request.user, answers)
        except ServiceError as exc:
            error, status = str(exc), exc.status
        else:
            return redirect("ecm_ops:certification_result", pk=attempt.pk)
    for item in items:
        given = answers.get(item.pk)
        item.given_decision = given.decision if given else ""
        item.given_pointed = given.pointed_at if given else ""
    return TemplateResponse(
        request,
        "ecm_ops/certification/take.html",
        {
            "programme": programme,
            "items": items,
            "error": error,
            "decisions": Decision.choices,
            "current": service.current(request.user, programme),
        },
        status=status,
    )


def result(request, pk: int):
    attempt = get_object_or_404(
        CertificationAttempt.objects.select_related("programme", "user"), pk=pk
    )
    if attempt.user_id != request.user.pk and not _may_view_records(request.user):
        return refusal(request, PermissionDenied("This is another reviewer's attempt."))
    answers = list(attempt.answers.select_related("item"))
    cert = Certification.objects.filter(attempt=attempt).first()
    return TemplateResponse(
        request,
        "ecm_ops/certification/result.html",
        {
            "attempt": attempt,
            "answers": answers,
            "cert": cert,
            "reasons": service.failure_reasons(attempt) if not attempt.passed else [],
        },
    )


# -- records (the site's AI-literacy evidence) ------------------------------------------------


def _may_view_records(user) -> bool:
    return user.is_superuser or user.has_perm(VIEW_RECORDS) or authority.can_manage_authority(user)


class RecordsFilterSet(WagtailFilterSet):
    class Meta:
        model = CertificationAttempt
        fields = ["programme", "passed"]


class RecordsView(EcmIndexView):
    """Every attempt with its score and the certification it gave (with expiry)."""

    model = CertificationAttempt
    page_title = _("Certification records")
    header_icon = "user"
    index_url_name = "ecm_ops:certification_records"
    index_results_url_name = "ecm_ops:certification_records_results"
    filterset_class = RecordsFilterSet
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    default_ordering = "-started_at"
    export_filename = "ecm_ops-certification-records"
    list_export = [
        "user",
        "programme.name",
        "started_at",
        "score_label",
        "caught_label",
        "blockers_approved",
        "false_alarms",
        "passed_label",
        "expires_label",
        "status_label",
    ]
    export_headings = {
        "user": _("Reviewer"),
        "programme.name": _("Programme"),
        "started_at": _("Taken"),
        "score_label": _("Catch rate"),
        "caught_label": _("Defects caught"),
        "blockers_approved": _("Blockers approved"),
        "false_alarms": _("False alarms"),
        "passed_label": _("Passed"),
        "expires_label": _("Certified until"),
        "status_label": _("Status now"),
    }

    def check_access(self, user) -> None:
        if not _may_view_records(user):
            raise PermissionDenied(
                "Only site admins may see certification records (the “Can view and export "
                "reviewer certification records” permission)."
            )

    @cached_property
    def columns(self):
        return [
            Column("user", label=_("Reviewer"), accessor="user", sort_key="user__username"),
            Column("programme", label=_("Programme"), accessor="programme.name"),
            Column("started_at", label=_("Taken"), accessor="started_at", sort_key="started_at"),
            Column("score", label=_("Catch rate"), accessor="score_label", sort_key="score"),
            Column("caught", label=_("Defects caught"), accessor="caught_label"),
            Column("blockers", label=_("Blockers approved"), accessor="blockers_approved"),
            Column("passed", label=_("Passed"), accessor="passed_label", sort_key="passed"),
            Column("expires", label=_("Certified until"), accessor="expires_label"),
            Column("status", label=_("Status now"), accessor="status_label"),
        ]

    def get_base_queryset(self):
        return CertificationAttempt.objects.select_related("user", "programme")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        self._facts(list(context["object_list"]))
        return context

    def _facts(self, rows) -> None:
        certs = {
            c.attempt_id: c for c in Certification.objects.filter(attempt__in=[r.pk for r in rows])
        }
        now = timezone.now()
        for row in rows:
            cert = certs.get(row.pk)
            row.score_label = f"{row.score:.0%}" if row.score is not None else "—"
            row.caught_label = f"{row.caught} of {row.defects_total}"
            row.passed_label = _("Yes") if row.passed else _("No")
            row.expires_label = f"{cert.expires_at:%Y-%m-%d}" if cert else "—"
            if cert is None:
                row.status_label = _("Not certified by this attempt")
            elif cert.revoked_at:
                row.status_label = _("Revoked")
            elif cert.is_valid(now):
                row.status_label = _("Valid")
            else:
                row.status_label = _("Expired")

    def to_row_dict(self, item):
        self._facts([item])
        return super().to_row_dict(item)


records = RecordsView.as_view()
records_results = RecordsView.as_view(results_only=True)


# -- dashboard --------------------------------------------------------------------------------


class CertificationPanel(Component):
    """On the dashboard: suspended authority (no valid certification) and certifications
    expiring within their reminder window, for the viewer, each with a link to (re)certify."""

    name = "ecm_ops_certification"
    order = 205
    template_name = "ecm_ops/certification/panel.html"

    def get_context_data(self, parent_context):
        user = parent_context["request"].user
        suspended = authority.uncertified_tiers(user)
        expiring = service.expiring(user=user) if not user.is_superuser else []
        now = timezone.now()
        for cert in expiring:
            cert.days_left = max((cert.expires_at - now).days, 0)
        return {"suspended": suspended, "expiring": expiring}

    def render_html(self, parent_context=None):
        context = self.get_context_data(parent_context or {})
        if not (context["suspended"] or context["expiring"]):
            return ""
        return render_to_string(self.template_name, context)
