"""The baseline site WITHOUT ecm_ops that the edit-view and dashboard benches compare against.

It runs in a separate process with ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.bench_without``
(no ecm_ops, no django-guardian, no django-fsm) and its own throwaway database. Nothing here
imports ecm_ops.
"""

from __future__ import annotations

import os
import subprocess
import sys

SETTINGS = "sandbox_site.settings.bench_without"


def build():
    """A home and a News section, and an editor (not a superuser) in Wagtail's "Editors"
    group, whose migrations give it admin access and add/change rights on the whole tree."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from wagtail.models import Page

    from sandbox_site.content.models import HomePage, SectionPage

    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="Home", slug="bench-home"))
    news = home.add_child(instance=SectionPage(title="News", slug="news"))
    editor = get_user_model().objects.create_user("editor", "editor@example.com", "x")
    editor.groups.add(Group.objects.get(name="Editors"))
    return news, editor


def start(script: str, **popen) -> subprocess.Popen:
    """Run ``script --without`` under the settings without the app."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS}
    return subprocess.Popen([sys.executable, script, "--without"], env=env, text=True, **popen)
