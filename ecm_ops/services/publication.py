"""The publication guard: the one place every publish path goes through.

Wagtail publishes from many places (see :mod:`ecm_ops.governance.invariant`); all of them end
in ``Page.save()`` of a live page whose content or live revision changes. A ``pre_save``
receiver calls :func:`before_page_save`, which

1. takes the page row lock (``SELECT ... FOR UPDATE``; revision saves take it too, see
   :func:`lock_page`), so nothing can be saved between the check and the publication;
2. judges the content being written — the object's own fields, not a revision id — with
   :func:`ecm_ops.governance.invariant.evaluate`;
3. records a :class:`~ecm_ops.models.Publication` (digest, AI share, basis, tier, approvers)
   and an audit entry, or refuses with :class:`PublicationRefused` (the save does not happen).

A person publishing without review does it through :func:`publishing_with_override`, which
tells the guard who and why for the duration of one publish call.
"""

from __future__ import annotations

import contextlib
import contextvars

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import connection, transaction

from ..content_checks.canonical import canonical_text
from ..disclosure import record_publication
from ..governance import invariant
from ..models import Publication
from . import PermissionDenied, audit

#: Fields whose saving alone never changes what is live.
NON_CONTENT_FIELDS = frozenset(
    {
        "comments",
        "wagtail_admin_comments",
        "latest_revision_created_at",
        "latest_revision",
        "draft_title",
        "has_unpublished_changes",
        "locked",
        "locked_at",
        "locked_by",
        "url_path",
        "path",
        "depth",
        "numchild",
        "first_published_at",
        "last_published_at",
        "expired",
        "go_live_at",
        "expire_at",
        "live",  # unpublishing; a save that makes a page live is judged below
    }
)

_override: contextvars.ContextVar = contextvars.ContextVar("ecm_ops_publish_override", default=None)


class PublicationRefused(PermissionDenied, DjangoPermissionDenied):
    """Publishing this content would break the publication invariant. A Django
    ``PermissionDenied`` too, so a request that reaches it answers 403, never 500."""

    def __init__(self, message: str, verdict=None):
        super().__init__(message)
        self.verdict = verdict


def lock_page(page_id) -> None:
    """Take the page row lock for the rest of the transaction (no-op outside one, and on
    databases without row locks, where writes are serialised anyway)."""
    if page_id and connection.in_atomic_block and connection.features.has_select_for_update:
        from wagtail.models import Page

        list(Page.objects.select_for_update().filter(pk=page_id).values_list("pk", flat=True))


@contextlib.contextmanager
def publishing_with_override(user, reason: str):
    """Within this block, a publication that lacks the review quorum is allowed when ``user``
    is a non-conflicted holder of the override authority with a reason (checked by the
    invariant, recorded as basis "override")."""
    token = _override.set(invariant.PublishOverride(user=user, reason=reason))
    try:
        yield
    finally:
        _override.reset(token)


def _content_object(instance):
    """The specific object whose content goes live (a base ``Page`` save keeps the specific
    fields that are in the database)."""
    if instance.pk is None or isinstance(instance, instance.specific_class):
        return instance
    specific = instance.specific_class.objects.get(pk=instance.pk)
    for f in instance._meta.concrete_fields:
        setattr(specific, f.attname, getattr(instance, f.attname))
    return specific


def _changes_live_content(instance, update_fields) -> bool:
    if not instance.live:
        return False
    return update_fields is None or not set(update_fields) <= NON_CONTENT_FIELDS


def before_page_save(instance, update_fields=None) -> None:
    """Judge a page save that would change what is live; record it or refuse it.

    Raises:
        PublicationRefused: the content would go live without the review it needs.
    """
    if not _changes_live_content(instance, update_fields):
        return
    if instance.pk is not None and not connection.in_atomic_block:
        # Publish from code outside a transaction: judge and record atomically anyway.
        with transaction.atomic():
            return _judge_and_record(instance)
    _judge_and_record(instance)


def _judge_and_record(instance) -> None:
    lock_page(instance.pk)
    obj = _content_object(instance)
    doc = canonical_text(obj)
    from ..content_checks.identity import content_digest

    digest = content_digest(doc)
    if instance.pk is not None:
        last = (
            Publication.objects.filter(page_id=instance.pk)
            .order_by("-published_at", "-pk")
            .values_list("content_digest", "revision_id")
            .first()
        )
        if last == (digest, instance.live_revision_id):
            return  # the same content and revision again: nothing new goes live
    # A new page (a copy saved live) has no history of its own: judged by its content alone
    # (its pk is None, so it has no screening, approvals or conflicts yet).
    override = _override.get()
    verdict = invariant.evaluate(instance, obj, doc=doc, override=override)
    actor = override.user if override else None
    if not verdict.ok:
        if instance.pk is not None:
            audit.record(
                obj,
                "ecm_ops.publish.refused",
                actor,
                digest=verdict.digest,
                ai_share=verdict.ai_share,
                reason=verdict.message,
            )
        raise PublicationRefused(
            f"“{instance.title}” cannot be published: {verdict.message}", verdict
        )
    if instance.pk is not None:
        _record(instance, verdict, actor, override, obj)
    # else: a new page saved live (a copy kept live) is recorded by after_page_save.


def _record(instance, verdict, actor, override, obj=None) -> Publication:
    obj = obj if obj is not None else instance
    publication = Publication.objects.create(
        page_id=instance.pk,
        revision_id=instance.live_revision_id,
        content_digest=verdict.digest,
        user=actor if getattr(actor, "pk", None) else None,
        ai_share=verdict.ai_share,
        basis=verdict.basis,
        case_id=verdict.case_id,
        screening_run=verdict.run,
        tier=verdict.tier,
        tier_level=verdict.tier.level if verdict.tier else None,
        policy_hash=verdict.policy_hash,
        reasons=[override.reason] if override else verdict.reasons[:1],
        content=obj.serializable_data(),
    )
    record_publication(publication, verdict, obj, override)  # issue 12: AI disclosure
    return publication


def after_page_save(instance, created: bool) -> None:
    """A page created live (a copy kept live) is recorded once it has an id."""
    if created and instance.live:
        verdict = invariant.evaluate(instance, instance)
        _record(instance, verdict, None, None)


def refusal(page, obj) -> str:
    """'' when ``obj`` (``page``'s content) may go live now, else why not (for the person)."""
    verdict = invariant.evaluate(page, obj, override=_override.get())
    return verdict.message if not verdict.ok else ""
