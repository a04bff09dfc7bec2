"""``manage.py ecm_ops_demo``: idempotent, and the printed logins work in the admin login form."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from guardian.models import GroupObjectPermission, UserObjectPermission
from wagtail.models import GroupPagePermission, Page, Revision, Workflow, WorkflowTask

from ecm_ops.models import (
    PromptTemplate,
    PromptTemplateVersion,
    ReviewTier,
    RiskPolicy,
    RiskRule,
    StyleGuide,
)
from sandbox_site.content.demo_data import DEMO_USERS

pytestmark = pytest.mark.django_db

COUNTED = [
    get_user_model(),
    Group,
    Page,
    Revision,
    GroupPagePermission,
    RiskPolicy,
    RiskRule,
    ReviewTier,
    StyleGuide,
    PromptTemplate,
    PromptTemplateVersion,
    Workflow,
    WorkflowTask,
    UserObjectPermission,
    GroupObjectPermission,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def run_demo() -> str:
    out = StringIO()
    call_command("ecm_ops_demo", stdout=out)
    return out.getvalue()


def printed_logins(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(\w+)\s+/\s+(\S+)", output, flags=re.MULTILINE))


def test_demo_is_idempotent():
    run_demo()
    first = counts()
    demo_users = get_user_model().objects.filter(username__in=DEMO_USERS)
    assert demo_users.count() == len(DEMO_USERS)
    assert first["RiskPolicy"] == 2 and first["PromptTemplate"] >= 2
    run_demo()
    assert counts() == first


def test_demo_prints_every_login():
    logins = printed_logins(run_demo())
    assert set(logins) == set(DEMO_USERS)
    assert logins == {name: spec[0] for name, spec in DEMO_USERS.items()}


@pytest.mark.parametrize("username", list(DEMO_USERS))
def test_printed_logins_work_in_the_admin_login_form(client, username):
    password = printed_logins(run_demo())[username]
    response = client.post(
        reverse("wagtailadmin_login"), {"username": username, "password": password}
    )
    assert response.status_code == 302, response.content[:500]
    dashboard = client.get(reverse("wagtailadmin_home"))
    assert dashboard.status_code == 200
    assert dashboard.context["user"].username == username


def test_a_wrong_password_is_refused(client):
    run_demo()
    response = client.post(
        reverse("wagtailadmin_login"), {"username": "editor", "password": "not-the-password"}
    )
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert client.get(reverse("wagtailadmin_home")).status_code == 302


def test_rerunning_keeps_a_changed_password():
    # The demo never resets a password someone changed (get_or_create, not update).
    run_demo()
    user = get_user_model().objects.get(username="editor")
    user.set_password("changed-by-the-editor")
    user.save()
    run_demo()
    user.refresh_from_db()
    assert user.check_password("changed-by-the-editor")


def test_demo_seeds_a_flushed_database():
    # A transactional test flushes the rows Wagtail's migrations created (root page, locale,
    # site); seeding must not depend on them.
    from wagtail.models import Locale, Site

    from sandbox_site.content.models import HomePage

    Site.objects.all().delete()
    Page.objects.all().delete()
    Locale.objects.all().delete()
    run_demo()
    site = Site.objects.get(is_default_site=True)
    assert site.root_page.specific_class is HomePage
    assert Page.objects.get(depth=1).get_children().get().specific_class is HomePage
    for username in ("editor", "senior", "legal"):  # Wagtail's own groups are gone too
        user = get_user_model().objects.get(username=username)
        assert user.has_perm("wagtailadmin.access_admin"), username
