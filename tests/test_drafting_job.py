"""The drafting job with the real Anthropic SDK behind a MockTransport: every outcome ends as a
finished DraftRequest row (never stuck queued/running), with the editor-readable reason, the
tokens, cost and latency; a cancel while the model runs wins; the key never leaks."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx2
import pytest
from django.urls import reverse
from wagtail.models import PageLogEntry, Revision

from ecm_ops.drafting.service import cancel_draft, request_draft
from ecm_ops.models import DraftRequest, FieldProvenance
from ecm_ops.providers import (
    AuthenticationFailed,
    MalformedOutput,
    OutputTruncated,
    Overloaded,
    ProviderTimeout,
    RateLimited,
    Refused,
)
from ecm_ops.providers.anthropic import AnthropicProvider
from sandbox_site.content.models import NewsArticle

from .fake_anthropic import API_KEY, Recorder, error, message

pytestmark = pytest.mark.django_db

FIELDS = {
    "title": "Night buses are coming",
    "search_description": "What the night bus plan means for you.",
    "intro": "More buses will run at night from May.",
    "body": "<p>The council will add <b>night</b> routes.</p><script>alert(1)</script>",
}
BRIEF = {"topic": "night buses", "audience": "commuters", "key_points": ["More routes"]}


class FakeAnthropic(AnthropicProvider):
    """The real provider and SDK; only the HTTP transport is fake. Subclasses set ``answers``;
    the last instance's recorder is kept on the class for assertions."""

    answers: tuple = ()
    recorder: Recorder | None = None

    def __init__(self):
        type(self).recorder = Recorder(*self.answers)
        super().__init__(
            api_key=API_KEY,
            max_retries=1,
            http_client=httpx2.Client(transport=httpx2.MockTransport(type(self).recorder)),
        )


class Succeeds(FakeAnthropic):
    answers = (message(FIELDS, model="claude-sonnet-5-5"),)


class RateLimitedAPI(FakeAnthropic):
    answers = (error(429, "rate_limit_error"),)


class OverloadedAPI(FakeAnthropic):
    answers = (error(529, "overloaded_error"),)


def _timeout(request):
    raise httpx2.ReadTimeout("timed out", request=request)


class SlowAPI(FakeAnthropic):
    answers = (_timeout,)


class TruncatingAPI(FakeAnthropic):
    answers = (message(text='{"title": "Night', stop_reason="max_tokens"),)


class RefusingAPI(FakeAnthropic):
    answers = (message(text="", stop_reason="refusal"),)


class ChattyAPI(FakeAnthropic):
    answers = (message(text="Here is your draft: Night buses are coming!"),)


class BadKeyAPI(FakeAnthropic):
    answers = (error(401, "authentication_error", message="invalid x-api-key"),)


def _cancel_then_answer(request):
    draft = DraftRequest.objects.get(status="running")
    cancel_draft(draft.pk, draft.requester)
    return message(FIELDS)


class CancelledWhileRunning(FakeAnthropic):
    answers = (_cancel_then_answer,)


def _cancel_then_fail(request):
    draft = DraftRequest.objects.get(status="running")
    cancel_draft(draft.pk, draft.requester)
    return error(401, "authentication_error", message="invalid x-api-key")


class CancelledThenFailed(FakeAnthropic):
    answers = (_cancel_then_fail,)


def use(settings, provider_class) -> None:
    settings.ECM_OPS = {**settings.ECM_OPS, "PROVIDER": f"{__name__}.{provider_class.__name__}"}


@pytest.fixture
def page(demo):
    return NewsArticle.objects.get(slug="draft-transport-plan")


def generate(page, user, capture) -> DraftRequest:
    with capture(execute=True):
        draft = request_draft(page, "news-explainer", BRIEF, user)
    draft.refresh_from_db()
    return draft


def test_success_writes_a_draft_revision_with_tokens_cost_and_latency(
    demo, page, settings, django_capture_on_commit_callbacks
):
    use(settings, Succeeds)
    editor = demo["users"]["editor"]
    revisions_before = Revision.objects.filter(object_id=str(page.pk)).count()
    draft = generate(page, editor, django_capture_on_commit_callbacks)
    assert draft.status == "succeeded", draft.error
    assert (draft.provider, draft.model_name) == ("anthropic", "claude-sonnet-5-5")
    assert (draft.input_tokens, draft.output_tokens) == (120, 300)
    assert (draft.cache_read_tokens, draft.cache_write_tokens) == (900, 0)
    # 120 * 3 + 300 * 15 + 900 * 0.3 USD per million tokens
    assert draft.cost == Decimal("0.005130")
    assert draft.latency_ms is not None and draft.latency_ms >= 0
    assert Revision.objects.filter(object_id=str(page.pk)).count() == revisions_before + 1
    written = draft.revision.as_object()
    assert written.title == "Night buses are coming"
    assert "<script>" not in str(written.body) and "night" in str(written.body)
    page.refresh_from_db()
    assert page.live is False  # a draft revision, never published
    # The request the SDK sent: the style guide as the cached first system block.
    body = Succeeds.recorder.bodies[0]
    guide = page.ecm_draft_requests.get().template_version.template.style_guide
    assert body["system"][0] == {
        "type": "text",
        "text": guide.system_block_text(),
        "cache_control": {"type": "ephemeral"},
    }
    prompt = body["messages"][0]["content"]
    assert prompt.startswith("<brief>") and prompt.endswith("</brief>")
    assert "night buses" in prompt


@pytest.mark.parametrize(
    "provider_class, error_class, requests",
    [
        (RateLimitedAPI, RateLimited, 2),
        (OverloadedAPI, Overloaded, 2),
        (SlowAPI, ProviderTimeout, 2),
        (TruncatingAPI, OutputTruncated, 1),
        (RefusingAPI, Refused, 1),
        (ChattyAPI, MalformedOutput, 1),
        (BadKeyAPI, AuthenticationFailed, 1),
    ],
)
def test_every_failure_ends_as_a_failed_row_with_the_reason(
    demo, page, settings, django_capture_on_commit_callbacks, provider_class, error_class, requests
):
    use(settings, provider_class)
    editor = demo["users"]["editor"]
    revisions_before = Revision.objects.filter(object_id=str(page.pk)).count()
    draft = generate(page, editor, django_capture_on_commit_callbacks)
    assert draft.status == "failed"
    assert not draft.is_open and draft.finished_at is not None
    assert draft.error == error_class.user_message
    assert draft.provider == "anthropic" and draft.latency_ms is not None
    assert len(provider_class.recorder.requests) == requests  # retried once where retryable
    assert draft.revision_id is None
    assert Revision.objects.filter(object_id=str(page.pk)).count() == revisions_before
    assert "ecm_ops.draft.failed" in PageLogEntry.objects.filter(page=page).values_list(
        "action", flat=True
    )


def test_a_truncated_answer_still_counts_its_tokens_and_cost(
    demo, page, settings, django_capture_on_commit_callbacks
):
    use(settings, TruncatingAPI)
    draft = generate(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    assert draft.status == "failed"
    assert draft.output_tokens == 300 and draft.cost > 0


def test_the_api_key_reaches_no_row_log_or_page(
    demo, page, settings, django_capture_on_commit_callbacks, caplog, client
):
    caplog.set_level(logging.DEBUG)
    use(settings, BadKeyAPI)
    editor = demo["users"]["editor"]
    draft = generate(page, editor, django_capture_on_commit_callbacks)
    assert draft.status == "failed"
    assert "API key" in draft.error
    sent = BadKeyAPI.recorder.requests[0].headers
    assert API_KEY in (sent.get("x-api-key") or sent.get("authorization"))
    stored = [str(v) for v in DraftRequest.objects.filter(pk=draft.pk).values().get().values()]
    stored += [str(e.data) for e in PageLogEntry.objects.filter(page=page)]
    assert all(API_KEY not in value for value in stored)
    assert API_KEY not in caplog.text
    client.force_login(editor)
    for url in (
        reverse("ecm_ops:draft_status", args=[draft.pk]),
        reverse("ecm_ops:draft_status", args=[draft.pk]) + "?format=json",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert API_KEY not in response.content.decode()


def test_cancel_while_the_model_runs_writes_no_revision(
    demo, page, settings, django_capture_on_commit_callbacks
):
    use(settings, CancelledWhileRunning)
    revisions_before = Revision.objects.filter(object_id=str(page.pk)).count()
    draft = generate(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    assert len(CancelledWhileRunning.recorder.requests) == 1  # the model did answer
    assert draft.status == "cancelled" and draft.revision_id is None
    assert Revision.objects.filter(object_id=str(page.pk)).count() == revisions_before
    assert not FieldProvenance.objects.filter(draft=draft).exists()
    assert "ecm_ops.draft.succeeded" not in PageLogEntry.objects.filter(page=page).values_list(
        "action", flat=True
    )


def test_cancel_then_provider_failure_stays_cancelled_without_a_failed_entry(
    demo, page, settings, django_capture_on_commit_callbacks
):
    use(settings, CancelledThenFailed)
    draft = generate(page, demo["users"]["editor"], django_capture_on_commit_callbacks)
    assert draft.status == "cancelled" and draft.error == "Cancelled by the editor."
    actions = list(PageLogEntry.objects.filter(page=page).values_list("action", flat=True))
    assert "ecm_ops.draft.cancelled" in actions and "ecm_ops.draft.failed" not in actions
