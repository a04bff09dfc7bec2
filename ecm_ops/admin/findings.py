"""Findings in the editor: a JSON status endpoint the editor panel polls, the blocker override
form, the submit gate hook body and the listing score badge.

The panel is injected into every page editor by ``insert_editor_js`` (no page model needs a
new panel): ``findings_panel.js`` fetches :func:`page_findings` and shows its ``html``; it polls
again while a screening is queued or running, and after each save or autosave response, so the
findings refresh without a reload. Views are thin; the rules are in
:mod:`ecm_ops.services.screening`.

Polls are cheap: every answer carries an ``ETag`` (``Cache-Control: private, no-cache``), so the
browser asks again with ``If-None-Match``. When nothing the panel shows has changed (one query,
:func:`state_version`) the answer is ``304 Not Modified`` with no body. The ETag is an HMAC of
the user, the page and that version: only a user who was already shown this very state gets the
304, which reveals nothing new, so the 304 needs no permission queries; any change gives the
full answer with every permission check. Inside the Wagtail admin (``/admin/ecm-ops/...``)
Wagtail's own admin-access check still loads the user, its permissions and its profile (about
6 queries per 304); :func:`page_findings_poll`, mounted outside the admin by
``path("ecm-ops/", include("ecm_ops.urls"))``, answers a 304 in 2 (the session and the
version) and is what the panel uses when the site includes it. One staleness is accepted: a
change in the user's *authority* alone (the override button) shows with the next change of
the page's screenings.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import SESSION_KEY
from django.db.models import Case, Count, Exists, Max, OuterRef, Q, Subquery, Value, When
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin import messages
from wagtail.admin.auth import reject_request
from wagtail.admin.widgets.button import Button
from wagtail.models import Page

from ..models import ScreeningOverride, ScreeningRun
from ..services import ServiceError, findings_summary
from ..services import screening as screening_service
from ..states import JobStatus, Severity

SEVERITY_ORDER = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}
#: Findings listed one by one in the JSON answer (the panel groups them all).
FINDINGS_LISTED = 200


def _editable_page(request, page_id: int):
    # The base Page is enough: the panel needs the id, the latest revision, the tree path
    # (policy) and the permissions, none of which needs the specific page (one query less).
    page = get_object_or_404(Page, pk=page_id)
    if not page.permissions_for_user(request.user).can_edit():
        return page, False
    return page, True


def findings_state(page, user) -> dict:
    """Everything the panel shows, as data (the JSON endpoint and the template share it)."""
    # Read the open run first, then the finished one, and show the gate's run: a run that
    # finishes between the two reads is then shown as done, never half-way.
    run = screening_service.latest_run(page.pk)
    gate = screening_service.gate_for(page)
    shown = gate["run"]
    findings = []
    groups = []
    if shown is not None:
        # The JSON lists the most severe findings first, at most FINDINGS_LISTED of them; the
        # panel shows them grouped by check (two queries, whatever their number).
        rank = Case(
            *(When(severity=s, then=Value(n)) for s, n in SEVERITY_ORDER.items()),
            default=Value(9),
        )
        findings = list(shown.findings.order_by(rank, "start", "pk")[:FINDINGS_LISTED])
        groups = findings_summary.finding_groups(shown.pk)
        labels = _field_labels(page)
        for group in groups:
            for sample in group.samples:
                sample["field_label"] = labels.get(sample["field"], sample["field"] or "")
    blockers = shown.blocker_count if shown else 0
    warnings = shown.warning_count if shown else 0
    return {
        "page": page.pk,
        "latest_revision": page.latest_revision_id,
        "pending": bool(run and run.is_open),
        "run": _run_data(shown),
        "latest_run": _run_data(run),
        "screened_at": shown.finished_at if shown else None,
        "verdict": "blockers" if blockers else "warnings" if warnings else "clean",
        "groups": groups,
        "screened_latest_revision": bool(
            shown and shown.revision_id == page.latest_revision_id and not (run and run.is_open)
        ),
        "gate": {
            "blocked": gate["blocked"],
            "overridden": gate["overridden"],
            "message": gate["message"],
            "can_override": gate["blocked"] and screening_service.has_section_authority(user, page),
            "override_url": reverse("ecm_ops:screening_override", args=[shown.pk])
            if gate["blocked"] and shown is not None
            else "",
        },
        "findings": [
            {
                "check": f.check_id,
                "severity": f.severity,
                "field": f.field,
                "start": f.start,
                "end": f.end,
                "excerpt": f.excerpt,
                "message": f.message,
                "suggestion": f.suggestion,
            }
            for f in findings
        ],
    }


def _field_labels(page) -> dict[str, str]:
    """``{field name: its label}`` for the page's model (findings name fields by name)."""
    model = page.specific_class or type(page)
    return {
        f.name: str(getattr(f, "verbose_name", f.name)).capitalize()
        for f in model._meta.get_fields()
        if hasattr(f, "verbose_name")
    }


def _run_data(run: ScreeningRun | None) -> dict | None:
    if run is None:
        return None
    return {
        "id": run.pk,
        "status": run.status,
        "done": run.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED),
        "trigger": run.trigger,
        "revision": run.revision_id,
        "score": run.score,
        "blockers": run.blocker_count,
        "warnings": run.warning_count,
        "error": run.error,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)


def state_version(page_id: int) -> str | None:
    """One query: everything the panel shows changes only when one of these does (the page's
    latest revision; its screening runs' count, newest id, newest revision, starts and finishes,
    open runs; its overrides). None when the page does not exist."""
    runs = ScreeningRun.objects.filter(page_id=OuterRef("pk")).order_by().values("page_id")
    overrides = ScreeningOverride.objects.filter(page_id=OuterRef("pk")).order_by()

    def of_runs(expression):
        return Subquery(runs.annotate(v=expression).values("v")[:1])

    row = (
        Page.objects.filter(pk=page_id)
        .values_list(
            "latest_revision_id",
            of_runs(Count("pk")),
            of_runs(Max("pk")),
            of_runs(Max("revision_id")),
            of_runs(Max("started_at")),
            of_runs(Max("finished_at")),
            of_runs(Count("pk", filter=Q(status__in=OPEN))),
            Subquery(overrides.values("page_id").annotate(v=Count("pk")).values("v")[:1]),
        )
        .first()
    )
    return None if row is None else "|".join(str(value) for value in row)


def _etag(user_id, page_id: int, version: str) -> str:
    digest = salted_hmac(
        "ecm_ops.findings.poll", f"{user_id}:{page_id}:{version}", algorithm="sha256"
    ).hexdigest()
    return f'"{digest[:40]}"'


def _not_modified(request, page_id: int) -> HttpResponse | None:
    """A 304 when the request's ``If-None-Match`` is this session's user's ETag of the page's
    current state (session + version: 2 queries, no user or permission query)."""
    given = request.headers.get("If-None-Match", "")
    if not given:
        return None
    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return None
    version = state_version(page_id)
    if version is None:
        return None
    etag = _etag(user_id, page_id, version)
    if not any(constant_time_compare(etag, tag.strip()) for tag in given.split(",")):
        return None
    response = HttpResponse(status=304)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _findings_response(request, page_id: int) -> JsonResponse:
    page, allowed = _editable_page(request, page_id)
    if not allowed:
        return JsonResponse({"error": "You may not edit this page."}, status=403)
    version = state_version(page.pk)  # before the state: a change in between shows next poll
    state = findings_state(page, request.user)
    state["html"] = render_to_string(
        "ecm_ops/findings/panel.html", {"state": state, "page": page}, request=request
    )
    state["screened_at"] = state["screened_at"].isoformat() if state["screened_at"] else None
    state.pop("groups")
    response = JsonResponse(state)
    response["ETag"] = _etag(request.user.pk, page.pk, version or "")
    response["Cache-Control"] = "private, no-cache"
    return response


def page_findings(request, page_id: int):
    """GET: the latest screening of the page's revisions (JSON, with the panel's HTML), or 304
    when nothing changed since the ETag the browser sends (see the module docstring)."""
    return _not_modified(request, page_id) or _findings_response(request, page_id)


def page_findings_poll(request, page_id: int):
    """:func:`page_findings` outside the Wagtail admin's URL wrapper (``ecm_ops.urls``), so a
    304 costs 2 queries. A full answer makes the admin's own access check first."""
    not_modified = _not_modified(request, page_id) if request.method == "GET" else None
    if not_modified is not None:
        return not_modified
    user = request.user
    if not user.is_authenticated or not user.has_perm("wagtailadmin.access_admin"):
        return reject_request(request)  # as the admin does: to the login page
    if request.method != "GET":
        return HttpResponse(status=405)
    return _findings_response(request, page_id)


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why may this page be submitted despite its blockers?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )


def screening_override(request, run_id: int):
    """GET: the override form; POST: accept the run's blockers with a reason (audited)."""
    run = get_object_or_404(ScreeningRun.objects.select_related("page"), pk=run_id)
    page = run.page.specific
    if not screening_service.has_section_authority(request.user, page):
        return HttpResponseForbidden(
            "Only a reviewer with approval authority for this section may override blockers."
        )
    form = OverrideForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            screening_service.override(run.pk, request.user, form.cleaned_data["reason"])
        except ServiceError as exc:
            error = str(exc)
            status = exc.status
        else:
            messages.success(request, _("Blockers overridden; the page may be submitted."))
            return redirect("wagtailadmin_pages:edit", page.pk)
    else:
        status = 400 if request.method == "POST" else 200
    findings = run.findings.filter(severity=Severity.BLOCKER)
    return TemplateResponse(
        request,
        "ecm_ops/findings/override.html",
        {"run": run, "page": page, "form": form, "error": error, "findings": findings},
        status=status,
    )


# --- hook bodies ------------------------------------------------------------------------


def before_edit_page(request, page):
    """The submit gate: a submit of a page whose latest screened revision has blockers (and no
    override) is turned into a plain save (nothing typed is lost) with an error saying why."""
    if request.method != "POST" or not request.POST.get("action-submit"):
        return None
    gate = screening_service.gate_for(page)
    if not gate["blocked"]:
        return None
    post = request.POST.copy()
    post.pop("action-submit", None)
    request.POST = post
    messages.error(
        request,
        _("Not submitted. %(reason)s Your changes were saved as a draft.")
        % {"reason": gate["message"]},
    )
    return None


def annotate_scores(queryset):
    """``construct_explorer_page_queryset``: the latest finished score, its blocker and warning
    counts and whether monitoring has an active incident on the page, in the same query."""
    from ..models import Incident
    from ..services.page_banners import ACTIVE_INCIDENT

    latest = ScreeningRun.objects.filter(
        page_id=OuterRef("pk"), status=JobStatus.SUCCEEDED, revision__isnull=False
    ).order_by("-finished_at", "-pk")
    return queryset.annotate(
        ecm_score=Subquery(latest.values("score")[:1]),
        ecm_blockers=Subquery(latest.values("blocker_count")[:1]),
        ecm_warnings=Subquery(latest.values("warning_count")[:1]),
        ecm_incident=Exists(
            Incident.objects.filter(page_id=OuterRef("pk"), state__in=ACTIVE_INCIDENT)
        ),
    )


def score_badge(page):
    """``register_page_listing_buttons``: the pre-screen verdict as a badge, by colour, icon and
    words: clean, warnings or blockers (no query: the listing annotated it); and a badge for an
    active monitoring incident."""
    buttons = []
    if getattr(page, "ecm_incident", False):
        buttons.append(
            Button(
                _("Incident"),
                reverse("ecm_ops:page_monitoring", args=[page.pk]),
                classname="w-status w-status--label ecm-badge ecm-badge--incident",
                icon_name="warning",
                attrs={"data-ecm-incident": "", "title": _("Monitoring has an open incident")},
                priority=1,
            )
        )
    score = getattr(page, "ecm_score", None)
    if score is None:
        return buttons
    blockers = getattr(page, "ecm_blockers", 0) or 0
    warnings = getattr(page, "ecm_warnings", 0) or 0
    if blockers:
        verdict, icon = "blockers", "warning"
        label = ngettext("%(n)s blocker", "%(n)s blockers", blockers) % {"n": blockers}
    elif warnings:
        verdict, icon = "warnings", "warning"
        label = ngettext("%(n)s warning", "%(n)s warnings", warnings) % {"n": warnings}
    else:
        verdict, icon, label = "clean", "success", _("Clean")
    buttons.append(
        Button(
            label,
            reverse("ecm_ops:page_monitoring", args=[page.pk]),
            classname=f"w-status w-status--label ecm-badge ecm-badge--{verdict}",
            icon_name=icon,
            attrs={
                "data-ecm-score": f"{score:g}",
                "data-ecm-verdict": verdict,
                "title": _("Pre-screen: %(label)s (score %(score)s, lower is better)")
                % {"label": label, "score": f"{score:g}"},
            },
            priority=1,
        )
    )
    return buttons


def edit_view_banners(request, page):
    """``before_edit_page`` on GET: the page's banners (a reviewer's "Request changes" comment,
    monitoring's incident) as Wagtail messages on the edit view."""
    from ..services.page_banners import for_edit_view

    if request.method != "GET" or request.headers.get("x-requested-with"):
        return
    for banner in for_edit_view(page.pk):
        (messages.error if banner.level == "error" else messages.warning)(request, banner.text)


def listing_banner(request, parent_page, pages):
    """``construct_explorer_page_queryset``: one banner on the page listing when monitoring
    unpublished a child page or has an open incident on one (once per request, and not on
    the listing's partial refreshes, whose messages nobody would see)."""
    from ..services.page_banners import for_listing

    if (
        getattr(request, "_ecm_listing_banner", False)
        or request.method != "GET"
        or request.headers.get("x-requested-with")
        or "_w_filter_fragment" in request.GET
        or request.path.rstrip("/").endswith("/results")
    ):
        return
    request._ecm_listing_banner = True
    banner = for_listing(pages.order_by().values("pk"))
    if banner is not None:
        (messages.error if banner.level == "error" else messages.warning)(request, banner.text)
