"""Token budgets: per user per day and per site per month (``ECM_OPS["BUDGETS"]``).

Tokens are the sum of every token field of the draft requests (input, output, cache read and
cache write), including failed drafts that still consumed tokens (a truncated or refused answer
is billed). Those fields are the sums of the draft's provider calls
(:class:`~ecm_ops.models.drafts.ProviderCall`, added as each call returns), so calls made by
an attempt that later died or lost its claim to a re-queued attempt are counted too. A draft still queued or running reserves its template version's ``max_tokens`` plus
the tokens it has recorded so far, so a burst of requests cannot all slip under the budget
before the first one finishes. ``None`` means no budget. Days and months follow the site's
time zone.
"""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Case, F, Sum, When
from django.utils import timezone

from .. import conf
from ..models import DraftRequest
from ..services import ServiceError
from ..states import OPEN_JOB_STATUSES

TOKENS = F("input_tokens") + F("output_tokens") + F("cache_read_tokens") + F("cache_write_tokens")


class BudgetExceeded(ServiceError):
    status = 429


def tokens_used(since: datetime, user=None) -> int:
    rows = DraftRequest.objects.filter(created_at__gte=since)
    if user is not None:
        rows = rows.filter(requester=user)
    reserved = Case(
        When(status__in=OPEN_JOB_STATUSES, then=TOKENS + F("template_version__max_tokens")),
        default=TOKENS,
    )
    return rows.aggregate(total=Sum(reserved))["total"] or 0


def _start_of_day(now: datetime) -> datetime:
    local = timezone.localtime(now) if timezone.is_aware(now) else now
    start = datetime.combine(local.date(), time.min)
    return timezone.make_aware(start) if timezone.is_aware(now) else start


def _start_of_month(now: datetime) -> datetime:
    day = _start_of_day(now)
    return day.replace(day=1)


def check(user, now: datetime | None = None) -> None:
    """Refuse a new draft when the user's daily or the site's monthly budget is used up.

    Raises:
        BudgetExceeded: with a message that says which budget, how much, and when it resets.
    """
    budgets = conf.get("BUDGETS")
    now = now or timezone.now()
    daily = budgets.get("USER_DAILY_TOKENS")
    if daily is not None:
        used = tokens_used(_start_of_day(now), user=user)
        if used >= daily:
            raise BudgetExceeded(
                f"You have used your daily AI budget ({used:,} of {daily:,} tokens today). "
                "It resets at midnight; ask a site administrator if you need more."
            )
    monthly = budgets.get("SITE_MONTHLY_TOKENS")
    if monthly is not None:
        used = tokens_used(_start_of_month(now))
        if used >= monthly:
            raise BudgetExceeded(
                f"This site has used its monthly AI budget ({used:,} of {monthly:,} tokens). "
                "It resets on the first of the month; ask a site administrator to raise it."
            )
