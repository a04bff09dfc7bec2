"""Site admins configure risk policies in the Wagtail admin: tiers and ordered rules inline,
with clear validation errors and warnings; nobody else may change them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from ecm_ops.admin.policies import risk_policies
from ecm_ops.governance.classification import classify
from ecm_ops.models import ReviewTier, RiskPolicy, RiskRule
from sandbox_site.content.models import NewsArticle, SectionPage

pytestmark = pytest.mark.django_db

EMPTY_RULES = inline_formset([])


def tier(label, level, pk=None, approvals=1, group="", skip=False, sla=24):
    data = {
        "label": label,
        "level": level,
        "approvals_required": approvals,
        "required_group": group,
        "sla_hours": sla,
        "monitoring_cadence_hours": 168,
    }
    if skip:
        data["auto_skip_allowed"] = "on"
    if pk:
        data["id"] = pk
    return data


def rule(name, tier_pk, **conditions):
    data = {
        "name": name,
        "tier": tier_pk,
        "page_types": "",
        "section": "",
        "tags": "",
        "finding_checks": "",
        "finding_min_severity": "",
        "min_score": "",
        "min_ai_share": "",
        "min_template_risk": "",
    }
    data.update(conditions)
    return data


def policy_data(section, tiers, rules=(), initial_tiers=0, initial_rules=0, **fields):
    data = {
        "name": "Culture",
        "section": section.pk,
        "minimum_level": 1,
        "max_send_backs": 2,
        "escalation_group": "",
        "tiers": inline_formset(list(tiers), initial=initial_tiers),
        "rules": inline_formset(list(rules), initial=initial_rules),
    }
    data.update(fields)
    return nested_form_data(data)


@pytest.fixture
def culture(demo):
    return demo["home"].add_child(instance=SectionPage(title="Culture", slug="culture"))


@pytest.fixture
def admin_client(demo, client):
    client.force_login(demo["users"]["admin"])
    return client


def errors_of(response) -> str:
    return response.content.decode()


def test_create_then_add_ordered_rules_and_they_classify(demo, culture, admin_client):
    add_url = reverse(risk_policies.get_url_name("add"))
    response = admin_client.post(
        add_url, policy_data(culture, [tier("Low", 1, skip=True), tier("Review", 2, approvals=2)])
    )
    assert response.status_code == 302, errors_of(response)[:3000]
    policy = RiskPolicy.objects.get(section=culture)
    low, rev = ReviewTier.objects.filter(policy=policy).order_by("level")
    assert (low.label, low.auto_skip_allowed, rev.approvals_required) == ("Low", True, 2)

    edit_url = reverse(risk_policies.get_url_name("edit"), args=[policy.pk])
    response = admin_client.post(
        edit_url,
        policy_data(
            culture,
            [tier("Low", 1, pk=low.pk, skip=True), tier("Review", 2, pk=rev.pk, approvals=2)],
            [
                rule("Obituaries", rev.pk, tags='["obituary"]'),
                rule("Warnings", rev.pk, finding_checks='["*"]', finding_min_severity="warning"),
            ],
            initial_tiers=2,
        ),
    )
    assert response.status_code == 302, errors_of(response)[:3000]
    rules = list(RiskRule.objects.filter(policy=policy).order_by("sort_order"))
    assert [r.name for r in rules] == ["Obituaries", "Warnings"]
    assert rules[0].tags == ["obituary"] and rules[0].page_types == []
    listing = admin_client.get(reverse(risk_policies.get_url_name("index")))
    assert listing.status_code == 200
    assert reverse("ecm_ops:policy_authority", args=[policy.pk]) in listing.content.decode()
    form = admin_client.get(edit_url).content.decode()
    assert "Classification rules (in order)" in form and "Obituaries" in form
    page = culture.add_child(instance=NewsArticle(title="A life", slug="a-life", live=False))
    result = classify(page, tags=["Obituary"])
    assert result.tier == rev
    assert result.summary == "Review because: topic obituary; section Culture requires Low minimum"


def test_rule_pointing_at_another_policys_tier_is_refused(demo, culture, admin_client):
    news_std = ReviewTier.objects.get(policy__name="News", level=2)
    policy = RiskPolicy.objects.create(name="Culture", section=culture)
    own = ReviewTier.objects.create(policy=policy, level=1, label="Low")
    edit_url = reverse(risk_policies.get_url_name("edit"), args=[policy.pk])
    response = admin_client.post(
        edit_url,
        policy_data(
            culture,
            [tier("Low", 1, pk=own.pk)],
            [rule("Borrowed", news_std.pk, tags='["x"]')],
            initial_tiers=1,
        ),
    )
    assert response.status_code == 200
    html = errors_of(response)
    assert "points at tier “News: Standard”, which belongs to another policy" in html
    assert not RiskRule.objects.filter(policy=policy).exists()


def test_duplicate_levels_zero_approvals_and_empty_rules_are_refused(demo, culture, admin_client):
    add_url = reverse(risk_policies.get_url_name("add"))
    response = admin_client.post(
        add_url, policy_data(culture, [tier("Low", 1), tier("Also low", 1)])
    )
    assert response.status_code == 200
    assert "Level 1 is used by more than one tier (“Low”, “Also low”)" in errors_of(response)
    response = admin_client.post(add_url, policy_data(culture, [tier("Low", 1, approvals=0)]))
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in errors_of(response)
    response = admin_client.post(add_url, policy_data(culture, [tier("Low", 1)], minimum_level=3))
    assert "No tier has level 3 or higher" in errors_of(response)
    assert not RiskPolicy.objects.filter(section=culture).exists()
    policy = RiskPolicy.objects.create(name="Culture", section=culture)
    own = ReviewTier.objects.create(policy=policy, level=1, label="Low")
    response = admin_client.post(
        reverse(risk_policies.get_url_name("edit"), args=[policy.pk]),
        policy_data(
            culture, [tier("Low", 1, pk=own.pk)], [rule("Nothing", own.pk)], initial_tiers=1
        ),
    )
    assert "has no condition, so it would never match" in errors_of(response)
    response = admin_client.post(
        reverse(risk_policies.get_url_name("edit"), args=[policy.pk]),
        policy_data(
            culture,
            [tier("Low", 1, pk=own.pk)],
            [rule("Bad JSON", own.pk, tags="[1, 2]")],
            initial_tiers=1,
        ),
    )
    assert "Enter a JSON list of strings" in errors_of(response)
    assert not RiskRule.objects.filter(policy=policy).exists()


def test_required_group_without_members_saves_with_a_warning(demo, culture, admin_client):
    empty = Group.objects.create(name="Nobody yet")
    response = admin_client.post(
        reverse(risk_policies.get_url_name("add")),
        policy_data(culture, [tier("Legal", 1, group=empty.pk)]),
        follow=True,
    )
    assert response.status_code == 200
    policy = RiskPolicy.objects.get(section=culture)
    messages = [str(m) for m in response.context["messages"]]
    assert any("requires an approval from a member of “Nobody yet”" in m for m in messages)
    assert any("Nobody holds approval authority for tier “Legal”" in m for m in messages)
    assert ReviewTier.objects.get(policy=policy).required_group == empty


def test_only_site_admins_may_change_policies(demo, client):
    policy = RiskPolicy.objects.get(name="News")
    before = list(
        ReviewTier.objects.filter(policy=policy).values_list("level", "label", "approvals_required")
    )
    edit_url = reverse(risk_policies.get_url_name("edit"), args=[policy.pk])
    data = policy_data(demo["news"], [tier("Everything", 1)], name="Hijacked")
    for user in (demo["users"]["editor"], demo["users"]["senior"], demo["users"]["legal"]):
        client.force_login(user)
        response = client.post(edit_url, data)
        assert response.status_code in (302, 403)
        if response.status_code == 302:  # Wagtail redirects a refused admin user home
            assert response.url == reverse("wagtailadmin_home")
    client.logout()
    assert client.post(edit_url, data).status_code == 302  # to the login page
    policy.refresh_from_db()
    assert policy.name == "News"
    assert (
        list(
            ReviewTier.objects.filter(policy=policy).values_list(
                "level", "label", "approvals_required"
            )
        )
        == before
    )
    # A user given the model permissions may.
    editor = demo["users"]["editor"]
    for codename in ("change_riskpolicy", "view_riskpolicy"):
        editor.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(editor)
    assert client.get(edit_url).status_code == 200
