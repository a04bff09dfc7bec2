"""Approval authority administered in the Wagtail admin: who may approve each tier (users and
groups, via guardian's direct foreign-key tables), grant/revoke with an audit entry on the
tier, per-case delegation, and refusals that change nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from ecm_ops.governance.authority import can_review, has_authority, users_with_authority
from ecm_ops.models import (
    ReviewCase,
    ReviewCaseUserObjectPermission,
    ReviewTier,
    ReviewTierGroupObjectPermission,
    ReviewTierUserObjectPermission,
    RiskPolicy,
)

from .listing_support import count_queries, shown
from .review_support import make_user, news_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def news(demo):
    policy = RiskPolicy.objects.get(section=demo["news"])
    return policy, {t.label: t for t in ReviewTier.objects.filter(policy=policy)}


@pytest.fixture
def manager(demo):
    """Not a superuser: holds the dedicated model permission."""
    user = make_user("authority_admin")
    user.user_permissions.add(Permission.objects.get(codename="manage_authority"))
    return user


def url(policy):
    return reverse("ecm_ops:policy_authority", args=[policy.pk])


def snapshot():
    return (
        sorted(ReviewTierUserObjectPermission.objects.values_list("user_id", "content_object_id")),
        sorted(
            ReviewTierGroupObjectPermission.objects.values_list("group_id", "content_object_id")
        ),
        sorted(ReviewCaseUserObjectPermission.objects.values_list("user_id", "content_object_id")),
        ModelLogEntry.objects.count(),
    )


def test_screen_lists_who_may_approve_each_tier(demo, news, client, manager):
    policy, tiers = news
    client.force_login(manager)
    response = client.get(url(policy))
    assert response.status_code == 200
    rows = {row["tier"].label: row for row in response.context["rows"]}
    assert [u.username for u in rows["Standard"]["users"]] == ["senior"]
    assert rows["Low"]["you"] is False
    health = RiskPolicy.objects.get(section=demo["health"])
    rows = {r["tier"].label: r for r in client.get(url(health)).context["rows"]}
    assert [g.name for g in rows["High"]["groups"]] == ["Legal reviewers"]


def test_manager_grants_and_revokes_with_audit_entries(demo, news, client, manager):
    policy, tiers = news
    newbie = make_user("newbie")
    desk = Group.objects.create(name="News desk")
    client.force_login(manager)
    response = client.post(
        url(policy), {"action": "grant", "tier": tiers["Standard"].pk, "user": newbie.pk}
    )
    assert response.status_code == 302
    response = client.post(
        url(policy), {"action": "grant", "tier": tiers["Low"].pk, "group": desk.pk}
    )
    assert response.status_code == 302
    assert newbie in users_with_authority(tiers["Standard"])
    assert ReviewTierGroupObjectPermission.objects.filter(
        group=desk, content_object=tiers["Low"]
    ).exists()
    entries = ModelLogEntry.objects.filter(action="ecm_ops.authority.granted").order_by("pk")
    assert [
        (e.user, e.object_id, e.data["grantee_user"], e.data["grantee_group"]) for e in entries
    ] == [
        (manager, str(tiers["Standard"].pk), "newbie", None),
        (manager, str(tiers["Low"].pk), None, "News desk"),
    ]
    # Granting again changes nothing and logs nothing.
    client.post(url(policy), {"action": "grant", "tier": tiers["Standard"].pk, "user": newbie.pk})
    assert ModelLogEntry.objects.filter(action="ecm_ops.authority.granted").count() == 2
    # A revoke asks first (nothing changes), then revokes once confirmed.
    revoke = {"action": "revoke", "tier": tiers["Standard"].pk, "user": newbie.pk}
    response = client.post(url(policy), revoke)
    assert response.status_code == 200 and b"data-ecm-confirm-revoke" in response.content
    assert newbie in users_with_authority(tiers["Standard"])
    assert not ModelLogEntry.objects.filter(action="ecm_ops.authority.revoked").exists()
    response = client.post(url(policy), {**revoke, "confirmed": "True"})
    assert response.status_code == 302
    assert newbie not in users_with_authority(tiers["Standard"])
    revoked = ModelLogEntry.objects.get(action="ecm_ops.authority.revoked")
    assert revoked.data["tier"] == "Standard" and revoked.user == manager
    # The new holder shows on the screen.
    rows = {r["tier"].label: r for r in client.get(url(policy)).context["rows"]}
    assert [g.name for g in rows["Low"]["groups"]] == ["News desk"]


def test_refusals_change_nothing(demo, news, client):
    policy, tiers = news
    newbie = make_user("newbie")
    grant = {"action": "grant", "tier": tiers["Standard"].pk, "user": newbie.pk}
    before = snapshot()
    # A reviewer with authority in this policy may look but not change.
    client.force_login(demo["users"]["senior"])
    assert client.get(url(policy)).status_code == 200
    assert client.post(url(policy), grant).status_code == 403
    # Someone without authority in the policy may not even look.
    client.force_login(demo["users"]["editor"])
    assert client.get(url(policy)).status_code == 403
    assert client.post(url(policy), grant).status_code == 403
    client.force_login(demo["users"]["legal"])  # authority in Health, not in News
    assert client.get(url(policy)).status_code == 403
    client.logout()
    response = client.post(url(policy), grant)
    assert response.status_code == 302 and "login" in response.url
    assert snapshot() == before


def test_bad_input_is_a_400_with_a_message(demo, news, client, manager):
    policy, tiers = news
    health_high = ReviewTier.objects.get(policy__section=demo["health"], level=4)
    newbie = make_user("newbie")
    client.force_login(manager)
    before = snapshot()
    both = client.post(
        url(policy),
        {
            "action": "grant",
            "tier": tiers["Low"].pk,
            "user": newbie.pk,
            "group": Group.objects.first().pk,
        },
    )
    assert both.status_code == 400 and "exactly one" in both.content.decode()
    other = client.post(url(policy), {"action": "grant", "tier": health_high.pk, "user": newbie.pk})
    assert other.status_code == 400 and "Select a valid choice" in other.content.decode()
    junk = client.post(url(policy), {"action": "explode", "tier": "x", "user": "y"})
    assert junk.status_code == 400
    assert client.get(reverse("ecm_ops:policy_authority", args=[999999])).status_code == 404
    newbie.is_active = False
    newbie.save()
    inactive = client.post(
        url(policy), {"action": "grant", "tier": tiers["Low"].pk, "user": newbie.pk}
    )
    assert inactive.status_code == 400
    assert snapshot() == before


def test_listing_queries_do_not_grow_with_tiers_or_holders(demo, news, client, manager):
    policy, tiers = news
    client.force_login(manager)
    with CaptureQueriesContext(connection) as small:
        client.get(url(policy))
    for level in range(3, 9):
        tier = ReviewTier.objects.create(policy=policy, level=level, label=f"L{level}")
        for i in range(3):
            from guardian.shortcuts import assign_perm

            assign_perm("approve_tier", make_user(f"u{level}{i}"), tier)
            assign_perm("approve_tier", Group.objects.create(name=f"g{level}{i}"), tier)
    with CaptureQueriesContext(connection) as big:
        response = client.get(url(policy))
    assert len(response.context["rows"]) == 8
    assert len(big) == len(small), [q["sql"] for q in big][-10:]


def test_delegation_to_a_named_reviewer(demo, news, client, manager):
    page = news_page(demo, slug="delegated")
    editor = demo["users"]["editor"]
    case = ReviewCase.objects.create(
        page=page,
        revision=page.get_latest_revision(),
        requester=editor,
        state="awaiting_review",
        tier=news[1]["Standard"],
        policy=news[0],
    )
    outsider = make_user("outsider")
    delegate_url = reverse("ecm_ops:delegate_case", args=[case.pk])
    before = snapshot()
    for user in (demo["users"]["senior"], editor, outsider):
        client.force_login(user)
        assert client.post(delegate_url, {"reviewer": outsider.pk}).status_code == 403
    assert snapshot() == before and not has_authority(outsider, case)

    client.force_login(manager)
    refused = client.post(delegate_url, {"reviewer": editor.pk})  # the requester: four-eyes
    assert refused.status_code == 400 and "cannot review it (four-eyes)" in refused.content.decode()
    assert client.post(delegate_url, {"reviewer": 999999}).status_code == 400
    assert snapshot() == before

    response = client.post(delegate_url, {"reviewer": outsider.pk, "reason": "Knows the topic"})
    assert response.status_code == 302
    assert has_authority(outsider, case) and can_review(outsider, case)
    from wagtail.models import PageLogEntry

    entry = PageLogEntry.objects.get(page=page, action="ecm_ops.review.delegated")
    assert entry.user == manager and entry.data["reviewer"] == "outsider"
    assert entry.data["reason"] == "Knows the topic"
    # Delegation is per case: another case of the same tier stays closed to them.
    other = ReviewCase.objects.create(
        page=page,
        revision=page.get_latest_revision(),
        requester=editor,
        state="awaiting_review",
        tier=news[1]["Standard"],
        policy=news[0],
    )
    assert not has_authority(outsider, other)
    # The case screen offers the delegation to those who may use it.
    client.force_login(demo["users"]["admin"])
    assert (
        b"data-ecm-delegate" in client.get(reverse("ecm_ops:review_case", args=[other.pk])).content
    )
    client.force_login(manager)
    # A closed case cannot be delegated.
    ReviewCase.objects.filter(pk=other.pk).update(state="approved")
    closed = client.post(
        reverse("ecm_ops:delegate_case", args=[other.pk]), {"reviewer": outsider.pk}
    )
    assert closed.status_code == 409


def test_superuser_may_manage_and_guardian_uses_direct_tables(demo, news, client):
    policy, tiers = news
    client.force_login(demo["users"]["admin"])
    newbie = make_user("newbie")
    assert (
        client.post(
            url(policy), {"action": "grant", "tier": tiers["Low"].pk, "user": newbie.pk}
        ).status_code
        == 302
    )
    # guardian stored it in our direct foreign-key table, not the generic one.
    from guardian.models import UserObjectPermission

    assert ReviewTierUserObjectPermission.objects.filter(user=newbie).count() == 1
    assert not UserObjectPermission.objects.filter(user=newbie).exists()
    assert newbie.has_perm("ecm_ops.approve_tier", tiers["Low"])
    assert not newbie.has_perm("ecm_ops.approve_tier", tiers["Standard"])


# -- the listing of policies (a Wagtail generic IndexView) ----------------------------------

AUTHORITY = reverse("ecm_ops:authority")


def test_listing_shows_the_policies_one_may_see(demo, news, client, manager):
    policy, _tiers = news
    every = set(RiskPolicy.objects.all())
    client.force_login(manager)
    response = client.get(AUTHORITY)
    assert set(shown(response)) == every
    assert url(policy).encode() in response.content
    client.force_login(demo["users"]["legal"])  # authority in Health only
    assert [p.section for p in shown(client.get(AUTHORITY))] == [demo["health"].page_ptr]
    client.force_login(demo["users"]["editor"])
    refused = client.get(AUTHORITY)
    assert refused.status_code == 403 and b"You need approval authority" in refused.content


def test_listing_search_sort_and_empty_state(demo, news, client, manager):
    policy, _tiers = news
    client.force_login(manager)
    assert shown(client.get(AUTHORITY, {"q": demo["news"].title})) == [policy]
    names = [p.name for p in shown(client.get(AUTHORITY, {"ordering": "-name"}))]
    assert names == sorted(names, reverse=True)
    nothing = client.get(AUTHORITY, {"q": "no such policy"})
    assert shown(nothing) == [] and b"No risk policy matches your search." in nothing.content
    RiskPolicy.objects.all().delete()
    assert b"No risk policies yet." in client.get(AUTHORITY).content


def test_listing_queries_do_not_grow_with_policies(demo, news, client, manager):
    client.force_login(demo["users"]["senior"])
    few, _ = count_queries(client, AUTHORITY)
    for i in range(4):
        section = news_page(demo, slug=f"section-{i}")
        extra = RiskPolicy.objects.create(name=f"Extra {i}", section=section)
        tier = ReviewTier.objects.create(policy=extra, level=1, label="Low")
        from guardian.shortcuts import assign_perm

        assign_perm("approve_tier", demo["users"]["senior"], tier)
    many, response = count_queries(client, AUTHORITY)
    assert len(shown(response)) == RiskPolicy.objects.count() and many == few


def test_the_anonymous_and_inactive_are_refused_with_a_reason(demo, news, client, manager):
    """django-guardian's ``AnonymousUser`` row is active in the database: it must never be
    offered by the chooser nor accepted when posted by hand; an inactive user is refused
    with a message that says so."""
    from django.contrib.auth import get_user_model

    policy, tiers = news
    # guardian creates this row after migrate (an active user) on sites that keep its default.
    anonymous, _ = get_user_model().objects.get_or_create(username="AnonymousUser")
    client.force_login(manager)
    before = snapshot()
    response = client.post(
        url(policy), {"action": "grant", "tier": tiers["Low"].pk, "user": anonymous.pk}
    )
    assert response.status_code == 400
    assert "visitors who are not logged in" in response.content.decode()
    sleeper = make_user("sleeper")
    sleeper.is_active = False
    sleeper.save()
    response = client.post(
        url(policy), {"action": "grant", "tier": tiers["Low"].pk, "user": sleeper.pk}
    )
    assert response.status_code == 400 and "is inactive" in response.content.decode()
    assert snapshot() == before
    # The person chooser lists neither.
    chooser = client.get(reverse("ecm_ops_user_chooser:choose_results")).content.decode()
    assert "sleeper" not in chooser and anonymous.get_username() not in chooser
    assert "senior" in chooser
    searched = client.get(reverse("ecm_ops_user_chooser:choose_results"), {"q": "leg"})
    assert "legal" in searched.content.decode() and "senior" not in searched.content.decode()


def test_a_tier_needing_more_approvals_than_approvers_is_warned(demo, news, client, manager):
    policy, tiers = news
    tier = tiers["Standard"]
    client.force_login(manager)
    eligible = tier.policy.tiers.get(pk=tier.pk)
    from ecm_ops.governance.authority import users_with_authority

    tier.approvals_required = users_with_authority(eligible).count() + 1
    tier.save()
    html = client.get(url(policy)).content.decode()
    assert f"Tier “{tier.label}” needs {tier.approvals_required} approvals" in html
    tier.approvals_required = 1
    tier.save()
    assert "needs 1 approvals" not in client.get(url(policy)).content.decode()
