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


def connect() -> None:
    page_published.connect(_on_page_published, dispatch_uid="ecm_ops.page_published")
    task_cancelled.connect(_on_task_cancelled, dispatch_uid="ecm_ops.task_cancelled")
    page_published.connect(_refresh_fingerprint, dispatch_uid="ecm_ops.fingerprint.published")
    page_unpublished.connect(_refresh_fingerprint, dispatch_uid="ecm_ops.fingerprint.unpublished")
