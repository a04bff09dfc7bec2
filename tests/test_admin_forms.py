"""Risk-rule list fields as widgets people can use: page types ticked from the site's page
models, checks from the registry by label with their severities, topics with Wagtail's tag
widget; nothing stored is lost when it is no longer offered."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ecm_ops.admin.policies import risk_policies
from ecm_ops.admin.widgets import check_choices, page_type_choices
from ecm_ops.models import ReviewTier, RiskPolicy, RiskRule

from .test_policy_admin import admin_client, culture, policy_data, rule, tier  # noqa: F401

pytestmark = pytest.mark.django_db


def test_choices_come_from_the_site_and_the_registry(demo):
    types = dict(page_type_choices())
    assert types["content.newsarticle"] == "News article (Content)"
    assert "wagtailcore.page" not in types
    checks = dict(check_choices())
    assert checks["*"] == "Any check"
    assert checks["pii"].startswith("Personal data")
    # Each finding a check can produce, by label and severity (no bare ids).
    assert checks["pii.email"].strip() == "Personal data (email) — blocker"
    assert checks["claims.medical"].strip() == "Claims to verify (medical) — warning"


def test_the_rule_form_shows_widgets_and_saves_lists(demo, culture, admin_client):  # noqa: F811
    add_url = reverse(risk_policies.get_url_name("add"))
    response = admin_client.post(add_url, policy_data(culture, [tier("Review", 2)]))
    assert response.status_code == 302
    policy = RiskPolicy.objects.get(section=culture)
    review = ReviewTier.objects.get(policy=policy)
    edit_url = reverse(risk_policies.get_url_name("edit"), args=[policy.pk])
    html = admin_client.get(edit_url).content.decode()
    # Checkboxes for checks, the tag widget (Wagtail's w-tag controller), no JSON hints.
    assert 'value="pii.email"' in html and "Personal data (email) — blocker" in html
    assert 'data-controller="w-tag"' in html
    data = policy_data(
        culture,
        [tier("Review", 2, pk=review.pk)],
        [
            rule(
                "Health types",
                review.pk,
                tags="medication, “side effects”",
            )
        ],
        initial_tiers=1,
    )
    # Ticked boxes post one value each (nested_form_data would number list items).
    data["rules-0-page_types"] = ["content.newsarticle", "content.advicearticle"]
    data["rules-0-finding_checks"] = ["claims.medical", "pii"]
    data["unpublish_checks"] = ["pii", "claims.medical"]
    response = admin_client.post(edit_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = RiskRule.objects.get(policy=policy)
    assert saved.page_types == ["content.newsarticle", "content.advicearticle"]
    assert saved.finding_checks == ["claims.medical", "pii"]
    assert "medication" in saved.tags and len(saved.tags) == 2
    policy.refresh_from_db()
    assert policy.unpublish_checks == ["pii", "claims.medical"]


def test_a_stored_value_no_longer_offered_stays_visible(demo, culture, admin_client):  # noqa: F811
    add_url = reverse(risk_policies.get_url_name("add"))
    admin_client.post(add_url, policy_data(culture, [tier("Review", 2)]))
    policy = RiskPolicy.objects.get(section=culture)
    review = ReviewTier.objects.get(policy=policy)
    RiskRule.objects.create(
        policy=policy, name="Old", tier=review, page_types=["gone.oldpage"], tags=["x"]
    )
    html = admin_client.get(reverse(risk_policies.get_url_name("edit"), args=[policy.pk]))
    html = html.content.decode()
    assert "gone.oldpage (no longer available)" in html
    assert re.search(r'value="gone.oldpage"[^>]*checked', html)  # kept ticked
