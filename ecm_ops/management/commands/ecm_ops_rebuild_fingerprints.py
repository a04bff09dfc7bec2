"""Recompute the near-duplicate fingerprints of every live page.

    manage.py ecm_ops_rebuild_fingerprints

Publishing keeps fingerprints current; run this once after installing ecm_ops on a site that
already has live pages (or after changing the canonical text fields).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ...content_checks.fingerprints import rebuild_all


class Command(BaseCommand):
    help = "Recompute the near-duplicate fingerprints of every live page."

    def handle(self, *args, **options):
        done = rebuild_all()
        self.stdout.write(f"Fingerprinted {done} live page(s).")
