"""ecm_ops URLs outside the Wagtail admin, for what must be cheaper than an admin request.

Optional: include them in the site's URLconf to make the editor's findings polls cost 2 queries
when nothing changed (instead of about 6 inside the admin, whose wrapper loads the user, its
permissions and its profile on every request)::

    path("ecm-ops/", include("ecm_ops.urls")),

The editor panel uses them when they are included, and the admin URL otherwise.

They also serve the AI disclosure's public pages: the explanation the reader label links to,
and (with ``ECM_OPS["DISCLOSURE"]["PUBLIC_EVIDENCE"]``) a live page's minimal evidence at a
stable URL, ``disclosure/pages/<page id>/``.
"""

from django.urls import path

from .admin import disclosure, findings

app_name = "ecm_ops_public"
urlpatterns = [
    path("pages/<int:page_id>/findings/", findings.page_findings_poll, name="page_findings_poll"),
    path("disclosure/", disclosure.explained, name="disclosure_explained"),
    path(
        "disclosure/pages/<int:page_id>/",
        disclosure.public_evidence,
        name="disclosure_evidence",
    ),
]
