from django.urls import path

from . import drafts, review

app_name = "ecm_ops"
urlpatterns = [
    path("pages/<int:page_id>/generate/", drafts.generate, name="generate"),
    path("drafts/<int:pk>/", drafts.draft_status, name="draft_status"),
    path("drafts/<int:pk>/cancel/", drafts.draft_cancel, name="draft_cancel"),
    path("reviews/", review.queue, name="review_queue"),
]
