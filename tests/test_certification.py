"""Reviewer certification gates approval authority (issue 10, section 2).

An ``approve_tier`` grant counts only while its holder has a valid certification of the
programme covering the tier. Each test below attacks one path by which a holder whose
certification expired (the demo's "lapsed") or who never certified could still approve:
the queue, the case workspace, Wagtail's workflow action, the approve service, delegation and
escalation, the publish guard (the invariant) and the dashboard. Then the exercise itself:
judging, passing, failing, reminders, records.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ecm_ops.governance import authority
from ecm_ops.governance.invariant import evaluate
from ecm_ops.models import (
    Approval,
    Certification,
    CertificationAttempt,
    CertificationProgramme,
)
from ecm_ops.services import PermissionDenied, ServiceError, escalation
from ecm_ops.services import certification as service
from ecm_ops.services import review as review_service
from ecm_ops.services.awaiting import decidable_by

from .helpers import workflow_action_url
from .review_support import (
    expire,
    grant,
    health_page,
    health_tiers,
    make_user,
    mark_ai,
    news_page,
    news_tiers,
    pinned_checks,  # noqa: F401
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def news_case(demo, capture):
    page = news_page(demo, slug="certified-news")
    mark_ai(page)
    case = submit(page, demo["users"]["editor"], capture)
    case.refresh_from_db()
    assert case.state == "awaiting_review" and case.tier.label == "Standard"
    return case


@pytest.fixture
def uncertified(demo):
    """Holds News Standard authority, never certified."""
    user = make_user("newcomer", certified=False)
    grant(user, news_tiers(demo)["Standard"])
    return user


def _holders(demo, uncertified):
    return {"lapsed": demo["users"]["lapsed"], "uncertified": uncertified}


@pytest.mark.parametrize("who", ["lapsed", "uncertified"])
def test_no_path_lets_an_uncertified_holder_approve(demo, news_case, uncertified, who, client):
    user = _holders(demo, uncertified)[who]
    assert authority.holds_grant(user, news_case)  # the grant is there...
    assert not authority.has_authority(user, news_case)  # ...but does not count

    # The approve service.
    with pytest.raises(PermissionDenied, match="certification"):
        review_service.approve(news_case.pk, user)
    # Wagtail's workflow: no action offered, and posting one records nothing.
    task = demo["task"]
    assert task.get_actions(news_case.page.specific, user) == []
    client.force_login(user)
    client.post(workflow_action_url(news_case.page, "approve", news_case.task_state))
    # The case workspace: no Approve button, the reason and a link to recertify.
    response = client.get(reverse("ecm_ops:review_case", args=[news_case.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="approve"' not in html
    assert "suspended" in html and "data-ecm-recertify" in html
    # Posting the decision form anyway is refused with 403 and records nothing.
    response = client.post(
        reverse("ecm_ops:review_case", args=[news_case.pk]), {"action": "approve"}
    )
    assert response.status_code == 403
    # The queue and "Awaiting you" do not list it.
    response = client.get(reverse("ecm_ops:review_queue"))
    assert f"/reviews/{news_case.pk}/" not in response.content.decode()
    assert not decidable_by(user).filter(pk=news_case.pk).exists()
    # Escalating by hand needs authority too.
    with pytest.raises(PermissionDenied):
        escalation.escalate_by_hand(news_case.pk, user, "Nobody else is around.")
    assert not Approval.objects.filter(case=news_case).exists()
    news_case.refresh_from_db()
    assert news_case.state == "awaiting_review"


def test_delegation_does_not_get_round_certification(demo, news_case, uncertified):
    with pytest.raises(ServiceError, match="certification"):
        authority.delegate(news_case, uncertified, by=demo["users"]["admin"])
    # Even a delegation written behind the service's back does not count.
    authority.delegate(news_case, uncertified, by=demo["users"]["admin"], check=False)
    assert not authority.has_authority(uncertified, news_case)
    assert not authority.cases_reviewable_by(uncertified).filter(pk=news_case.pk).exists()


def test_escalation_and_notifications_skip_the_uncertified(demo, news_case, uncertified):
    from ecm_ops.governance.escalation import escalation_reviewers
    from ecm_ops.services.notifications import reviewers

    emails = {u.email for u in reviewers(news_case)}
    assert "senior@example.com" in emails
    assert "newcomer@example.com" not in emails and "lapsed@example.com" not in emails
    demo_policy = news_case.policy
    group = make_user("escalation_member", certified=False).groups.first()
    demo_policy.escalation_group = group
    demo_policy.save()
    assert (
        not escalation_reviewers(news_case, news_case.tier)
        .filter(username="escalation_member")
        .exists()
    )


def test_eligibility_counts_only_the_certified(demo, news_case, uncertified):
    from ecm_ops.services.case_workspace import progress

    eligible = {u.username for u in progress(news_case, []).eligible}
    assert "senior" in eligible
    assert "lapsed" not in eligible and "newcomer" not in eligible
    holders = authority.effective_holders([news_case.tier])[news_case.tier_id]
    assert demo["users"]["senior"].pk in holders and uncertified.pk not in holders


def test_an_approval_by_an_uncertified_holder_does_not_count_for_publishing(demo, news_case):
    """The invariant (every publish path's guard, and the verifier) ignores an approval given
    without a valid certification, e.g. one written behind the service's back."""
    lapsed = demo["users"]["lapsed"]
    Approval.objects.create(
        case=news_case,
        revision=news_case.revision,
        content_digest=news_case.content_digest,
        user=lapsed,
    )
    page = news_case.page.specific
    verdict = evaluate(page, news_case.revision.as_object())
    assert not verdict.ok and "approved" in verdict.message


def test_bulk_publish_with_an_uncertified_approval_is_refused(demo, news_case, client, capture):
    """Wagtail's bulk Publish by someone who may publish: the approval that exists is the
    lapsed reviewer's, so the guard refuses and nothing goes live."""
    Approval.objects.create(
        case=news_case,
        revision=news_case.revision,
        content_digest=news_case.content_digest,
        user=demo["users"]["lapsed"],
    )
    client.force_login(demo["users"]["senior"])
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    with capture(execute=True):
        client.post(f"{url}?id={news_case.page_id}", {})
    news_case.page.refresh_from_db()
    assert not news_case.page.live


def test_an_approval_given_while_certified_survives_expiry(demo, news_case):
    senior = demo["users"]["senior"]
    review_service.approve(news_case.pk, senior)
    approval = Approval.objects.get(case=news_case, user=senior)
    assert approval.certification is not None
    assert "News reviewer certification" in approval.certified_as
    from ecm_ops.services.audit_export import _case_record

    exported = _case_record(news_case)["approvals"][0]["certification"]
    assert exported.startswith("News reviewer certification, passed ")
    # It expires just after the approval (and before the publication is judged).
    Certification.objects.filter(user=senior).update(
        expires_at=approval.created_at + timedelta(microseconds=1)
    )
    assert not authority.has_authority(senior, news_case)
    verdict = evaluate(news_case.page.specific, news_case.revision.as_object())
    assert verdict.ok, verdict.message  # certified at the moment of the approval


def test_expiry_suspends_and_passing_restores(demo, news_case, client):
    senior = demo["users"]["senior"]
    assert authority.has_authority(senior, news_case)
    expire(senior)
    assert not authority.has_authority(senior, news_case)
    assert not authority.cases_reviewable_by(senior).filter(pk=news_case.pk).exists()
    programme = demo["programmes"]["news"]
    attempt = service.submit_attempt(programme, senior, _perfect_answers(programme))
    assert attempt.passed
    assert authority.has_authority(senior, news_case)
    review_service.approve(news_case.pk, senior)
    news_case.refresh_from_db()
    assert news_case.state == "approved"


def test_the_sql_and_python_forms_of_the_rule_agree(demo, uncertified):
    tiers = list(health_tiers(demo).values()) + list(news_tiers(demo).values())
    users = [demo["users"][n] for n in ("senior", "legal", "lapsed", "editor")] + [uncertified]
    rule = authority.CertificationRule(tiers, [u.pk for u in users])
    for user in users:
        sql = set(authority.certified_tiers(user).values_list("pk", flat=True))
        python = {t.pk for t in tiers if rule.effective(user.pk, t.pk)}
        assert {t.pk for t in tiers} & sql == python, user.username


def test_a_tier_programme_takes_precedence_over_the_policy_wide_one(demo):
    high = health_tiers(demo)["High"]
    legal = demo["users"]["legal"]
    assert high.pk in authority.effective_tiers(legal)
    CertificationProgramme.objects.create(
        policy=high.policy, tier=high, name="High-risk health", guidance="Extra care."
    )
    assert high.pk not in authority.effective_tiers(legal)
    assert health_tiers(demo)["Elevated"].pk in authority.effective_tiers(legal)


def test_awaiting_you_leaves_out_cases_only_the_required_group_can_finish(demo, capture):
    """Health needs two approvals including Legal: after a non-Legal approval, only Legal
    members may still move the case."""
    page = health_page(demo, slug="group-needed")
    case = submit(page, demo["users"]["editor"], capture)
    other = make_user("senior2", *demo["users"]["senior"].groups.all())
    grant(other, case.tier)
    assert decidable_by(other).filter(pk=case.pk).exists()
    review_service.approve(case.pk, demo["users"]["senior"])
    assert not decidable_by(other).filter(pk=case.pk).exists()
    assert decidable_by(demo["users"]["legal"]).filter(pk=case.pk).exists()


# -- the exercise -----------------------------------------------------------------------------


def _perfect_answers(programme):
    return {
        item.pk: service.Answer(
            decision="changes" if item.defective else "approve", pointed_at=item.defect_excerpt
        )
        for item in programme.items.all()
    }


def test_judging_requires_pointing_at_the_problem(demo):
    programme = demo["programmes"]["news"]
    user = make_user("trainee", certified=False)
    answers = _perfect_answers(programme)
    factual = programme.items.get(defect="factual_change")
    refusal = programme.items.get(defect="ai_refusal")
    # Sending back the factual change pointing at the wrong words is not a catch.
    answers[factual.pk] = service.Answer("changes", "parks budget")
    answers[refusal.pk] = service.Answer("changes", "as an ai language model")  # case-insensitive
    attempt = service.submit_attempt(programme, user, answers)
    assert (attempt.caught, attempt.defects_total) == (3, 4)
    assert attempt.score == 0.75 and attempt.passed  # the demo programme needs 75%
    assert Certification.objects.get(attempt=attempt).expires_at > timezone.now()


def test_approving_a_blocker_fails_whatever_the_catch_rate(demo):
    programme = demo["programmes"]["news"]
    programme.pass_catch_rate = 0.5
    programme.save()
    user = make_user("trainee", certified=False)
    answers = _perfect_answers(programme)
    blocker = programme.items.get(defect="personal_data")
    answers[blocker.pk] = service.Answer("approve")
    attempt = service.submit_attempt(programme, user, answers)
    assert attempt.score == 0.75 and attempt.blockers_approved == 1 and not attempt.passed
    assert not Certification.objects.filter(user=user).exists()
    assert "blocker" in " ".join(service.failure_reasons(attempt))


def test_incomplete_answers_are_a_form_error_not_a_record(demo, client):
    programme = demo["programmes"]["news"]
    user = make_user("trainee", certified=False)
    client.force_login(user)
    url = reverse("ecm_ops:certification_take", args=[programme.pk])
    first = programme.items.first()
    response = client.post(url, {f"decision-{first.pk}": "changes", f"pointed-{first.pk}": ""})
    assert response.status_code == 400
    assert "Judge every item" in response.content.decode()
    response = client.post(url, {f"decision-{first.pk}": "bogus"})
    assert response.status_code == 400
    assert not CertificationAttempt.objects.filter(user=user).exists()


def test_reminders_go_out_once_before_expiry(demo, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://cms.example.com"
    senior = demo["users"]["senior"]
    Certification.objects.filter(user=senior).update(expires_at=timezone.now() + timedelta(days=5))
    mail.outbox.clear()
    assert service.send_expiry_reminders() == 2  # News and Health
    assert all("senior@example.com" in m.to for m in mail.outbox)
    assert "/certification/" in mail.outbox[0].body
    assert service.send_expiry_reminders() == 0  # fenced: once per certification
    # The lapsed reviewer's certification already expired: no reminder, the dashboard says it.
    assert not any("lapsed@example.com" in m.to for m in mail.outbox)


def test_dashboard_shows_suspended_and_expiring(demo, client):
    client.force_login(demo["users"]["lapsed"])
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "data-ecm-suspended" in html and "expired on" in html
    senior = demo["users"]["senior"]
    Certification.objects.filter(user=senior).update(expires_at=timezone.now() + timedelta(days=3))
    client.force_login(senior)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "data-ecm-expiring" in html


def test_records_are_exportable_to_site_admins_only(demo, client):
    programme = demo["programmes"]["news"]
    trainee = make_user("trainee", certified=False)
    service.submit_attempt(programme, trainee, _perfect_answers(programme))
    client.force_login(demo["users"]["senior"])
    assert client.get(reverse("ecm_ops:certification_records")).status_code == 403
    client.force_login(demo["users"]["admin"])
    response = client.get(reverse("ecm_ops:certification_records") + "?export=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "trainee" in body and "News reviewer certification" in body and "100%" in body
    # Another reviewer's attempt is not theirs to read.
    attempt = CertificationAttempt.objects.get(user=trainee)
    client.force_login(demo["users"]["editor"])
    assert client.get(reverse("ecm_ops:certification_result", args=[attempt.pk])).status_code == 403
