"""Disclosure screens: the readable evidence record of a page's publications in the admin (and
its JSON download), and, outside the admin (``ecm_ops.urls``), the public explanation of the
labels and the optional minimal public evidence of a live page.

Who may read the admin evidence: people who may edit the page, and auditors of its section
(:func:`ecm_ops.services.audit_export.can_view_audit`); everyone else gets a 404, as for a page
they cannot see.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe
from wagtail.models import Page

from ..conf import ecm_settings
from ..disclosure import levels, present
from ..governance.verify import verify
from ..models import DisclosureRecord
from ..services.audit_export import can_view_audit


def _may_read(user, page) -> bool:
    return page.permissions_for_user(user).can_edit() or can_view_audit(user, page)


@require_safe
def page_evidence(request, page_id: int):
    """The evidence records of ``page``, newest first; ``?record=N`` picks one,
    ``?format=json`` downloads it."""
    page = get_object_or_404(Page, pk=page_id)
    if not _may_read(request.user, page):
        raise Http404("No page found.")
    records = list(
        DisclosureRecord.objects.filter(page=page)
        .select_related("publication")
        .order_by("-sequence")
    )
    chosen = records[0] if records else None
    wanted = request.GET.get("record", "")
    if wanted:
        if not wanted.isdigit():
            return HttpResponse("“record” must be a record number.", status=400)
        chosen = next((r for r in records if r.sequence == int(wanted)), None)
        if chosen is None:
            raise Http404("This page has no such disclosure record.")
    report = verify(page_ids=[page.pk]) if records else None
    verdict = report.verdicts.get(chosen.publication_id, "not verified") if chosen else None
    chain_problems = (
        [v.message for v in report.violations if v.kind == "disclosure"] if report else []
    )
    if request.GET.get("format") == "json":
        if chosen is None:
            raise Http404("This page has no disclosure record yet.")
        body = {**present.export(chosen), "verifier": verdict, "chain_intact": not chain_problems}
        response = HttpResponse(
            json.dumps(body, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
            content_type="application/json",
        )
        name = f"disclosure-page-{page.pk}-{chosen.sequence}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    ev = chosen.evidence if chosen else {}
    context = {
        "page": page,
        "records": records,
        "record": chosen,
        "ev": ev,
        "level_name": levels.DisclosureLevel(chosen.level).label if chosen else "",
        "fields": [
            (name, f"{share:.0%}")
            for name, share in sorted((ev.get("content") or {}).get("fields", {}).items())
        ],
        "ai_share": f"{chosen.ai_share:.0%}" if chosen else "",
        "verdict": verdict,
        "chain_problems": chain_problems,
        "public_url": present.evidence_url(page) if page.live else "",
    }
    return TemplateResponse(request, "ecm_ops/disclosure/evidence.html", context)


@require_safe
def explained(request):
    """The public page the label links to: what each level means, under this site's table."""
    context = {
        "table": levels.table(),
        "threshold": ecm_settings()["DISCLOSURE"]["AI_GENERATED_SHARE"],
    }
    return TemplateResponse(request, "ecm_ops/disclosure/explained.html", context)


@require_safe
def public_evidence(request, page_id: int):
    """The minimal public evidence of a live, public page (``PUBLIC_EVIDENCE`` only):
    HTML, or JSON with ``?format=json``. 404 for anything not public."""
    if not ecm_settings()["DISCLOSURE"]["PUBLIC_EVIDENCE"]:
        raise Http404("Public disclosure evidence is not enabled on this site.")
    page = Page.objects.filter(pk=page_id, live=True).first()
    if page is None or page.get_view_restrictions().exists():
        raise Http404("No public page found.")
    record = present.latest(page)
    if record is None:
        raise Http404("This page has no disclosure record.")
    data = present.public_minimal(record)
    if request.GET.get("format") == "json":
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    context = {"page": page, "data": data, "explanation_url": present.explanation_url()}
    return TemplateResponse(request, "ecm_ops/disclosure/public_evidence.html", context)
