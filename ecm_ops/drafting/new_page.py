"""Generate a NEW page with AI, from the page create view.

Design: an editor who starts "Add child page → News article" and would rather start from a brief
clicks "Generate this page with AI" in the AI panel of the create form. That opens the same brief
screen as for an existing page, under the chosen parent and page type. Submitting it creates the
page as an unpublished draft (title from the topic, a free slug) and queues the AI draft against
it in the same transaction: a refused brief or template leaves no empty page behind. The editor
then watches the status and lands in the normal page editor with the AI revision, exactly as for
an existing page; nothing is published, and the usual review workflow applies.

Nothing typed into the unsaved create form is carried over: the create view asks before leaving
when it has unsaved input (see ``static/ecm_ops/js/generate.js``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from ..models import DraftRequest
from ..services import PermissionDenied, ServiceError
from .brief import BriefError, clean_brief
from .service import request_draft


def can_create(parent, page_model, user) -> bool:
    return bool(
        page_model.can_create_at(parent) and parent.permissions_for_user(user).can_add_subpage()
    )


def _free_slug(parent, base: str) -> str:
    base = (slugify(base) or "ai-draft")[:60].strip("-") or "ai-draft"
    taken = set(parent.get_children().filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_page_and_request_draft(
    parent, page_model, template_slug: str, brief: dict, user
) -> DraftRequest:
    """Create an unpublished ``page_model`` under ``parent`` and queue an AI draft for it.

    Raises:
        PermissionDenied: the user may not add this page type here.
        ServiceError: the brief, the template or the new page is not acceptable (nothing is
            created).
    """
    if not can_create(parent, page_model, user):
        raise PermissionDenied(
            f"You cannot add a {page_model._meta.verbose_name} under “{parent.title}”."
        )
    try:
        topic = clean_brief({k: v for k, v in brief.items() if k != "variables"})["topic"]
    except BriefError as exc:
        raise ServiceError(str(exc)) from exc
    with transaction.atomic():
        page = page_model(
            title=topic[:1].upper() + topic[1:255],
            slug=_free_slug(parent, topic),
            live=False,
            owner=user,
        )
        try:
            parent.add_child(instance=page)
        except ValidationError as exc:
            raise ServiceError(
                f"A {page_model._meta.verbose_name} cannot be created from a brief alone "
                f"({'; '.join(exc.messages)}). Create the page first, then generate a draft."
            ) from exc
        page.save_revision(user=user, log_action=True)  # as Wagtail's create view does
        return request_draft(page, template_slug, brief, user)
