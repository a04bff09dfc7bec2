"""Reviewer certification: taking a programme's calibration exercise, judging it, the
certification a pass gives, expiry reminders, and the records site admins export.

Whether a certification makes a grant count is not decided here: that is
:class:`ecm_ops.governance.authority.CertificationRule`, the one place every reader of
authority goes through.

Judging an attempt: a *defective* item is caught when the reviewer requested changes and
pointed at (part of) the words that carry the defect; a *clean* item is judged right when
approved. The score is the catch rate (caught / defective items). An attempt passes when the
catch rate reaches the programme's ``pass_catch_rate`` and no blocker-grade defect was
approved. Requesting changes on a clean item (a false alarm) is recorded and shown, but does
not fail the attempt: over-caution is a coaching point, approving a blocker is not.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..models import (
    CalibrationAnswer,
    Certification,
    CertificationAttempt,
    CertificationProgramme,
)
from ..models.certification import Decision
from ..states import Severity
from . import ServiceError

logger = logging.getLogger("ecm_ops.certification")

#: The fewest characters a reviewer must quote for "pointing at the problem" to count.
MIN_POINTER = 3


@dataclass
class Answer:
    decision: str
    pointed_at: str = ""


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip().strip("\"'“”‘’").casefold())


def points_at(pointed: str, excerpt: str) -> bool:
    """Did the reviewer point at the defect? Their quote overlaps the defective words: one
    contains the other (case and spacing ignored), at least :data:`MIN_POINTER` characters."""
    p, e = _norm(pointed), _norm(excerpt)
    if len(p) < MIN_POINTER or not e:
        return False
    return p in e or (e in p and len(p) <= len(e) * 3)


def _check_answers(programme, items, answers: dict[int, Answer]) -> None:
    missing = [i.title for i in items if i.pk not in answers]
    if missing:
        raise ServiceError("Judge every item before submitting: " + ", ".join(missing) + ".")
    for item in items:
        if answers[item.pk].decision not in Decision.values:
            raise ServiceError(f"Choose Approve or Request changes for “{item.title}”.")
        if (
            answers[item.pk].decision == Decision.CHANGES
            and len(_norm(answers[item.pk].pointed_at)) < MIN_POINTER
        ):
            raise ServiceError(
                f"For “{item.title}”, quote the words you want changed (at least "
                f"{MIN_POINTER} characters), so the exercise can tell what you spotted."
            )


@transaction.atomic
def submit_attempt(programme: CertificationProgramme, user, answers: dict[int, Answer]):
    """Judge ``user``'s answers to ``programme``'s exercise; a pass certifies them.

    Args:
        answers: ``{calibration item pk: Answer}`` for every item of the programme.

    Returns:
        The finished :class:`CertificationAttempt` (``attempt.passed``).

    Raises:
        ServiceError: the programme is inactive or has no items, or an answer is missing or
            incomplete (nothing is recorded then).
    """
    if not (user and user.is_authenticated and user.is_active):
        raise ServiceError("Log in to take a certification exercise.", status=403)
    if not programme.active:
        raise ServiceError("This certification programme is not active.", status=409)
    items = list(programme.items.all())
    if not items:
        raise ServiceError("This programme has no calibration items yet; ask a site admin.")
    _check_answers(programme, items, answers)
    now = timezone.now()
    attempt = CertificationAttempt.objects.create(
        programme=programme, user=user, started_at=now, items_total=len(items)
    )
    rows = []
    for item in items:
        answer = answers[item.pk]
        if item.defective:
            attempt.defects_total += 1
            correct = answer.decision == Decision.CHANGES and points_at(
                answer.pointed_at, item.defect_excerpt
            )
            attempt.caught += correct
            if answer.decision == Decision.APPROVE and item.severity == Severity.BLOCKER:
                attempt.blockers_approved += 1
        else:
            correct = answer.decision == Decision.APPROVE
            attempt.false_alarms += not correct
        rows.append(
            CalibrationAnswer(
                attempt=attempt,
                item=item,
                item_title=item.title,
                defect=item.defect,
                severity=item.severity if item.defective else "",
                decision=answer.decision,
                pointed_at=answer.pointed_at[:500],
                correct=correct,
            )
        )
    CalibrationAnswer.objects.bulk_create(rows)
    attempt.score = attempt.caught / attempt.defects_total if attempt.defects_total else 1.0
    attempt.passed = attempt.score >= programme.pass_catch_rate and not attempt.blockers_approved
    attempt.finished_at = now
    attempt.save()
    if attempt.passed:
        Certification.objects.create(
            user=user,
            programme=programme,
            attempt=attempt,
            passed_at=now,
            expires_at=Certification.expiry_for(programme, now),
            score=attempt.score,
        )
        # The admin menu caches "holds any authority" on the user object for the request.
        user.__dict__.pop("_ecm_ops_any_tier_authority", None)
    logger.info(
        "Certification attempt %s by %s on %r: %s (score %.2f)",
        attempt.pk,
        user.get_username(),
        programme.name,
        "passed" if attempt.passed else "failed",
        attempt.score,
    )
    return attempt


def failure_reasons(attempt: CertificationAttempt) -> list[str]:
    """Why an attempt failed, in words for the reviewer."""
    reasons = []
    if attempt.blockers_approved:
        reasons.append(
            f"You approved {attempt.blockers_approved} item(s) with a blocker-grade defect; "
            "approving a blocker always fails the exercise."
        )
    if attempt.score is not None and attempt.score < attempt.programme.pass_catch_rate:
        reasons.append(
            f"You caught {attempt.caught} of {attempt.defects_total} defects "
            f"({attempt.score:.0%}); this programme needs "
            f"{attempt.programme.pass_catch_rate:.0%}, pointing at the problem each time."
        )
    return reasons


def current(user, programme) -> Certification | None:
    """``user``'s certification of ``programme`` that is valid now, if any."""
    return (
        Certification.objects.valid_at()
        .filter(user=user, programme=programme)
        .order_by("-expires_at")
        .first()
    )


# -- expiry ahead ---------------------------------------------------------------------------


def expiring(now=None, user=None):
    """Certifications valid now that expire within their programme's reminder window, and
    that no later certification of the same programme supersedes (two queries)."""
    now = now or timezone.now()
    rows = (
        Certification.objects.valid_at(now)
        .filter(programme__active=True)
        .select_related("programme", "user")
        .order_by("expires_at")
    )
    if user is not None:
        rows = rows.filter(user=user)
    latest = {}
    for cert in (
        Certification.objects.valid_at(now)
        .filter(user_id__in={c.user_id for c in rows})
        .values("user_id", "programme_id", "expires_at")
    ):
        key = (cert["user_id"], cert["programme_id"])
        latest[key] = max(latest.get(key, cert["expires_at"]), cert["expires_at"])
    return [
        c
        for c in rows
        if (c.expires_at - now).days < c.programme.reminder_days
        and latest.get((c.user_id, c.programme_id)) == c.expires_at
    ]


def _url(name: str, *args) -> str:
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    return base.rstrip("/") + reverse(name, args=args)


def send_expiry_reminders(now=None) -> int:
    """E-mail each holder whose certification enters its reminder window, once per
    certification. Fenced: ``reminded_at`` is claimed with a conditional update before the
    mail goes out, so two cron runs never send twice. Returns the number of mails sent."""
    now = now or timezone.now()
    sent = 0
    for cert in expiring(now):
        if cert.reminded_at is not None or not cert.user.email:
            continue
        claimed = Certification.objects.filter(pk=cert.pk, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if not claimed:
            continue
        days = max((cert.expires_at - now).days, 0)
        body = (
            f"Your reviewer certification “{cert.programme.name}” expires on "
            f"{timezone.localtime(cert.expires_at):%d %b %Y} (in {days} day(s)).\n\n"
            "When it expires, your approval authority for this section is suspended until you "
            "pass the calibration exercise again. Recertify here:\n"
            f"{_url('ecm_ops:certification_take', cert.programme_id)}\n"
        )
        try:
            send_mail(
                f"Your reviewer certification expires in {days} day(s)",
                body,
                None,
                [cert.user.email],
                fail_silently=False,
            )
            sent += 1
        except Exception:
            # Release the claim so the next run tries again.
            Certification.objects.filter(pk=cert.pk).update(reminded_at=None)
            logger.exception("Could not send the certification reminder for %s", cert.pk)
    return sent
