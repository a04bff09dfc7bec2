"""The per-section items, one function each of the gathered facts. An item that depends on
a model other work is building reads what exists today and says "Rewire" in its docstring."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ... import conf
from .card import MISSING, NOT_APPLICABLE, OK, Item
from .facts import Facts

#: The nightly sweep counts as running when one finished this recently.
SWEEP_WITHIN = timedelta(hours=36)
#: Problems listed per item before "and N more".
MAX_LISTED = 5


def _when(dt) -> str:
    return f"{timezone.localtime(dt):%Y-%m-%d %H:%M}"


def _listed(names) -> str:
    names = [str(n) for n in names]
    shown = ", ".join(f"“{n}”" for n in names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _ct_names(ct_ids) -> list[str]:
    names = []
    for ct_id in sorted(ct_ids):
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is not None:
            names.append(str(model._meta.verbose_name).capitalize())
    return sorted(names)


def item_workflow(facts: Facts, policy) -> Item:
    name, has_task = facts.workflow.get(policy.pk, (None, False))
    item = Item(
        "process",
        "workflow",
        _("Review workflow assigned"),
        OK,
        fix_url=reverse("wagtailadmin_workflows:index"),
        fix_label=_("Settings → Workflows"),
    )
    if name is None:
        item.status = MISSING
        item.problems = [
            f"no active workflow is assigned to “{policy.section.title}” or a page above it, so "
            "“Submit for moderation” opens no review."
        ]
    elif not has_task:
        item.status = MISSING
        item.problems = [
            f"the workflow “{name}” has no active “Risk-tiered review” task; add one to it."
        ]
    else:
        item.detail = f"“{name}” with the Risk-tiered review task."
    return item


def item_templates(facts: Facts, policy) -> Item:
    """A template editors can draft with (active, with a promoted version: what the drafting
    service uses) for some page type of the section."""
    item = Item(
        "process",
        "templates",
        _("Promoted prompt templates for the section's page types"),
        OK,
        fix_url=reverse("ecm_ops_prompt_templates:index"),
        fix_label=_("Content ops → Prompt templates"),
    )
    types = facts.page_types.get(policy.pk, set())
    promoted = {ct for ct in types if facts.promoted.get(ct)}
    without = {ct for ct in types if ct in facts.template_statuses and ct not in promoted}
    if without:
        item.status = MISSING
        item.problems.append(
            f"{_listed(_ct_names(without))} have prompt templates, but none of them is active "
            "with a promoted version."
        )
    if not promoted:
        item.status = MISSING
        item.problems.append(
            "no prompt template with a promoted version is designed for any page type of this "
            "section, so editors cannot draft with AI here."
        )
    else:
        item.detail = f"Promoted templates for {_listed(_ct_names(promoted))}."
    return item


def item_draft_revisions(facts: Facts, policy) -> Item:
    return Item(
        "process",
        "draft_revisions",
        _("AI drafts land as draft revisions only"),
        OK,
        detail=_("Built in: a draft never publishes; publishing goes through review."),
    )


def item_checks(facts: Facts, policy) -> Item:
    from ...conf import DEFAULT_CHECKS

    item = Item(
        "quality",
        "checks",
        _("Default checks run, none failed to run in the last 7 days"),
        OK,
        fix_url=reverse("ecm_ops:incidents"),
        fix_label=_("Content ops → Incidents (operations alerts)"),
    )
    off = [path.rsplit(".", 1)[-1] for path in DEFAULT_CHECKS if path not in conf.get("CHECKS")]
    if off:
        item.status = MISSING
        item.problems.append(
            f"the default checks {_listed(off)} are switched off in the site's ECM_OPS "
            "settings (CHECKS)."
        )
    failed = sorted(facts.could_not_run.get(policy.pk, ()))
    if failed:
        item.status = MISSING
        item.problems.append(f"{_listed(failed)} could not run on pages here in the last 7 days.")
    return item


def item_monitoring(facts: Facts, policy) -> Item:
    titles = facts.unmonitored.get(policy.pk, [])
    item = Item(
        "quality",
        "monitoring",
        _("Every live AI page has a re-check scheduled"),
        OK,
        fix_url=reverse("ecm_ops:incidents"),
        fix_label=_("Content ops → Incidents"),
    )
    if titles:
        item.status = MISSING
        item.problems.append(
            f"{_listed(titles)} {'is' if len(titles) == 1 else 'are'} live with AI text and "
            "no monitoring re-check scheduled (run `manage.py ecm_ops_reap`, or check the worker)."
        )
    return item


def item_sweep(facts: Facts, policy) -> Item:
    item = Item("quality", "sweep", _("The nightly sweep ran"), OK)
    last = facts.last_sweep
    if last is None or last.finished_at < timezone.now() - SWEEP_WITHIN:
        item.status = MISSING
        item.problems.append(
            "no sweep of live pages has finished in the last 36 hours: run `manage.py rqcron "
            "ecm_ops.cron` beside the workers."
            if last is None
            else f"the last sweep finished at {_when(last.finished_at)}; check that "
            "`manage.py rqcron ecm_ops.cron` is running."
        )
    else:
        item.detail = f"Last finished {_when(last.finished_at)}."
    return item


def item_tiers(facts: Facts, policy) -> Item:
    tiers = facts.tiers.get(policy.pk, [])
    item = Item(
        "governance",
        "tiers",
        _("A risk policy with tiers"),
        OK,
        fix_url=reverse("ecm_ops_risk_policies:edit", args=[policy.pk]),
        fix_label=_("Edit the risk policy"),
    )
    if not tiers:
        item.status = MISSING
        item.problems.append("the policy has no tiers, so nothing here can be classified.")
    elif not any(t.level >= policy.minimum_level for t in tiers):
        item.status = MISSING
        item.problems.append(f"no tier reaches the policy's minimum level {policy.minimum_level}.")
    else:
        item.detail = ", ".join(f"{t.label} ({t.approvals_required})" for t in tiers)
    return item


def certified(facts: Facts, user_ids: set, tier) -> set:
    """The approvers among ``user_ids`` whose grant on ``tier`` counts now: the one authority
    rule (:class:`~ecm_ops.governance.authority.CertificationRule`; superusers exempt, as
    there)."""
    rule = facts.certification
    return {
        u
        for u in user_ids
        if facts.people.get(u, ("", False))[1] or rule is None or rule.effective(u, tier.pk)
    }


def item_approvers(facts: Facts, policy) -> Item:
    item = Item(
        "governance",
        "approvers",
        _("Enough eligible approvers for every tier"),
        OK,
        fix_url=reverse("ecm_ops:policy_authority", args=[policy.pk]),
        fix_label=_("Approval authority for this policy"),
    )
    for tier in facts.tiers.get(policy.pk, []):
        eligible = certified(facts, facts.approvers.get(tier.pk, set()), tier)
        if len(eligible) < tier.approvals_required:
            item.problems.append(
                f"tier “{tier.label}” needs {tier.approvals_required} approval(s) but "
                f"{len(eligible)} active person(s) may approve"
                + (
                    f" ({held - len(eligible)} more hold the grant without a valid certification)."
                    if (held := len(facts.approvers.get(tier.pk, ()))) > len(eligible)
                    else "."
                )
            )
        group = tier.required_group
        if group is not None:
            members = facts.members.get(group.pk, set())
            if not members:
                item.problems.append(
                    f"tier “{tier.label}” requires “{group.name}”, which has no active members."
                )
            elif not members & eligible:
                item.problems.append(
                    f"tier “{tier.label}” requires “{group.name}”, but no member of it may "
                    "approve at this tier."
                )
    if item.problems:
        item.status = MISSING
    return item


def item_escalation(facts: Facts, policy) -> Item:
    """Someone to escalate to from every tier: the next tier's approvers or the policy's
    escalation group (with active members)."""
    item = Item(
        "governance",
        "escalation",
        _("Escalation configured"),
        OK,
        fix_url=reverse("ecm_ops_risk_policies:edit", args=[policy.pk]),
        fix_label=_("Edit the risk policy (escalation group)"),
    )
    group_ok = bool(policy.escalation_group_id and facts.members.get(policy.escalation_group_id))
    if policy.escalation_group_id and not group_ok:
        item.problems.append(
            f"the escalation group “{policy.escalation_group}” has no active members."
        )
    tiers = sorted(facts.tiers.get(policy.pk, []), key=lambda t: t.level)
    for i, tier in enumerate(tiers):
        nxt = tiers[i + 1] if i + 1 < len(tiers) else None
        if not group_ok and not (nxt and certified(facts, facts.approvers.get(nxt.pk, ()), nxt)):
            item.problems.append(
                f"an overdue review at tier “{tier.label}” has nobody to escalate to: set an "
                "escalation group with members."
            )
    if item.problems:
        item.status = MISSING
    elif group_ok:
        item.detail = f"Escalates to “{policy.escalation_group}”."
    return item


def item_verify(facts: Facts, policy) -> Item:
    count = facts.violations.get(policy.pk, 0)
    item = Item(
        "governance",
        "verify",
        _("The publication verifier is clean"),
        OK,
        fix_url=reverse("ecm_ops:incidents"),
        fix_label=_("Content ops → Incidents"),
    )
    if count:
        item.status = MISSING
        item.problems.append(
            f"{count} open incident(s) from the nightly verifier: a publication here lacks "
            "its screening or approvals."
        )
    return item


def item_evaluated_templates(facts: Facts, policy) -> Item:
    """Every promoted version of the section's page types passed its evaluation: its latest run
    with its model succeeded and passed every required case (the promotion gate's own
    :func:`~ecm_ops.services.promotion.run_reasons`); a promotion by override does not count."""
    from ..promotion import run_reasons

    item = Item(
        "change",
        "evaluated_templates",
        _("Every promoted template passed its evaluation"),
        OK,
        fix_url=reverse("ecm_ops:evaluation_runs"),
        fix_label=_("Content ops → Evaluation runs"),
    )
    seen = {}
    for ct in sorted(facts.page_types.get(policy.pk, set())):
        for p in facts.promoted.get(ct, ()):
            seen[(p.template, p.number)] = p
    for (name, number), p in sorted(seen.items()):
        if p.override:
            item.problems.append(
                f"“{name}” version {number} was promoted by admin override, so it is not "
                "evaluated: run its evaluation and promote a version that passes."
            )
            continue
        reasons = run_reasons(number, p.model, p.run)
        if reasons:
            item.problems.append(f"“{name}”: " + " ".join(reasons))
    if item.problems:
        item.status = MISSING
    elif seen:
        item.detail = f"{len(seen)} promoted version(s), each passed its latest evaluation run."
    else:
        item.status = NOT_APPLICABLE
        item.detail = _("No promoted template here yet (see “Promoted prompt templates”).")
    return item


#: A counted certification expiring this soon makes the certifications item missing.
EXPIRING_WITHIN = timedelta(days=14)


def item_certifications(facts: Facts, policy) -> Item:
    """Every tier a certification programme covers has at least ``approvals_required`` approvers
    whose grant counts (the authority rule), none of whom counts on a certification expiring
    within 14 days."""
    item = Item(
        "change",
        "certifications",
        _("Reviewer certifications cover every tier"),
        OK,
        fix_url=reverse("certification_programmes:index"),
        fix_label=_("Content ops → Certification programmes"),
    )
    rule = facts.certification
    tiers = sorted(facts.tiers.get(policy.pk, []), key=lambda t: t.level)
    covered = [t for t in tiers if rule is not None and rule.covered(t.pk)]
    if not covered:
        item.detail = _("No active certification programme covers this policy's tiers.")
        return item
    soon = timezone.now() + EXPIRING_WITHIN
    expiring = {}
    for tier in covered:
        counted = certified(facts, facts.approvers.get(tier.pk, set()), tier)
        if len(counted) < tier.approvals_required:
            item.problems.append(
                f"tier “{tier.label}” needs {tier.approvals_required} certified approver(s) "
                f"but has {len(counted)}."
            )
        for user_id in counted:
            cert = None if facts.people[user_id][1] else rule.certification(user_id, tier.pk)
            if cert is not None and cert.expires_at <= soon:
                expiring[(facts.people[user_id][0], cert.pk)] = cert.expires_at
    for (name, _pk), expires in sorted(expiring.items(), key=lambda kv: (kv[1], kv[0])):
        item.problems.append(f"{name}'s certification expires on {_when(expires)}.")
    if item.problems:
        item.status = MISSING
        if expiring and len(expiring) == len(item.problems):
            item.fix_url = reverse("ecm_ops:certification_records")
            item.fix_label = _("Content ops → Certification records")
    else:
        item.detail = ", ".join(f"{t.label}: certified" for t in covered)
    return item


def item_rubber_stamps(facts: Facts, policy) -> Item:
    """No rubber-stamp flag (:func:`ecm_ops.services.habits.flags`) open for the people holding
    approval authority in this section."""
    item = Item(
        "change",
        "rubber_stamps",
        _("No rubber-stamp flags open"),
        OK,
        fix_url=reverse("wagtailadmin_home"),
        fix_label=_("Dashboard → Rubber-stamp flags"),
    )
    reviewers = set()
    for tier in facts.tiers.get(policy.pk, []):
        reviewers |= facts.approvers.get(tier.pk, set())
    for flag in facts.rubber_stamps:
        if flag.user is None or flag.user.pk not in reviewers:
            continue
        name = flag.user.get_full_name() or flag.user.get_username()
        cases = ", ".join(f"#{c}" for c in flag.case_ids[:MAX_LISTED])
        more = len(flag.case_ids) - MAX_LISTED
        cases += f" and {more} more" if more > 0 else ""
        item.problems.append(f"{name}: {flag.message} Cases {cases}.")
    if item.problems:
        item.status = MISSING
    return item


ITEMS = [
    item_workflow,
    item_templates,
    item_draft_revisions,
    item_checks,
    item_monitoring,
    item_sweep,
    item_tiers,
    item_approvers,
    item_escalation,
    item_verify,
    item_evaluated_templates,
    item_certifications,
    item_rubber_stamps,
]
