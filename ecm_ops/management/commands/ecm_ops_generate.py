"""Queue an AI draft for a page exactly as the editor's "Generate draft with AI" button does.

    manage.py ecm_ops_generate --page 42 --template news-explainer --user alice \\
        --brief-file brief.json --wait --timeout 300

Same service, same checks (permission, active template, brief, budgets), same provenance. With
``--wait`` it prints the outcome as JSON and exits non-zero unless the draft succeeded.
"""

from __future__ import annotations

import json
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Page

from ...drafting.service import request_draft
from ...models import DraftRequest
from ...services import ServiceError


class Command(BaseCommand):
    help = "Queue an AI draft revision for a page (optionally wait and print the outcome)."

    def add_arguments(self, parser):
        parser.add_argument("--page", type=int, required=True, help="The page id.")
        parser.add_argument("--template", required=True, help="The prompt template slug.")
        parser.add_argument(
            "--brief-file",
            help='A JSON brief ({"topic": ..., "audience": ..., "key_points": [...], '
            '"sources": ..., "target_words": ...}); "-" reads stdin. '
            "Default: the page title as the topic.",
        )
        parser.add_argument(
            "--user", help="The acting user's username (permissions and provenance)."
        )
        parser.add_argument(
            "--wait", action="store_true", help="Wait for the outcome and print it as JSON."
        )
        parser.add_argument(
            "--timeout", type=float, default=600.0, help="Seconds to wait (default 600)."
        )
        parser.add_argument(
            "--poll-interval", type=float, default=1.0, help="Seconds between status checks."
        )

    def handle(self, *args, **options):
        user = self._user(options["user"])
        page = Page.objects.filter(pk=options["page"]).first()
        if page is None:
            raise CommandError(f"There is no page with id {options['page']}.")
        brief = self._brief(options["brief_file"], page)
        try:
            draft = request_draft(page, options["template"], brief, user)
        except ServiceError as exc:
            raise CommandError(f"Refused: {exc}") from None
        if not options["wait"]:
            self.stdout.write(json.dumps({"status": draft.status, "draft": draft.pk}))
            return
        draft = self._wait(draft.pk, options["timeout"], options["poll_interval"])
        self.stdout.write(json.dumps(outcome(draft), indent=2))
        if draft.is_open:
            raise CommandError(
                f"Draft {draft.pk} is still {draft.status} after {options['timeout']:g} s; "
                "it is not lost: a worker will finish it (check again with the draft id)."
            )
        if draft.status != "succeeded":
            raise CommandError(f"Draft {draft.pk} {draft.status}: {draft.error}")

    @staticmethod
    def _user(username: str | None):
        if not username:
            raise CommandError(
                "Give the acting user with --user USERNAME: drafts record who requested them "
                "and use that person's page permissions."
            )
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f"There is no active user called {username!r}.")
        return user

    @staticmethod
    def _brief(path: str | None, page) -> dict:
        if not path:
            return {"topic": page.title}
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read the brief file {path}: {exc.strerror}.") from None
        try:
            brief = json.loads(text)
        except ValueError as exc:
            raise CommandError(f"The brief file {path} is not valid JSON: {exc}.") from None
        if not isinstance(brief, dict):
            raise CommandError(f"The brief file {path} must hold a JSON object with a topic.")
        return brief

    @staticmethod
    def _wait(pk: int, timeout: float, interval: float) -> DraftRequest:
        deadline = time.monotonic() + timeout
        while True:
            draft = DraftRequest.objects.get(pk=pk)
            if not draft.is_open or time.monotonic() >= deadline:
                return draft
            time.sleep(max(0.05, min(interval, deadline - time.monotonic())))


def outcome(draft: DraftRequest) -> dict:
    """The JSON the command prints for a draft."""
    tokens = {
        "input": draft.input_tokens,
        "output": draft.output_tokens,
        "cache_read": draft.cache_read_tokens,
        "cache_write": draft.cache_write_tokens,
    }
    return {
        "status": draft.status,
        "draft": draft.pk,
        "page": draft.page_id,
        "revision": draft.revision_id,
        "provider": draft.provider,
        "model": draft.model_name,
        "tokens": {**tokens, "total": sum(tokens.values())},
        "cost": str(draft.cost),
        "latency_ms": draft.latency_ms,
        "off_label": draft.off_label,
        "error": draft.error,
    }
