"""Approval authority screens: who may approve each tier of a policy (grant / revoke), and
delegation of one review case to a named reviewer.

Viewing needs authority in the policy, ``ecm_ops.manage_authority`` or superuser; changing
anything needs ``ecm_ops.manage_authority`` or superuser. Everyone else gets 403 and nothing
changes. The views only parse input and call :mod:`ecm_ops.governance.authority`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, TitleColumn

from ..governance import authority
from ..models import ReviewCase, ReviewTier, RiskPolicy
from ..services import PermissionDenied, ServiceError
from .choosers import anonymous_usernames, choosable_users, group_chooser, safe_widget, user_chooser
from .listing import EcmIndexView
from .refusals import refusals

NO_VIEW = "You need approval authority in this policy (or the right to manage authority) to see it."
NO_MANAGE = (
    "Only site admins with the “Can grant and revoke approval authority” permission may change "
    "who can approve. Nothing was changed."
)


def _users():
    return choosable_users()


class PersonField(forms.ModelChoiceField):
    """A user chosen with the person chooser; an inactive user or django-guardian's anonymous
    user is refused with a message saying why (not a bare "not one of the choices")."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        User = get_user_model()
        try:
            user = User.objects.get(pk=value)
        except (User.DoesNotExist, ValueError, TypeError):
            raise forms.ValidationError(_("This person does not exist (any more).")) from None
        if user.get_username() in anonymous_usernames():
            raise forms.ValidationError(
                _("“%(name)s” stands for visitors who are not logged in; it cannot approve.")
                % {"name": user.get_username()}
            )
        if not user.is_active:
            raise forms.ValidationError(
                _("%(name)s is inactive and cannot approve. Reactivate the account first.")
                % {"name": user.get_full_name() or user.get_username()}
            )
        return user


class AuthorityForm(forms.Form):
    """Grant or revoke ``approve_tier`` on one tier of this policy, for a user or a group."""

    action = forms.ChoiceField(
        label=_("Change"),
        choices=[("grant", _("Grant authority")), ("revoke", _("Revoke authority"))],
        widget=forms.RadioSelect,
        initial="grant",
    )
    tier = forms.ModelChoiceField(queryset=ReviewTier.objects.none(), label=_("Tier"))
    user = PersonField(
        queryset=_users(),
        required=False,
        label=_("Person"),
        widget=safe_widget(user_chooser)(),
    )
    group = forms.ModelChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        label=_("or group"),
        widget=safe_widget(group_chooser)(),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = (
            ReviewTier.objects.filter(policy=policy).select_related("policy").order_by("level")
        )
        self.fields["tier"].label_from_instance = lambda t: (
            _("%(label)s (level %(level)s)")
            % {
                "label": t.label,
                "level": t.level,
            }
        )

    def clean(self):
        data = super().clean()
        if bool(data.get("user")) == bool(data.get("group")):
            if not self.errors.get("user"):
                raise forms.ValidationError(_("Choose either a person or a group (exactly one)."))
        return data

    @property
    def needs_confirmation(self) -> bool:
        return self.cleaned_data.get("action") == "revoke" and not self.cleaned_data.get(
            "confirmed"
        )


class DelegateForm(forms.Form):
    reviewer = PersonField(
        queryset=_users(), label=_("Reviewer"), widget=safe_widget(user_chooser)()
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.TextInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = _users()


class AuthorityIndexView(EcmIndexView):
    """Every policy the user may see authority for, linking to the per-policy screens."""

    model = RiskPolicy
    page_title = _("Approval authority")
    header_icon = "lock"
    index_url_name = "ecm_ops:authority"
    index_results_url_name = "ecm_ops:authority_results"
    search_fields = ["name", "section__title"]
    default_ordering = "name"

    def check_access(self, user) -> None:
        if not (authority.can_manage_authority(user) or authority.holds_any_tier_authority(user)):
            raise PermissionDenied(NO_VIEW)

    @property
    def no_results_message(self):
        if self.is_searching:
            return _("No risk policy matches your search.")
        return _("No risk policies yet. Add one under Content ops → Risk policies.")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "name",
                label=_("Policy"),
                sort_key="name",
                get_url=lambda p: reverse("ecm_ops:policy_authority", args=[p.pk]),
            ),
            Column(
                "section", label=_("Section"), accessor="section.title", sort_key="section__title"
            ),
            Column("n_tiers", label=_("Tiers"), sort_key="n_tiers"),
        ]

    def get_base_queryset(self):
        user = self.request.user
        policies = RiskPolicy.objects.select_related("section").annotate(
            n_tiers=Count("tiers", distinct=True)
        )
        if authority.can_manage_authority(user):
            return policies
        return policies.filter(pk__in=authority.policies_with_authority(user))

    def order_queryset(self, queryset):
        return super().order_queryset(queryset).order_by(self.ordering, "pk")


index = AuthorityIndexView.as_view()
index_results = AuthorityIndexView.as_view(results_only=True)


@refusals
def policy_authority(request, pk: int):
    policy = get_object_or_404(RiskPolicy.objects.select_related("section"), pk=pk)
    can_manage = authority.can_manage_authority(request.user)
    if not (can_manage or authority.has_authority_in_policy(request.user, policy)):
        raise PermissionDenied(NO_VIEW)
    form = AuthorityForm(request.POST or None, policy=policy)
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(NO_MANAGE)
        if form.is_valid() and form.needs_confirmation:
            data = form.cleaned_data
            return TemplateResponse(
                request,
                "ecm_ops/authority/confirm_revoke.html",
                {
                    "policy": policy,
                    "tier": data["tier"],
                    "holder": data["user"] or data["group"],
                    "user": data["user"],
                    "group": data["group"],
                    "remaining": _remaining_after_revoke(data["tier"], data["user"], data["group"]),
                },
            )
        if form.is_valid():
            data = form.cleaned_data
            change = authority.grant_tier if data["action"] == "grant" else authority.revoke_tier
            try:
                changed = change(
                    data["tier"], by=request.user, user=data["user"], group=data["group"]
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                who = data["user"] or data["group"]
                who = (who.get_full_name() or who.get_username()) if data["user"] else who.name
                verb = _("now may") if data["action"] == "grant" else _("may no longer")
                if changed:
                    messages.success(
                        request, f"{who} {verb} approve at tier “{data['tier'].label}”."
                    )
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("ecm_ops:policy_authority", pk=policy.pk)
        else:
            status = 400
    tiers = list(
        ReviewTier.objects.filter(policy=policy).select_related("required_group").order_by("level")
    )
    with authority.memo():  # read-only from here: the facts below are read once
        facts = TierFacts(tiers, records_url=_records_url(request.user))
        you = authority.effective_tiers(request.user)
        suspended = {t.pk for t, _p, _c in authority.uncertified_tiers(request.user)}
        rows = [
            {
                "tier": t,
                "users": facts.users[t.pk],
                "groups": facts.groups[t.pk],
                "eligible": len(facts.eligible[t.pk]),
                "you": t.pk in you,
                "you_suspended": t.pk in suspended,
            }
            for t in tiers
        ]
        warnings = authority.policy_warnings(policy) + quorum_warnings(tiers, facts)
    return TemplateResponse(
        request,
        "ecm_ops/authority/policy.html",
        {
            "policy": policy,
            "rows": rows,
            "form": form,
            "can_manage": can_manage,
            "warnings": warnings,
        },
        status=status,
    )


@dataclass
class HolderFact:
    """One direct holder of a grant on one tier, and whether that grant counts now."""

    user: object
    status: str  # "eligible", "expired", "uncertified", "inactive"
    certification: object = None  # the valid one (eligible) or the newest expired one
    programme: str = ""
    records_url: str = ""

    @property
    def eligible(self) -> bool:
        return self.status == "eligible"


@dataclass
class GroupFact:
    """One group holding a grant on one tier: its active members, and how many of them may
    approve now (certified)."""

    group: object
    members: int
    eligible: int
    records_url: str = ""


class TierFacts:
    """Who holds ``approve_tier`` on each tier and whose grant counts now, for any number of
    tiers and holders in a constant number of queries. Eligibility is the governance rule
    (:func:`ecm_ops.governance.authority.effective_holders` and
    :class:`~ecm_ops.governance.authority.CertificationRule`); nothing is decided here."""

    def __init__(self, tiers, *, records_url=None):
        pks = [t.pk for t in tiers]
        holders = authority.tier_holders(tiers)
        self.eligible: dict[int, set[int]] = authority.effective_holders(tiers)
        for pk in pks:  # superusers may approve anywhere (the rule exempts them)
            self.eligible[pk] |= {
                u.pk for u in holders[pk]["users"] if u.is_active and u.is_superuser
            }
        group_ids = {g.pk for h in holders.values() for g in h["groups"]}
        members: dict[int, set[int]] = {g: set() for g in group_ids}
        through = get_user_model().groups.through
        for group_id, user_id in through.objects.filter(
            group_id__in=group_ids, user__is_active=True
        ).values_list("group_id", "user_id"):
            members[group_id].add(user_id)
        # The same people effective_holders just looked up (active holders, direct or
        # through a group), so inside authority.memo() their certifications are read once.
        people = {u.pk for h in holders.values() for u in h["users"] if u.is_active}
        people |= {u for m in members.values() for u in m}
        rule = authority.CertificationRule({t.pk: t.policy_id for t in tiers}, people)
        now = timezone.now()
        self.users: dict[int, list[HolderFact]] = {}
        self.groups: dict[int, list[GroupFact]] = {}
        #: Active people holding the grant (directly or through a group) whose grant does
        #: not count now for want of a valid certification.
        self.uncertified: dict[int, set[int]] = {}
        for pk in pks:
            programme = rule.required.get(pk)
            name = rule.programme_names.get(programme, "")

            def link(username="", programme=programme):
                if not (records_url and programme):
                    return ""
                query = {"programme": programme, **({"q": username} if username else {})}
                return f"{records_url}?{urlencode(query)}"

            self.users[pk] = []
            for u in holders[pk]["users"]:
                if not u.is_active:
                    fact = HolderFact(u, "inactive")
                elif u.pk in self.eligible[pk]:
                    fact = HolderFact(u, "eligible", rule.certification(u.pk, pk), name)
                else:
                    latest = rule.latest(u.pk, pk)
                    expired = latest is not None and latest.expires_at <= now
                    fact = HolderFact(
                        u,
                        "expired" if expired else "uncertified",
                        latest if expired else None,
                        name,
                        link(u.get_username()),
                    )
                self.users[pk].append(fact)
            self.groups[pk] = [
                GroupFact(
                    g,
                    len(members[g.pk]),
                    len(members[g.pk] & self.eligible[pk]),
                    link() if members[g.pk] - self.eligible[pk] else "",
                )
                for g in holders[pk]["groups"]
            ]
            active = {f.user.pk for f in self.users[pk] if f.status != "inactive"}
            for g in holders[pk]["groups"]:
                active |= members[g.pk]
            self.uncertified[pk] = active - self.eligible[pk]


def _records_url(viewer) -> str:
    """The certification records listing, for viewers who may see it ('' otherwise)."""
    from .certification import _may_view_records

    return reverse("ecm_ops:certification_records") if _may_view_records(viewer) else ""


def quorum_warnings(tiers, facts: TierFacts) -> list[str]:
    """A tier needing more approvals than it has eligible approvers (holders whose grant
    counts now, i.e. certified) can never reach quorum."""
    warnings = []
    for tier in tiers:
        eligible = len(facts.eligible[tier.pk])
        if eligible >= tier.approvals_required:
            continue
        warning = _(
            "Tier “%(tier)s” needs %(needed)s approvals, but only %(eligible)s people "
            "may approve at it now: no review at this tier can be completed until more "
            "people are granted authority (four-eyes may remove one more: nobody "
            "approves their own work)."
        ) % {"tier": tier.label, "needed": tier.approvals_required, "eligible": eligible}
        lapsed = len(facts.uncertified[tier.pk])
        if lapsed:
            warning += " " + _(
                "%(lapsed)s more hold the grant but have no valid reviewer certification for "
                "this tier; they count again once they certify."
            ) % {"lapsed": lapsed}
        warnings.append(warning)
    return warnings


def _remaining_after_revoke(tier, user, group) -> int:
    """How many people may approve at ``tier`` now (certified) and still will after the
    revoke: those who keep a grant through another holding (a direct grant or another
    group)."""
    holders = authority.tier_holders([tier])[tier.pk]
    keep = {u.pk for u in holders["users"] if user is None or u.pk != user.pk}
    others = [g.pk for g in holders["groups"] if group is None or g.pk != group.pk]
    if others:
        through = get_user_model().groups.through
        keep |= set(through.objects.filter(group_id__in=others).values_list("user_id", flat=True))
    return len(TierFacts([tier]).eligible[tier.pk] & keep)


@refusals
def delegate_case(request, pk: int):
    """Delegate one open case to a named reviewer (guardian ``review_case`` on the case)."""
    case = get_object_or_404(ReviewCase.objects.select_related("page", "tier", "policy"), pk=pk)
    if not authority.can_manage_authority(request.user):
        raise PermissionDenied(NO_MANAGE)
    form = DelegateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            reviewer = form.cleaned_data["reviewer"]
            try:
                authority.delegate(
                    case, reviewer, by=request.user, reason=form.cleaned_data["reason"]
                )
            except ServiceError as exc:
                form.add_error("reviewer", str(exc))
                status = exc.status
            else:
                messages.success(request, f"{reviewer} may now review “{case.page.title}”.")
                return redirect("ecm_ops:delegate_case", pk=case.pk)
        else:
            status = 400
    delegated = (
        get_user_model()
        .objects.filter(
            reviewcaseuserobjectpermission__content_object=case,
            reviewcaseuserobjectpermission__permission__codename=authority.REVIEW_CASE,
        )
        .order_by("username")
    )
    return TemplateResponse(
        request,
        "ecm_ops/authority/delegate.html",
        {"case": case, "form": form, "delegated": delegated},
        status=status,
    )
