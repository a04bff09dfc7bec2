"""Approval authority administered in the Wagtail admin: who may approve each tier (users and
groups, via guardian's direct foreign-key tables), grant/revoke with an audit entry on the
tier, per-case delegation, and refusals that change nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats
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
from .review_support import certify, make_user, news_page

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
    standard = {h.user.username: h for h in rows["Standard"]["users"]}
    # Both hold the grant; only the certified one may approve now.
    assert sorted(standard) == ["lapsed", "senior"]
    assert standard["senior"].eligible and standard["senior"].status == "eligible"
    assert not standard["lapsed"].eligible and standard["lapsed"].status == "expired"
    assert rows["Standard"]["eligible"] == 1
    assert rows["Low"]["you"] is False
    health = RiskPolicy.objects.get(section=demo["health"])
    rows = {r["tier"].label: r for r in client.get(url(health)).context["rows"]}
    assert [g.group.name for g in rows["High"]["groups"]] == ["Legal reviewers"]


def test_a_holder_without_a_valid_certification_is_shown_as_not_eligible(
    demo, news, client, manager
):
    """The screen tells a site admin the truth: ``lapsed`` still holds the grant (and may be
    revoked) but cannot approve, with the expiry date and a link to the records; someone who
    never certified says "not certified"; a group says how many of its members count."""
    from ecm_ops.models import Certification

    policy, tiers = news
    lapsed = demo["users"]["lapsed"]
    expired = Certification.objects.filter(user=lapsed).order_by("-expires_at").first()
    assert not expired.is_valid()
    fresh = make_user("fresh", certified=False)
    desk = Group.objects.create(name="News desk")
    make_user("desk_certified", desk)
    make_user("desk_uncertified", desk, certified=False)
    from guardian.shortcuts import assign_perm

    assign_perm("approve_tier", fresh, tiers["Standard"])
    assign_perm("approve_tier", desk, tiers["Standard"])
    client.force_login(manager)
    response = client.get(url(policy))
    html = response.content.decode()
    row = {r["tier"].label: r for r in response.context["rows"]}["Standard"]
    facts = {h.user.username: h for h in row["users"]}
    assert facts["lapsed"].status == "expired" and facts["fresh"].status == "uncertified"
    assert facts["senior"].status == "eligible"
    (desk_fact,) = row["groups"]
    assert (desk_fact.members, desk_fact.eligible) == (2, 1)
    # Eligible: senior and the certified desk member (not lapsed, fresh, the uncertified one).
    assert row["eligible"] == 2
    assert row["eligible"] == len(users_with_authority(tiers["Standard"]))
    on = formats.date_format(expired.expires_at, "DATE_FORMAT")
    assert f"certification expired on {on}" in html
    assert "not certified" in html and "1 of 2 active members may approve now" in html
    records = reverse("ecm_ops:certification_records")
    assert f'href="{records}?programme=' in html and "q=lapsed" in html
    # The holder is still listed with a revoke button: the grant exists.
    assert f'data-holder="user:{lapsed.pk}" data-eligible="no"' in html
    # Someone who may look but not see the records gets no link to them.
    client.force_login(demo["users"]["senior"])
    assert records not in client.get(url(policy)).content.decode()
    # An inactive holder is listed as such and not counted.
    fresh.is_active = False
    fresh.save()
    row = _rows(client, manager, policy)["Standard"]
    assert {h.user.username: h.status for h in row["users"]}["fresh"] == "inactive"
    assert row["eligible"] == 2


def test_quorum_counts_only_certified_holders(demo, news, client, manager):
    """A tier needing two approvals with one certified and one lapsed holder is warned: the
    lapsed holder is not an approver."""
    policy, tiers = news
    tier = tiers["Standard"]
    holders = {h.user.username for h in _rows(client, manager, policy)["Standard"]["users"]}
    assert holders == {"lapsed", "senior"}
    tier.approvals_required = 2
    tier.save()
    html = client.get(url(policy)).content.decode()
    assert "Tier “Standard” needs 2 approvals, but only 1 people may approve at it now" in html
    assert "1 more hold the grant but have no valid reviewer certification" in html
    # Once lapsed certifies again, the tier reaches quorum and the warning goes.
    certify(demo["users"]["lapsed"])
    html = client.get(url(policy)).content.decode()
    assert "Tier “Standard” needs 2 approvals" not in html
    row = _rows(client, manager, policy)["Standard"]
    assert row["eligible"] == 2 and all(h.eligible for h in row["users"])


def test_revoke_confirmation_counts_only_certified_holders(demo, news, client, manager):
    """Revoking senior leaves only lapsed on Standard: nobody who may approve, said so."""
    policy, tiers = news
    client.force_login(manager)
    response = client.post(
        url(policy),
        {"action": "revoke", "tier": tiers["Standard"].pk, "user": demo["users"]["senior"].pk},
    )
    assert response.status_code == 200 and response.context["remaining"] == 0
    assert "Afterwards 0 people may approve" in response.content.decode()


def _rows(client, user, policy):
    client.force_login(user)
    return {r["tier"].label: r for r in client.get(url(policy)).context["rows"]}


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
    assert [g.group.name for g in rows["Low"]["groups"]] == ["News desk"]


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
    from guardian.shortcuts import assign_perm

    policy, tiers = news
    # The baseline already has a group holder (whose membership is one more query).
    assign_perm("approve_tier", Group.objects.create(name="Baseline desk"), tiers["Low"])
    client.force_login(manager)
    with CaptureQueriesContext(connection) as small:
        client.get(url(policy))
    for level in range(3, 9):
        tier = ReviewTier.objects.create(policy=policy, level=level, label=f"L{level}")
        for i in range(3):
            assign_perm("approve_tier", make_user(f"u{level}{i}", certified=i != 0), tier)
            group = Group.objects.create(name=f"g{level}{i}")
            make_user(f"m{level}{i}", group, certified=i != 1)
            assign_perm("approve_tier", group, tier)
    with CaptureQueriesContext(connection) as big:
        response = client.get(url(policy))
    assert len(response.context["rows"]) == 8
    row = response.context["rows"][-1]
    assert [h.eligible for h in row["users"]] == [False, True, True]
    assert row["eligible"] == 4  # two certified direct holders, two certified members
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
    from ecm_ops.models import Certification, CertificationProgramme

    Certification.objects.all().delete()  # records protect their programme (and its policy)
    CertificationProgramme.objects.all().delete()
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
