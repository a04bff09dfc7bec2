"""Registration only: menus, viewsets, URLs, buttons, log actions. No ORM work here."""

from django.templatetags.static import static
from django.urls import NoReverseMatch, include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.widgets.button import Button

from .admin import findings as findings_admin
from .admin import review_hooks, viewsets
from .admin import urls as admin_urls
from .disclosure import middleware as disclosure_middleware
from .services import audit, page_events


@hooks.register("register_admin_urls")
def register_urls():
    return [path("ecm-ops/", include(admin_urls, namespace="ecm_ops"))]


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [*viewsets.ALL, *viewsets.CHOOSERS]


class _ShownIf(MenuItem):
    """A menu item shown only to users for whom ``shown(user)`` is true, so nobody sees an
    entry that would refuse them."""

    def __init__(self, *args, shown, **kwargs):
        super().__init__(*args, **kwargs)
        self._shown = shown

    def is_shown(self, request):
        return self._shown(request.user)


def _may_see_authority(user) -> bool:
    from .governance.authority import can_manage_authority, holds_any_tier_authority

    return can_manage_authority(user) or holds_any_tier_authority(user)


def _may_see_audit(user) -> bool:
    from .governance.authority import VIEW_AUDIT, holds_any_tier_authority

    return user.is_superuser or user.has_perm(VIEW_AUDIT) or holds_any_tier_authority(user)


def _may_see_setup(user) -> bool:
    from .admin.setup import can_view_setup

    return can_view_setup(user)


def _may_manage_prompts(user) -> bool:
    from .services.prompts import can_manage

    return can_manage(user)


def _may_see_operations(user) -> bool:
    from .admin.operations import may_view

    return may_view(user)


def _may_see_certifications(user) -> bool:
    from .governance.authority import holds_any_grant

    return user.is_superuser or holds_any_grant(user)


def _may_see_certification_records(user) -> bool:
    from .governance.authority import can_manage_authority

    return can_manage_authority(user) or user.has_perm("ecm_ops.view_certification_records")


@hooks.register("register_admin_menu_item")
def register_menu():
    items = [
        MenuItem(_("Review queue"), reverse("ecm_ops:review_queue"), icon_name="tasks", order=100),
        MenuItem(_("Incidents"), reverse("ecm_ops:incidents"), icon_name="warning", order=110),
        _ShownIf(
            _("Approval authority"),
            reverse("ecm_ops:authority"),
            icon_name="lock",
            order=120,
            shown=_may_see_authority,
        ),
        _ShownIf(
            _("Evaluation runs"),
            reverse("ecm_ops:evaluation_runs"),
            icon_name="tick-inverse",
            order=124,
            shown=_may_manage_prompts,
        ),
        _ShownIf(
            _("My certifications"),
            reverse("ecm_ops:certifications"),
            icon_name="user",
            order=125,
            shown=_may_see_certifications,
        ),
        _ShownIf(
            _("Certification records"),
            reverse("ecm_ops:certification_records"),
            icon_name="doc-full",
            order=126,
            shown=_may_see_certification_records,
        ),
        _ShownIf(
            _("Audit trail"),
            reverse("ecm_ops:audit_trail"),
            icon_name="history",
            order=130,
            shown=_may_see_audit,
        ),
        _ShownIf(
            _("Operations"),
            reverse("ecm_ops:operations"),
            icon_name="doc-full",
            order=140,
            shown=_may_see_operations,
        ),
        _ShownIf(
            _("Setup"),
            reverse("ecm_ops:setup"),
            icon_name="cog",
            order=400,
            shown=_may_see_setup,
        ),
    ] + [vs.get_menu_item(order=200 + i) for i, vs in enumerate(viewsets.ALL)]
    return SubmenuMenuItem(
        _("Content ops"), Menu(items=items), icon_name="tasks", name="ecm-ops", order=350
    )


@hooks.register("register_log_actions")
def register_log_actions(actions):
    audit.register(actions)


@hooks.register("register_page_header_buttons")
def generate_button(page, user, view_name, next_url=None):
    from .drafting.service import locked_for

    if (
        view_name == "edit"
        and page.permissions_for_user(user).can_edit()
        and not locked_for(page, user)
    ):
        yield Button(
            _("Generate draft with AI"),
            reverse("ecm_ops:generate", args=[page.pk]),
            icon_name="edit",
            attrs={"data-ecm-generate": ""},
            priority=5,
        )


@hooks.register("register_page_header_buttons")
def disclosure_button(page, user, view_name, next_url=None):
    """The page's AI disclosure evidence, once it has been published."""
    if page.first_published_at and page.permissions_for_user(user).can_edit():
        yield Button(
            _("AI disclosure evidence"),
            reverse("ecm_ops:disclosure_evidence", args=[page.pk]),
            icon_name="doc-full",
            priority=60,
        )


@hooks.register("before_serve_page")
def note_served_page(page, request, serve_args, serve_kwargs):
    """For the optional AI-Disclosure response header (ecm_ops.disclosure.middleware)."""
    disclosure_middleware.note_served_page(page, request)


@hooks.register("insert_editor_js")
def generate_js():
    """Asks before "Generate draft with AI" leaves an editor with unsaved changes."""
    return format_html('<script src="{}" defer></script>', static("ecm_ops/js/generate.js"))


@hooks.register("insert_global_admin_css")
def ecm_ops_css():
    return format_html('<link rel="stylesheet" href="{}">', static("ecm_ops/css/ecm_ops.css"))


@hooks.register("after_edit_page")
def after_edit_page(request, page):
    page_events.page_saved(page, request.user)


@hooks.register("before_publish_page")
def guard_direct_publish(request, page):
    return review_hooks.before_publish_page(request, page)


@hooks.register("after_edit_page")
def restart_review_on_new_revision(request, page):
    return review_hooks.after_edit_page(request, page)


@hooks.register("before_bulk_action")
def guard_bulk_publish(request, action_type, objects, action_class_instance):
    return review_hooks.before_bulk_action(request, action_type, objects)


@hooks.register("construct_page_action_menu")
def review_footer(menu_items, request, context):
    return review_hooks.construct_page_action_menu(menu_items, request, context)


@hooks.register("before_copy_page")
def guard_copy_publish(request, page):
    return review_hooks.before_copy_page(request, page)


@hooks.register("after_create_page")
def after_create_page(request, page):
    page_events.page_saved(page, request.user)


@hooks.register("before_edit_page")
def submit_gate(request, page):
    return findings_admin.before_edit_page(request, page)


@hooks.register("insert_editor_js")
def findings_panel_js():
    try:  # the cheap poll URL, when the site includes ecm_ops.urls (see its docstring)
        url = reverse("ecm_ops_public:page_findings_poll", args=[0])
    except NoReverseMatch:
        url = reverse("ecm_ops:page_findings", args=[0])
    return format_html(
        '<script src="{}" data-ecm-findings-url="{}" data-ecm-title="{}" defer></script>',
        static("ecm_ops/js/findings_panel.js"),
        url,
        _("Pre-screen findings"),
    )


@hooks.register("construct_explorer_page_queryset")
def annotate_listing_scores(parent_page, pages, request):
    findings_admin.listing_banner(request, parent_page, pages)
    return findings_admin.annotate_scores(pages)


@hooks.register("before_edit_page")
def edit_view_banners(request, page):
    findings_admin.edit_view_banners(request, page)


@hooks.register("register_page_listing_buttons")
def listing_score_badge(page, user, next_url=None):
    return findings_admin.score_badge(page)


@hooks.register("construct_homepage_panels")
def overdue_reviews_panel(request, panels):
    from .admin.escalation import OverdueReviewsPanel

    panels.append(OverdueReviewsPanel())


@hooks.register("construct_homepage_panels")
def promotion_overrides_panel(request, panels):
    from .admin.evaluation import PromotionOverridesPanel

    panels.append(PromotionOverridesPanel())


@hooks.register("construct_homepage_panels")
def certification_panel(request, panels):
    from .admin.certification import CertificationPanel
    from .admin.habits import RubberStampPanel

    panels.append(CertificationPanel())
    panels.append(RubberStampPanel())


@hooks.register("construct_homepage_panels")
def awaiting_review_panel(request, panels):
    from .admin.dashboard import replace_panels

    replace_panels(panels)


@hooks.register("register_icons")
def register_icons(icons):
    return [*icons, "ecm_ops/icons/bell.svg"]


@hooks.register("register_admin_menu_item")
def notifications_menu_item():
    from .admin.notifications import NotificationsMenuItem

    return NotificationsMenuItem(
        _("Notifications"),
        reverse("ecm_ops:notifications"),
        name="ecm-ops-notifications",
        icon_name="ecm-bell",
        order=349,
    )


@hooks.register("construct_homepage_panels")
def notifications_panel(request, panels):
    from .admin.notifications import NotificationsPanel

    panels.append(NotificationsPanel())
