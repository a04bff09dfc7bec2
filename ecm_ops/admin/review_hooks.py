"""Hook bodies for the direct-publish guard (registered in ``wagtail_hooks``): turn a refusal
from :mod:`ecm_ops.services.publish_guard` into a message and a redirect.

A person holding the override authority is sent to the override screen (to give a reason);
everyone else back to the editor, where the page stays a draft with the revision saved.
"""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse
from wagtail.admin import messages
from wagtail.models import Page

from ..services import PermissionDenied, publish_guard


def _refused(request, page, message: str):
    messages.error(request, message)
    if publish_guard.can_override(request.user, page):
        return redirect(reverse("ecm_ops:publish_override", args=[page.pk]))
    return redirect(reverse("wagtailadmin_pages:edit", args=[page.pk]))


def before_publish_page(request, page):
    """Page editor's Publish (create and edit views): the new revision is already saved."""
    try:
        publish_guard.check_direct_publish(page, page.get_latest_revision(), request.user)
    except PermissionDenied as exc:
        return _refused(request, page, str(exc))
    return None


def before_bulk_action(request, action_type, objects):
    """Bulk "Publish" from page listings: refuse the whole batch if any page would bypass
    review (nothing is published)."""
    if action_type != "publish":
        return None
    for obj in objects:
        if not isinstance(obj, Page):
            continue
        try:
            publish_guard.check_direct_publish(obj, obj.get_latest_revision(), request.user)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect(reverse("wagtailadmin_pages:edit", args=[obj.pk]))
    return None


def before_copy_page(request, page):
    """Copy with "Publish copies": the copy is a new page with no review of its own, so AI
    text in it cannot go live that way (the publication guard would refuse the save; this
    says so first, with a message)."""
    if request.method != "POST" or not request.POST.get("publish_copies") or not page.live:
        return None
    from ..drafting.provenance import ai_coverage

    if not ai_coverage(page.specific).has_ai_text:
        return None
    messages.error(
        request,
        "A copy of this page cannot be published straight away: it contains AI-written text, "
        "and the copy needs a review of its own. Copy it without “Publish copies” and submit "
        "the copy for review.",
    )
    return redirect(reverse("wagtailadmin_pages:copy", args=[page.pk]))


def after_edit_page(request, page):
    """A revision saved while a review is open supersedes it: the review restarts on it."""
    from ..services.review import revision_saved

    revision_saved(page, request.user)
    return None


def construct_page_action_menu(menu_items, request, context):
    """Wagtail's footer on a page in a risk-tiered review says what each action does:
    "Approve" on an N-of-M review that this approval does not complete is labelled with the
    progress ("Approve (1 of 2)"), not "Approve and Publish"; and "Publish" is not offered
    for content with AI text while its review is open (it would be refused)."""
    page = context.get("page")
    if page is None or page.pk is None or context.get("view") != "edit":
        return
    names = {getattr(item, "name", "") for item in menu_items}
    if "approve" not in names and "action-publish" not in names:
        return  # nothing here to relabel or withhold: no queries (most edit views)
    from ..services.review import approval_progress

    progress = approval_progress(page.pk, request.user)
    if progress is None:
        return
    done, needed, completes = progress
    for item in menu_items:
        if item.__class__.__name__ == "WorkflowMenuItem" and item.name == "approve":
            base = str(item.label).replace(" and Publish", "")
            item.label = base + (
                " and Publish" if completes else f" ({done + 1} of {needed} approvals)"
            )
    if _has_ai_text(page):
        menu_items[:] = [i for i in menu_items if getattr(i, "name", "") != "action-publish"]


def _has_ai_text(page) -> bool:
    from ..drafting.provenance import ai_coverage

    revision = page.get_latest_revision()
    return bool(revision and ai_coverage(revision.as_object()).has_ai_text)
