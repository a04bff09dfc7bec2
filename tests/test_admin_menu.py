"""The Content ops menu shows each person only the screens they may open."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ADMIN_ONLY = ["ecm_ops_prompt_templates:index", "ecm_ops_risk_policies:index"]
AUTHORITY = ["ecm_ops:authority", "ecm_ops:audit_trail"]
EVERYONE = ["ecm_ops:review_queue", "ecm_ops:incidents"]


def _menu_html(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("username", "shown", "hidden"),
    [
        ("editor", EVERYONE, AUTHORITY + ADMIN_ONLY),
        ("senior", EVERYONE + AUTHORITY, ADMIN_ONLY),
        ("admin", EVERYONE + AUTHORITY + ADMIN_ONLY, []),
    ],
)
def test_menu_items_follow_permissions(demo, client, username, shown, hidden):
    html = _menu_html(client, demo["users"][username])
    for name in shown:
        assert reverse(name) in html, name
    for name in hidden:
        assert reverse(name) not in html, name


def test_every_shown_item_opens(demo, client):
    """Nobody is shown a menu entry that refuses them."""
    for username in ("editor", "senior", "admin"):
        html = _menu_html(client, demo["users"][username])
        for name in EVERYONE + AUTHORITY + ADMIN_ONLY:
            if reverse(name) in html:
                assert client.get(reverse(name)).status_code == 200, (username, name)
