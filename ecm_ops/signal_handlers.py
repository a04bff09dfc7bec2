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
    from wagtail.models import Page, Revision, TaskState, WorkflowState

    if raw:
        return
    if isinstance(instance, Page):
        from .services.publication import before_page_save

        before_page_save(instance, update_fields)
    elif isinstance(instance, Revision | WorkflowState) and _is_page_object(instance):
        from .services.publication import lock_page

        if isinstance(instance, WorkflowState) and instance.pk is not None:
            _refuse_stale_cancel(instance)
        lock_page(instance.object_id)
    elif isinstance(instance, TaskState) and instance.workflow_state_id:
        # Page lock before the task state row, the order approvals take them in (a cancel
        # that updated the task state first and then waited for the page deadlocked with an
        # approval holding the page and waiting for the task state).
        from .services.publication import lock_page

        state = WorkflowState.objects.filter(pk=instance.workflow_state_id)
        row = state.values_list("object_id", "base_content_type__app_label").first()
        if row and row[1] == "wagtailcore":
            lock_page(row[0])


def _refuse_stale_cancel(instance) -> None:
    """Wagtail's ``WorkflowState.cancel`` checks the status of the object it holds, outside a
    transaction; an approval may have finished (and published) the workflow since. Cancelling
    it then would leave a published page with a cancelled workflow: re-check the status under
    the page lock (waiting for a running approval) and refuse like Wagtail itself does."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from wagtail.models import WorkflowState

    from .services.publication import lock_page

    if instance.status != WorkflowState.STATUS_CANCELLED:
        return
    with transaction.atomic():
        lock_page(instance.object_id)
        current = WorkflowState.objects.filter(pk=instance.pk).values_list("status", flat=True)
        current = current.first()
    if current not in (
        None,
        WorkflowState.STATUS_IN_PROGRESS,
        WorkflowState.STATUS_NEEDS_CHANGES,
        WorkflowState.STATUS_CANCELLED,
    ):
        raise PermissionDenied(f"This workflow is already {current}; it cannot be cancelled.")


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
