from django.apps import apps
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("django-rq/", include("django_rq.urls")),
    path("", include(wagtail_urls)),
]

if apps.is_installed("wagtail.api.v2"):
    from wagtail.api.v2.router import WagtailAPIRouter
    from wagtail.api.v2.views import PagesAPIViewSet

    api_router = WagtailAPIRouter("wagtailapi")
    api_router.register_endpoint("pages", PagesAPIViewSet)
    # The headless API: pages carry "ai_disclosure" (ecm_ops.disclosure.api).
    urlpatterns.insert(0, path("api/v2/", api_router.urls))

if apps.is_installed("ecm_ops"):  # not in the benchmarks' baseline site (settings/bench_without)
    # Cheap findings polls for the editor (2 queries when nothing changed): see ecm_ops/urls.py.
    urlpatterns.insert(0, path("ecm-ops/", include("ecm_ops.urls")))
