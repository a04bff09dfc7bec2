from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "sandbox_site.content"
    label = "content"
    default_auto_field = "django.db.models.BigAutoField"
