"""The prompt library: template status transitions and new immutable versions.

The only caller of :class:`~ecm_ops.models.PromptTemplate` transitions. Every change has the
same shape: ``transaction.atomic``, a guard (permission, then condition) with a message a site
admin understands, ``save()``, then an audit entry.

A template becomes active only by promotion (:mod:`ecm_ops.services.promotion`): there is no
"activate" button. Saving a changed prompt creates a new immutable *candidate* version; what
editors draft with (``promoted_version``) does not change here.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django_fsm import can_proceed

from ..models import PromptTemplate, PromptTemplateVersion
from . import PermissionDenied, ServiceError, audit

#: transition method -> (button label, audit action)
TRANSITIONS = {
    "start_evaluation": ("Start evaluation", "ecm_ops.template.evaluating"),
    "return_to_draft": ("Return to draft", "ecm_ops.template.returned_to_draft"),
    "retire": ("Retire", "ecm_ops.template.retired"),
    "reopen": ("Reopen as draft", "ecm_ops.template.reopened"),
}
#: The versioned content: changing any of these creates version N+1.
VERSIONED_FIELDS = ("instructions", "variables", "output_fields", "model_name", "max_tokens")


def can_manage(user) -> bool:
    """Site admins: whoever may change prompt templates (superusers, or the model permission)."""
    return bool(user and user.is_active and user.has_perm("ecm_ops.change_prompttemplate"))


def available_transitions(template: PromptTemplate) -> list[tuple[str, str]]:
    """``[(method name, label)]`` the template can take now (conditions met)."""
    return [
        (t.name, TRANSITIONS[t.name][0])
        for t in template.get_available_status_transitions()
        if t.name in TRANSITIONS
    ]


@transaction.atomic
def transition(template_pk: int, name: str, user) -> PromptTemplate:
    """Move a template along its life cycle.

    Raises:
        PermissionDenied: the user may not manage prompt templates.
        ServiceError: unknown transition, or not possible from the current status.
    """
    if not can_manage(user):
        raise PermissionDenied("Only site administrators can change a prompt template's status.")
    if name not in TRANSITIONS:
        raise ServiceError(f"Unknown status change “{name}”.", status=404)
    template = PromptTemplate.objects.select_for_update().get(pk=template_pk)
    method = getattr(template, name)
    if not can_proceed(method):
        before = template.get_status_display().lower()
        hint = " Save a version first." if not template.versions.exists() else ""
        raise ServiceError(
            f"“{template}” is {before}; “{TRANSITIONS[name][0]}” is not possible now.{hint}",
            status=409,
        )
    before = template.status
    method()
    template.save(update_fields=["status"])
    audit.record(
        template,
        TRANSITIONS[name][1],
        user,
        template=template.slug,
        source=before,
        target=template.status,
    )
    return template


def _versioned(values: dict) -> dict:
    return {name: values[name] for name in VERSIONED_FIELDS}


@transaction.atomic
def save_template(template: PromptTemplate, versioned: dict, user, *, m2m=None):
    """Save a template and, when the versioned content changed, a new immutable version.

    Args:
        template: the (unsaved changes of the) template; saved here.
        versioned: the values of :data:`VERSIONED_FIELDS` the admin submitted.
        m2m: an optional callable saving many-to-many data (a ModelForm's ``save_m2m``).
    Returns:
        ``(template, version)``: ``version`` is the new version, or None if nothing changed.
    Raises:
        PermissionDenied: the user may not manage prompt templates.
    """
    if not can_manage(user):
        raise PermissionDenied("Only site administrators can edit prompt templates.")
    created = template.pk is None
    template.save()
    if m2m is not None:
        m2m()
    locked = PromptTemplate.objects.select_for_update().get(pk=template.pk)
    current = locked.latest_version
    values = _versioned(versioned)
    if current is not None and _versioned(current.__dict__) == values:
        version = None
    else:
        number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = PromptTemplateVersion.objects.create(
            template=locked, number=number, created_by=user, **values
        )
    audit.record(
        template,
        "ecm_ops.template.created" if created else "ecm_ops.template.edited",
        user,
        template=template.slug,
        version=version.number if version else (current.number if current else None),
    )
    return template, version
