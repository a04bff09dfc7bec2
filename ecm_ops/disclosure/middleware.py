"""The optional ``AI-Disclosure`` response header on page responses.

Wagtail's ``before_serve_page`` hook (ecm_ops's wagtail_hooks) notes which page a request
serves; this middleware, when ``ECM_OPS["DISCLOSURE"]["RESPONSE_HEADER"]`` is on, adds the
header to that response. Add it to ``MIDDLEWARE``::

    "ecm_ops.disclosure.middleware.DisclosureHeaderMiddleware",

The value is an HTTP Structured Fields dictionary (RFC 9651): ``level=<level>`` and, for AI
text, ``digital-source-type=<IPTC term>, reviewed=?1|?0`` (e.g. ``AI-Disclosure:
level=ai_unreviewed, digital-source-type=trainedAlgorithmicMedia, reviewed=?0``). The header
name is the one proposed by the Internet-Draft "AI Content Disclosure Header"
(draft-abaris-aicdh, not a standard); the members are ecm_ops's own levels and IPTC terms.
"""

from __future__ import annotations

from ..conf import ecm_settings
from . import present

HEADER = "AI-Disclosure"
REQUEST_ATTR = "_ecm_ops_served_page"


def note_served_page(page, request) -> None:
    """Called from ``before_serve_page``: remember the page this request serves."""
    setattr(request, REQUEST_ATTR, page)


class DisclosureHeaderMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        page = getattr(request, REQUEST_ATTR, None)
        if (
            page is not None
            and response.status_code == 200
            and ecm_settings()["DISCLOSURE"]["RESPONSE_HEADER"]
        ):
            record = present.latest(page)
            if record is not None:
                response[HEADER] = present.header_value(record)
        return response
