"""What the editor must know about a page before editing it, as banners: a reviewer's "Request
changes" comment (until the page is submitted again) and monitoring's active incident (with
whether it unpublished the page). The edit view shows them as Wagtail messages; the page
listing shows one line for the children that have an active incident. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Incident, ReviewCase
from ..states import IncidentState, ReviewState, Severity
from .findings_summary import check_label, check_labels

ACTIVE_INCIDENT = (IncidentState.OPEN, IncidentState.ACKNOWLEDGED, IncidentState.UNPUBLISHED)


@dataclass(frozen=True)
class Banner:
    level: str  # "warning" or "error" (Wagtail's message levels)
    text: str


def _when(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


def changes_requested(page_id: int) -> Banner | None:
    """The latest review round of the page, if it ended with "Request changes": the reviewer's
    comment stays visible until the next submission opens a new case."""
    case = (
        ReviewCase.objects.filter(page_id=page_id)
        .order_by("-created_at", "-pk")
        .only("state", "outcome_reason", "decided_at")
        .first()
    )
    if case is None or case.state != ReviewState.CHANGES_REQUESTED:
        return None
    from wagtail.models import PageLogEntry

    entry = (
        PageLogEntry.objects.filter(
            page_id=page_id, action="ecm_ops.review.changes_requested", data__case=case.pk
        )
        .select_related("user")
        .order_by("-timestamp")
        .first()
    )
    who = entry.user.get_full_name() or entry.user.get_username() if entry and entry.user else ""
    comment = (case.outcome_reason or "").strip() or _("(no comment)")
    if who:
        text = _("%(who)s requested changes on %(when)s: “%(comment)s” Fix and submit again.")
    else:
        text = _("Changes were requested on %(when)s: “%(comment)s” Fix and submit again.")
    return Banner(
        "warning", text % {"who": who, "when": _when(case.decided_at), "comment": comment}
    )


def _incident_text(incident: Incident, labels: dict[str, str]) -> str:
    checks = []
    if incident.screening_run_id:
        checks = sorted(
            {
                check_label(c, labels)
                for c in incident.screening_run.findings.filter(
                    severity=Severity.BLOCKER
                ).values_list("check_id", flat=True)
            }
        )
    found = ", ".join(checks) or _("a blocking issue")
    if incident.state == IncidentState.UNPUBLISHED:
        return _(
            "Monitoring unpublished this page on %(when)s (incident #%(n)s): it found %(found)s "
            "on the live page. Fix it and publish again to resolve the incident."
        ) % {"when": _when(incident.opened_at), "n": incident.pk, "found": found}
    return _(
        "Monitoring opened incident #%(n)s on %(when)s: it found %(found)s on the live page. "
        "Fix the page, or resolve the incident if it is a false alarm."
    ) % {"when": _when(incident.opened_at), "n": incident.pk, "found": found}


def active_incident(page_id: int) -> Banner | None:
    incident = (
        Incident.objects.filter(page_id=page_id, state__in=ACTIVE_INCIDENT)
        .select_related("screening_run")
        .order_by("-opened_at")
        .first()
    )
    if incident is None:
        return None
    return Banner("error", _incident_text(incident, check_labels()))


def for_edit_view(page_id: int) -> list[Banner]:
    """Banners for the page's edit view, most urgent first (two or three queries)."""
    return [b for b in (active_incident(page_id), changes_requested(page_id)) if b]


def for_listing(page_ids) -> Banner | None:
    """One banner for a listing of pages: how many of them monitoring unpublished or has an
    active incident on (one query)."""
    states = list(
        Incident.objects.filter(page_id__in=page_ids, state__in=ACTIVE_INCIDENT)
        .values_list("page__title", "state")
        .distinct()
    )
    if not states:
        return None
    unpublished = sorted({t for t, s in states if s == IncidentState.UNPUBLISHED})
    open_ = sorted({t for t, s in states if s != IncidentState.UNPUBLISHED} - set(unpublished))
    parts = []
    if unpublished:
        parts.append(
            ngettext(
                "Monitoring unpublished %(n)s page here: %(titles)s.",
                "Monitoring unpublished %(n)s pages here: %(titles)s.",
                len(unpublished),
            )
            % {"n": len(unpublished), "titles": ", ".join(f"“{t}”" for t in unpublished[:5])}
        )
    if open_:
        parts.append(
            ngettext(
                "%(n)s page here has an open incident: %(titles)s.",
                "%(n)s pages here have an open incident: %(titles)s.",
                len(open_),
            )
            % {"n": len(open_), "titles": ", ".join(f"“{t}”" for t in open_[:5])}
        )
    return Banner("error" if unpublished else "warning", " ".join(parts))
