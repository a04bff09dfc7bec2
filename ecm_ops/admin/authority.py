"""Approval authority screens: who may approve each tier of a policy (grant / revoke), and
delegation of one review case to a named reviewer.

Viewing needs authority in the policy, ``ecm_ops.manage_authority`` or superuser; changing
anything needs ``ecm_ops.manage_authority`` or superuser. Everyone else gets 403 and nothing
changes. The views only parse input and call :mod:`ecm_ops.governance.authority`.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from guardian.core import ObjectPermissionChecker
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
    tiers = list(ReviewTier.objects.filter(policy=policy).select_related("required_group"))
    holders = authority.tier_holders(tiers)
    checker = ObjectPermissionChecker(request.user)
    checker.prefetch_perms(tiers)
    rows = [
        {
            "tier": t,
            "users": holders[t.pk]["users"],
            "groups": holders[t.pk]["groups"],
            "you": checker.has_perm(authority.APPROVE_TIER, t),
        }
        for t in tiers
    ]
    return TemplateResponse(
        request,
        "ecm_ops/authority/policy.html",
        {
            "policy": policy,
            "rows": rows,
            "form": form,
            "can_manage": can_manage,
            "warnings": authority.policy_warnings(policy) + quorum_warnings(tiers),
        },
        status=status,
    )


def quorum_warnings(tiers) -> list[str]:
    """A tier needing more approvals than it has eligible approvers can never reach quorum
    (eligibility is :func:`ecm_ops.governance.authority.users_with_authority`)."""
    if not tiers:
        return []
    # One query for all tiers: the eligibility function's query of each tier as a subquery.
    counts = get_user_model().objects.aggregate(
        **{
            f"t{tier.pk}": Count(
                "pk", filter=Q(pk__in=authority.users_with_authority(tier).values("pk"))
            )
            for tier in tiers
        }
    )
    warnings = []
    for tier in tiers:
        eligible = counts[f"t{tier.pk}"]
        if eligible < tier.approvals_required:
            warnings.append(
                _(
                    "Tier “%(tier)s” needs %(needed)s approvals, but only %(eligible)s people "
                    "may approve at it: no review at this tier can be completed until more "
                    "people are granted authority (four-eyes may remove one more: nobody "
                    "approves their own work)."
                )
                % {"tier": tier.label, "needed": tier.approvals_required, "eligible": eligible}
            )
    return warnings


def _remaining_after_revoke(tier, user, group) -> int:
    """How many eligible approvers the tier keeps after the revoke (approximation: a user who
    holds authority through a group keeps it)."""
    eligible = authority.users_with_authority(tier)
    if user is not None:
        eligible = eligible.exclude(pk=user.pk)
    return eligible.count() if group is None else max(eligible.count() - group.user_set.count(), 0)


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
