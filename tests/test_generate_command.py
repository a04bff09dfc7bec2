"""``manage.py ecm_ops_generate``: the same service as the editor's button, JSON with --wait,
non-zero exits with clear messages for every refusal and failure."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ecm_ops.models import DraftRequest
from sandbox_site.content.models import AdviceArticle, NewsArticle

BRIEF = {"topic": "night buses", "audience": "commuters", "key_points": ["More routes"]}


def run(*args) -> str:
    out = StringIO()
    call_command("ecm_ops_generate", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def page(demo):
    return NewsArticle.objects.get(slug="draft-transport-plan")


@pytest.fixture
def brief_file(tmp_path):
    path = tmp_path / "brief.json"
    path.write_text(json.dumps(BRIEF))
    return str(path)


# --- queued and finished through the real inline job (on_commit needs real commits) ---------

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@transactional
def test_wait_prints_the_outcome_of_a_successful_draft(demo, page, brief_file):
    out = run(
        "--page", str(page.pk), "--template", "news-explainer", "--user", "editor",
        "--brief-file", brief_file, "--wait", "--timeout", "5",
    )  # fmt: skip
    result = json.loads(out)
    draft = DraftRequest.objects.get(pk=result["draft"])
    assert result["status"] == "succeeded" and draft.status == "succeeded"
    assert result["revision"] == draft.revision_id is not None
    assert result["provider"] == "offline" and result["error"] == ""
    assert result["tokens"]["total"] == draft.input_tokens + draft.output_tokens > 0
    assert result["cost"] == "0.000000"
    # Same provenance as the editor's button: requester, template version, brief.
    assert draft.requester == demo["users"]["editor"]
    assert draft.template_version.template.slug == "news-explainer"
    assert draft.brief["topic"] == "night buses" and draft.off_label is False
    assert draft.revision.as_object().title == "Night buses"


@transactional
def test_wait_exits_non_zero_when_the_draft_fails(demo, page, brief_file, settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "PROVIDER": "tests.test_drafting_job.OverloadedAPI"}
    out = StringIO()
    with pytest.raises(CommandError, match=r"Draft \d+ failed: The AI provider is overloaded"):
        call_command(
            "ecm_ops_generate", "--page", str(page.pk), "--template", "news-explainer",
            "--user", "editor", "--brief-file", brief_file, "--wait", stdout=out,
        )  # fmt: skip
    result = json.loads(out.getvalue())
    assert result["status"] == "failed" and "overloaded" in result["error"]


# --- queued but not run (no commit in these tests) -------------------------------------------


@pytest.mark.django_db
def test_without_wait_it_queues_and_prints_the_draft_id(demo, page):
    out = run("--page", str(page.pk), "--template", "news-explainer", "--user", "editor")
    result = json.loads(out)
    draft = DraftRequest.objects.get(pk=result["draft"])
    assert result["status"] == "queued" == draft.status
    assert draft.brief["topic"] == page.title  # default brief: the page title


@pytest.mark.django_db
def test_wait_times_out_without_losing_the_draft(demo, page):
    # Inside a test transaction nothing commits, so the inline job never runs: the row stays
    # queued, like a draft waiting for a busy worker.
    with pytest.raises(CommandError, match="still queued after 0.2 s; it is not lost"):
        run(
            "--page", str(page.pk), "--template", "news-explainer", "--user", "editor",
            "--wait", "--timeout", "0.2", "--poll-interval", "0.05",
        )  # fmt: skip
    assert DraftRequest.objects.get(page=page).status == "queued"


@pytest.mark.django_db
def test_off_label_use_is_recorded_as_from_the_editor(demo):
    advice = AdviceArticle.objects.first()
    result = json.loads(
        run("--page", str(advice.pk), "--template", "news-explainer", "--user", "senior")
    )
    assert DraftRequest.objects.get(pk=result["draft"]).off_label is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--page", "999999", "--user", "editor"], "There is no page with id 999999."),
        (["--user", "nobody"], "There is no active user called 'nobody'."),
        ([], "Give the acting user with --user USERNAME"),
        (["--user", "editor", "--template", "no-such"], "no prompt template called “no-such”"),
        (["--user", "editor", "--brief-file", "/nonexistent/b.json"], "Cannot read the brief"),
    ],
)
def test_unknown_page_user_template_or_file_is_a_clear_error(demo, page, args, message):
    base = {"--page": str(page.pk), "--template": "news-explainer"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError) as excinfo:
        run(*argv)
    assert message in str(excinfo.value)
    assert not DraftRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "is not valid JSON"),
        ('["a", "list"]', "must hold a JSON object"),
        ('{"audience": "commuters"}', "Refused: The brief needs a topic"),
        ('{"topic": "x", "colour": "red"}', "Refused: Unknown brief field(s): colour"),
    ],
)
def test_bad_brief_is_refused(demo, page, tmp_path, content, message):
    path = tmp_path / "brief.json"
    path.write_text(content)
    with pytest.raises(CommandError) as excinfo:
        run(
            "--page", str(page.pk), "--template", "news-explainer", "--user", "editor",
            "--brief-file", str(path),
        )  # fmt: skip
    assert message in str(excinfo.value)
    assert not DraftRequest.objects.exists()


@pytest.mark.django_db
def test_same_checks_as_the_button_permission_and_budget(demo, page, settings):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("outsider", password="x")
    with pytest.raises(CommandError, match="Refused: You do not have permission to edit"):
        run("--page", str(page.pk), "--template", "news-explainer", "--user", "outsider")
    settings.ECM_OPS = {**settings.ECM_OPS, "BUDGETS": {"SITE_MONTHLY_TOKENS": 0}}
    with pytest.raises(CommandError, match="Refused: This site has used its monthly AI budget"):
        run("--page", str(page.pk), "--template", "news-explainer", "--user", "editor")
    assert not DraftRequest.objects.exists()


@pytest.mark.redis
@transactional
def test_with_rq_wait_polls_and_a_timed_out_draft_is_finished_by_the_worker(
    demo, page, brief_file, rq_queue
):
    from .conftest import run_worker

    argv = ["--page", str(page.pk), "--template", "news-explainer", "--user", "editor"]
    argv += ["--brief-file", brief_file, "--wait", "--timeout", "0.3", "--poll-interval", "0.1"]
    out = StringIO()
    with pytest.raises(CommandError, match="still queued after 0.3 s; it is not lost"):
        call_command("ecm_ops_generate", *argv, stdout=out)
    result = json.loads(out.getvalue())
    assert result["status"] == "queued" and rq_queue.count == 1
    run_worker(rq_queue)
    draft = DraftRequest.objects.get(pk=result["draft"])
    assert draft.status == "succeeded" and draft.revision_id is not None
