from django.urls import path

from . import audit as audit_views
from . import authority as authority_views
from . import certification as certification_views
from . import disclosure as disclosure_views
from . import drafts, operations, operations_rows, queue, review, setup
from . import evaluation as evaluation_views
from . import findings as findings_views
from . import incidents as incident_views
from . import notifications as notification_views

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
    path("notifications/", notification_views.notification_list, name="notifications"),
    path(
        "notifications/results/",
        notification_views.notification_results,
        name="notifications_results",
    ),
    path(
        "notifications/<int:pk>/open/",
        notification_views.open_notification,
        name="notification_open",
    ),
    path(
        "notifications/read-all/", notification_views.mark_all_read, name="notifications_read_all"
    ),
    path("notifications/failed/", notification_views.failed_emails, name="failed_emails"),
    path(
        "notifications/failed/results/",
        notification_views.failed_emails_results,
        name="failed_emails_results",
    ),
    path("audit/", audit_views.audit_trail, name="audit_trail"),
    path("audit/results/", audit_views.audit_trail_results, name="audit_trail_results"),
    path("audit/published/", audit_views.export_view, name="audit_export"),
    path(
        "pages/<int:page_id>/disclosure/",
        disclosure_views.page_evidence,
        name="disclosure_evidence",
    ),
    path("setup/", setup.SetupView.as_view(), name="setup"),
    path("setup/summary/", setup.readiness_summary, name="readiness_summary"),
    # prompt evaluation and promotion
    path("evaluation/runs/", evaluation_views.run_list, name="evaluation_runs"),
    path(
        "evaluation/runs/results/",
        evaluation_views.run_list_results,
        name="evaluation_runs_results",
    ),
    path("evaluation/runs/<int:pk>/", evaluation_views.run_detail, name="evaluation_run"),
    path("templates/<int:pk>/evaluate/", evaluation_views.run_evaluation, name="evaluate"),
    path(
        "templates/<int:pk>/promote/<int:version_pk>/",
        evaluation_views.promote,
        name="promote_template",
    ),
    path("templates/<int:pk>/suite/import/", evaluation_views.import_suite, name="suite_import"),
    path("templates/<int:pk>/suite/export/", evaluation_views.export_suite, name="suite_export"),
    path(
        "evaluation/case-from/<str:kind>/<int:pk>/",
        evaluation_views.case_from_production,
        name="case_from_production",
    ),
    # operations dashboard (issue 11)
    path("operations/", operations.dashboard, name="operations"),
    path("operations/api/", operations.api, name="operations_api"),
    path("operations/baseline/", operations.baseline, name="operations_baseline"),
    path(
        "operations/alerts/<int:pk>/acknowledge/",
        operations.acknowledge,
        name="operations_acknowledge",
    ),
    path("operations/rows/<slug:kind>/", operations_rows.rows, name="operations_rows"),
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
