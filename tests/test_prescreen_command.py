"""The ecm_ops_prescreen CLI: JSON/text output, exit codes, fields, pages, bad input."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from ecm_ops.content_checks.canonical import canonical_text
from sandbox_site.content.models import NewsArticle

KEYS = {"check", "severity", "field", "start", "end", "message", "excerpt"}
CLEAN = "The night bus returns in May. Riders can buy tickets on board.\n"


def prescreen(capsys, *args):
    """(exit code, stdout, stderr)."""
    code = 0
    try:
        call_command("ecm_ops_prescreen", *args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def text_file(tmp_path):
    def make(content, name="article.txt"):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        return str(path)

    return make


@pytest.mark.django_db
def test_json_lists_findings_with_exactly_the_documented_keys_and_exit_1_on_blocker(
    capsys, text_file
):
    body = "As an AI language model, I wrote this. Mail jane@example.org.\n"
    code, out, _ = prescreen(capsys, "--text-file", text_file(body), "--format", "json")
    findings = json.loads(out)
    assert code == 1
    assert all(set(f) == KEYS for f in findings)
    by_check = {f["check"]: f for f in findings}
    email = by_check["pii.email"]
    assert email["severity"] == "blocker" and email["field"] == "body"
    assert body[email["start"] : email["end"]] == "jane@example.org"
    assert email["excerpt"].startswith("j•••@example.org (ref ")  # personal data masked
    assert "ai_artefacts.self_reference" in by_check


@pytest.mark.django_db
def test_clean_text_exits_0(capsys, text_file):
    code, out, _ = prescreen(capsys, "--text-file", text_file(CLEAN), "--format", "json")
    assert code == 0 and all(f["severity"] != "blocker" for f in json.loads(out))


@pytest.mark.django_db
def test_warnings_alone_exit_0_and_text_format_summarises(capsys, text_file):
    code, out, _ = prescreen(capsys, "--text-file", text_file("Studies show it works.\n"))
    assert code == 0
    assert "warning  claims.unsourced" in out and "body[0:12]" in out and '"Studies show"' in out
    assert "1 finding(s): 0 blocker(s), 1 warning(s)" in out


@pytest.mark.django_db
def test_field_sections_and_page_type(capsys, text_file):
    long_hard = (
        "Notwithstanding considerable institutional uncertainty, comprehensive "
        "infrastructural modernisation necessitates intergovernmental coordination. "
    ) * 12
    content = f"== title ==\nNight buses\n== intro ==\nShort intro.\n== body ==\n{long_hard}\n"
    path = text_file(content)
    code, out, _ = prescreen(capsys, "--text-file", path, "--format", "json", "--page-type",
                             "content.NewsArticle")  # fmt: skip
    findings = json.loads(out)
    grade = [f for f in findings if f["check"] == "readability.grade"]
    assert code == 0 and [f["field"] for f in grade] == ["body"]


@pytest.mark.django_db
def test_html_file_is_rich_text(capsys, text_file):
    path = text_file('<p>See <a href="javascript:alert(1)">this</a>.</p>', name="a.html")
    code, out, _ = prescreen(capsys, "--text-file", path, "--format", "json")
    (finding,) = [f for f in json.loads(out) if f["check"] == "links.url"]
    assert code == 1 and finding["excerpt"] == "this"


@pytest.mark.django_db
def test_bad_input_is_a_clear_error_with_exit_2(text_file):
    with pytest.raises(CommandError, match="No such file") as exc:
        call_command("ecm_ops_prescreen", "--text-file", "/nonexistent/file.txt")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="Unknown page type 'content.Nope'") as exc:
        call_command("ecm_ops_prescreen", "--text-file", text_file(CLEAN), "--page-type",
                     "content.Nope")  # fmt: skip
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="not a Wagtail page type"):
        call_command("ecm_ops_prescreen", "--text-file", text_file(CLEAN), "--page-type",
                     "ecm_ops.StyleGuide")  # fmt: skip
    with pytest.raises(CommandError, match="No page with id 999999") as exc:
        call_command("ecm_ops_prescreen", "--page", "999999")
    assert exc.value.returncode == 2


@pytest.mark.django_db
def test_page_uses_the_same_canonical_text_as_the_editor(capsys, demo):
    page = NewsArticle.objects.get(slug="draft-transport-plan")
    page.body = "<p>Contact jane@example.org for details.</p>"
    revision = page.save_revision()
    code, out, _ = prescreen(capsys, "--page", str(page.pk), "--format", "json")
    doc = canonical_text(revision.as_object())
    (email,) = [f for f in json.loads(out) if f["check"] == "pii.email"]
    assert code == 1 and doc.text[email["start"] : email["end"]] == "jane@example.org"
    # --live screens the live version instead (the draft has no e-mail address)
    code, out, _ = prescreen(capsys, "--page", str(page.pk), "--live", "--format", "json")
    assert not [f for f in json.loads(out) if f["check"] == "pii.email"]
