"""Wagtail/Django signals -> services. No logic of its own."""

from __future__ import annotations

from wagtail.signals import page_published, page_unpublished, task_cancelled


def _on_page_published(sender, instance, revision=None, **kwargs):
    from .monitoring.service import on_published

    on_published(instance, user=kwargs.get("user"))


def _refresh_fingerprint(sender, instance, **kwargs):
    from .content_checks.fingerprints import refresh_fingerprint

    refresh_fingerprint(instance)


def _on_task_cancelled(sender, instance, user=None, **kwargs):
    from .services.review import withdraw_for_task_state

    withdraw_for_task_state(instance.pk, user=user, reason="The review task was cancelled.")


def _before_save(sender, instance, update_fields=None, raw=False, **kwargs):
    """Every publish path ends in a live page's save; every revision save takes the page
    lock first (so a save cannot slip between an approval and its publication)."""
    from wagtail.models import Page, Revision, WorkflowState

    if raw:
        return
    if isinstance(instance, Page):
        from .services.publication import before_page_save

        before_page_save(instance, update_fields)
    elif isinstance(instance, Revision | WorkflowState) and _is_page_object(instance):
        from .services.publication import lock_page

        lock_page(instance.object_id)


def _after_save(sender, instance, created=False, raw=False, **kwargs):
    from wagtail.models import Page, Revision

    if raw:
        return
    if isinstance(instance, Page):
        from .services.publication import after_page_save

        after_page_save(instance, created)
    elif isinstance(instance, Revision) and _is_page_object(instance):
        from .services.page_events import revision_saved

        revision_saved(instance)


def _is_page_object(instance) -> bool:
    from wagtail.models import Page

    ct = instance.base_content_type
    return ct.app_label == "wagtailcore" and ct.model == Page._meta.model_name


def connect() -> None:
    from django.db.models.signals import post_save, pre_save

    pre_save.connect(_before_save, dispatch_uid="ecm_ops.publication_guard")
    post_save.connect(_after_save, dispatch_uid="ecm_ops.after_save")
    page_published.connect(_on_page_published, dispatch_uid="ecm_ops.page_published")
    task_cancelled.connect(_on_task_cancelled, dispatch_uid="ecm_ops.task_cancelled")
    page_published.connect(_refresh_fingerprint, dispatch_uid="ecm_ops.fingerprint.published")
    page_unpublished.connect(_refresh_fingerprint, dispatch_uid="ecm_ops.fingerprint.unpublished")
