from django.urls import path

from . import audit as audit_views
from . import authority as authority_views

from . import drafts, review

app_name = "ecm_ops"
urlpatterns = [
    path("pages/<int:page_id>/generate/", drafts.generate, name="generate"),
    path(
        "pages/add/<slug:app_label>/<slug:model_name>/<int:parent_id>/generate/",
        drafts.generate_new,
        name="generate_new",
    ),
    path("drafts/<int:pk>/", drafts.draft_status, name="draft_status"),
    path("drafts/<int:pk>/cancel/", drafts.draft_cancel, name="draft_cancel"),
    path("reviews/", review.queue, name="review_queue"),
    # governance: approval authority, delegation, audit export
    path("authority/", authority_views.index, name="authority"),
    path("authority/<int:pk>/", authority_views.policy_authority, name="policy_authority"),
    path("reviews/<int:pk>/delegate/", authority_views.delegate_case, name="delegate_case"),
    path("audit/", audit_views.export_view, name="audit_export"),
]
