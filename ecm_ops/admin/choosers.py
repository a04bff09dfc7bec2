"""User and group choosers (Wagtail's generic chooser modal, with a search box) for the
authority screens. Only active people can be chosen, never django-guardian's anonymous user.
They are not registered as the site-wide widget for user foreign keys (``register_widget``)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.conf import settings as guardian_settings
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet


def anonymous_usernames() -> set[str]:
    """Usernames that stand for "not logged in": django-guardian's anonymous user (its
    ``ANONYMOUS_USER_NAME``, "AnonymousUser" by default), even when a site turned it off but
    the row is still there."""
    return {n for n in (guardian_settings.ANONYMOUS_USER_NAME, "AnonymousUser") if n}


def choosable_users():
    """Active users, minus django-guardian's anonymous user row."""
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .exclude(**{f"{User.USERNAME_FIELD}__in": anonymous_usernames()})
        .order_by(User.USERNAME_FIELD)
    )


class _Search(BaseFilterForm):
    q = forms.CharField(
        label=_("Search term"),
        widget=forms.TextInput(attrs={"placeholder": _("Search")}),
        required=False,
    )
    fields_searched: tuple[str, ...] = ()

    def filter(self, objects):
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            condition = Q()
            for name in self.fields_searched:
                condition |= Q(**{f"{name}__icontains": query})
            objects = objects.filter(condition)
            self.is_searching, self.search_query = True, query
        return objects


class UserSearch(_Search):
    fields_searched = ("username", "first_name", "last_name", "email")


class GroupSearch(_Search):
    fields_searched = ("name",)


class UserChooseView(chooser_views.ChooseView):
    filter_form_class = UserSearch


class UserChooseResultsView(chooser_views.ChooseResultsView):
    filter_form_class = UserSearch


class GroupChooseView(chooser_views.ChooseView):
    filter_form_class = GroupSearch


class GroupChooseResultsView(chooser_views.ChooseResultsView):
    filter_form_class = GroupSearch


class UserChooserViewSet(ChooserViewSet):
    model = get_user_model()
    icon = "user"
    choose_one_text = _("Choose a person")
    choose_another_text = _("Choose another person")
    choose_view_class = UserChooseView
    choose_results_view_class = UserChooseResultsView
    register_widget = False
    per_page = 20

    def get_object_list(self):
        return choosable_users()


class GroupChooserViewSet(ChooserViewSet):
    model = Group
    icon = "group"
    choose_one_text = _("Choose a group")
    choose_another_text = _("Choose another group")
    choose_view_class = GroupChooseView
    choose_results_view_class = GroupChooseResultsView
    register_widget = False
    per_page = 20

    def get_object_list(self):
        return Group.objects.order_by("name")


user_chooser = UserChooserViewSet("ecm_ops_user_chooser", url_prefix="ecm-ops/choose-person")
group_chooser = GroupChooserViewSet("ecm_ops_group_chooser", url_prefix="ecm-ops/choose-group")


def safe_widget(viewset):
    """The viewset's chooser widget, re-showing a form with a junk posted value ("y") as
    nothing chosen instead of failing with a 500 (Wagtail's widget looks the value up as a
    primary key as it is)."""
    base = viewset.widget_class

    class Widget(base):
        def get_instance(self, value):
            try:
                return super().get_instance(value)
            except (ValueError, TypeError):
                return None

    Widget.__name__ = base.__name__
    return Widget
