"""Refused admin actions as a clear 4xx page (or JSON), never Wagtail's silent dashboard redirect.

Wagtail's ``require_admin_access`` turns Django's ``PermissionDenied`` into a redirect to the
dashboard. ecm_ops views raise :class:`ecm_ops.services.ServiceError` (and its
``PermissionDenied``) instead; :func:`refusals` renders the message with the error's status.
"""

from __future__ import annotations

from functools import wraps

from django.http import JsonResponse
from django.template.response import TemplateResponse

from ..services import ServiceError


def wants_json(request) -> bool:
    return (
        request.headers.get("Accept", "").startswith("application/json")
        or request.GET.get("format") == "json"
    )


def refusal(request, exc: ServiceError):
    if wants_json(request):
        return JsonResponse({"error": str(exc)}, status=exc.status)
    return TemplateResponse(
        request, "ecm_ops/refused.html", {"message": str(exc)}, status=exc.status
    )


def refusals(view):
    """View decorator: a ``ServiceError`` becomes a response with its message and status."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ServiceError as exc:
            return refusal(request, exc)

    return wrapper
