"""Small helpers to build test data in code."""

from __future__ import annotations

from django.urls import reverse
from wagtail.models import PageLogEntry
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield


def log_actions(page) -> list[str]:
    return list(
        PageLogEntry.objects.filter(page=page)
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


def edit_form_data(page, action: str | None = None, **overrides) -> dict:
    """POST data for Wagtail's page edit view, from the page's latest revision."""
    latest = page.get_latest_revision_as_object()
    data = {
        "title": latest.title,
        "slug": latest.slug,
        "intro": getattr(latest, "intro", ""),
        "tags": "",
        "comments": {
            "TOTAL_FORMS": 0,
            "INITIAL_FORMS": 0,
            "MIN_NUM_FORMS": 0,
            "MAX_NUM_FORMS": 1000,
        },
    }
    body = getattr(latest, "body", None)
    if hasattr(body, "stream_block"):
        data["body"] = streamfield(
            [(child.block_type, rich_text(child.value.source)) for child in body]
        )
    else:
        data["body"] = rich_text(body or "<p></p>")
    data.update(overrides)
    form = nested_form_data(data)
    if action:
        form[f"action-{action}"] = action
    return form


def edit_url(page) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def workflow_action_url(page, action: str, task_state) -> str:
    return reverse("wagtailadmin_pages:workflow_action", args=[page.pk, action, task_state.pk])
