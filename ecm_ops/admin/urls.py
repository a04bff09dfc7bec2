from django.urls import path

from . import audit as audit_views
from . import authority as authority_views
from . import certification as certification_views
from . import drafts, queue, review
from . import findings as findings_views
from . import incidents as incident_views

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
    path("reviews/", queue.queue, name="review_queue"),
    path("reviews/results/", queue.queue_results, name="review_queue_results"),
    path("reviews/<int:pk>/", review.case_detail, name="review_case"),
    path("reviews/<int:pk>/preview/", review.case_preview, name="review_case_preview"),
    path(
        "pages/<int:page_id>/publish-override/",
        review.publish_override,
        name="publish_override",
    ),
    path("pages/<int:page_id>/findings/", findings_views.page_findings, name="page_findings"),
    path(
        "screenings/<int:run_id>/override/",
        findings_views.screening_override,
        name="screening_override",
    ),
    path("pages/<int:page_id>/monitoring/", incident_views.page_monitoring, name="page_monitoring"),
    path("incidents/", incident_views.incident_list, name="incidents"),
    path("incidents/results/", incident_views.incident_results, name="incidents_results"),
    path("incidents/<int:pk>/", incident_views.incident_detail, name="incident_detail"),
    # governance: approval authority, delegation, audit export
    path("authority/", authority_views.index, name="authority"),
    path("authority/results/", authority_views.index_results, name="authority_results"),
    path("authority/<int:pk>/", authority_views.policy_authority, name="policy_authority"),
    path("reviews/<int:pk>/delegate/", authority_views.delegate_case, name="delegate_case"),
    path("audit/", audit_views.audit_trail, name="audit_trail"),
    path("audit/results/", audit_views.audit_trail_results, name="audit_trail_results"),
    path("audit/published/", audit_views.export_view, name="audit_export"),
    # reviewer certification
    path("certification/", certification_views.my_certifications, name="certifications"),
    path("certification/<int:pk>/take/", certification_views.take, name="certification_take"),
    path(
        "certification/attempts/<int:pk>/",
        certification_views.result,
        name="certification_result",
    ),
    path("certification/records/", certification_views.records, name="certification_records"),
    path(
        "certification/records/results/",
        certification_views.records_results,
        name="certification_records_results",
    ),
]
