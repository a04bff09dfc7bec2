"""Style check: Vale-style rule types, rule packs (admin model, import command), the shipped
default pack, and the style guide's terminology."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings

from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.registry import CheckContext
from ecm_ops.content_checks.style import DEFAULT_PACK_DIR, StyleCheck, load_folder
from ecm_ops.content_checks.vale import RuleError, compile_rule, parse_pack
from ecm_ops.models import StyleGuide, StyleRulePack

NO_DEFAULT = {"STYLE_DEFAULT_PACK": False}


def hits(rule: dict, text: str, title: str = "A title"):
    doc = CanonicalText.from_fields([("title", title), ("body", text)])
    return [(h.severity, doc.text[h.start : h.end], h.message)
            for h in compile_rule("R", rule).hits(doc, {})]  # fmt: skip


def test_existence_with_tokens_ignorecase_and_message():
    rule = {"extends": "existence", "message": "Avoid '%s'.", "level": "error",
            "ignorecase": True, "tokens": ["very", "really"]}  # fmt: skip
    assert hits(rule, "It is Very good, every time.") == [("blocker", "Very", "Avoid 'Very'.")]
    assert hits({**rule, "ignorecase": False}, "It is Very good.") == []


def test_substitution_swaps_and_leaves_the_preferred_word_alone():
    rule = {"extends": "substitution", "level": "warning", "ignorecase": True,
            "swap": {"e-mail": "email", "log ?in": "sign in|log on"}}  # fmt: skip
    found = hits(rule, "Send an e-mail, then login. Or email us.")
    assert found == [
        ("warning", "e-mail", "Use 'email' instead of 'e-mail'."),
        ("warning", "login", "Use 'sign in or log on' instead of 'login'."),
    ]


def test_occurrence_counts_per_sentence():
    rule = {"extends": "occurrence", "scope": "sentence", "max": 5, "token": r"\b\w+\b",
            "message": "%s words.", "level": "suggestion"}  # fmt: skip
    found = hits(rule, "Short one here. This sentence has far too many words in it.")
    # As in Vale, the alert points at the first match of the unit and %s is the count.
    assert found == [("info", "This", "9 words.")]
    assert hits({**rule, "max": None, "min": 1, "token": "bus"}, "No trams.") != []


def test_repetition_finds_doubled_words_only():
    rule = {"extends": "repetition", "alpha": True, "ignorecase": True, "tokens": [r"[^\s.,]+"]}
    # Vale compares consecutive tokens: punctuation that is not a token does not separate.
    found = hits(rule, "The the bus is is late. Bye, bye. A 42 42.\nnow now")
    assert [h[1] for h in found] == ["The the", "is is", "Bye, bye", "now now"]


def test_capitalization_of_the_title():
    rule = {"extends": "capitalization", "match": "$sentence", "scope": "heading",
            "exceptions": ["London"]}  # fmt: skip
    assert hits(rule, "Body Text Is Not Checked", title="Night buses in London") == []
    assert [h[1] for h in hits(rule, "x", title="Night Buses Return")] == ["Night Buses Return"]
    title_rule = {**rule, "match": "$title"}
    assert hits(title_rule, "x", title="Night Buses of the City") == []
    assert hits(title_rule, "x", title="Night buses") != []
    assert hits({**rule, "match": "$upper"}, "x", title="NEWS") == []


def test_conditional_acronyms_must_be_defined():
    rule = {"extends": "conditional", "first": r"\b([A-Z]{3,5})\b",
            "second": r"(?:\b[A-Z][a-z]+ )+\(([A-Z]{3,5})\)", "exceptions": ["BBC"]}  # fmt: skip
    assert hits(rule, "The World Health Organization (WHO) said WHO rules apply. BBC too.") == []
    assert [h[1] for h in hits(rule, "The TFL plan.")] == ["TFL"]


def test_bad_rules_are_rejected_with_the_rule_named():
    with pytest.raises(RuleError, match="Rule R: extends 'spelling' is not supported"):
        compile_rule("R", {"extends": "spelling"})
    with pytest.raises(RuleError, match="'\\(unclosed' cannot be used: missing \\)"):
        compile_rule("R", {"extends": "existence", "tokens": ["(unclosed"]})
    with pytest.raises(RuleError, match="level"):
        compile_rule("R", {"extends": "existence", "tokens": ["x"], "level": "fatal"})
    with pytest.raises(RuleError, match="not valid YAML"):
        parse_pack("a: [unclosed")
    assert parse_pack('{"R": {"extends": "existence", "tokens": ["x"]}}')  # JSON works too


def test_the_shipped_default_pack_loads_and_finds_things():
    rules, problems = load_folder(DEFAULT_PACK_DIR)
    assert problems == [] and {r["extends"] for r in rules.values()} == {
        "existence", "substitution", "occurrence", "repetition", "capitalization", "conditional"
    }  # fmt: skip


@pytest.mark.django_db
def test_style_check_uses_default_and_admin_packs_and_terminology():
    StyleRulePack.objects.create(
        name="house", source="NoLatin:\n  extends: existence\n  level: warning\n"
        "  message: \"Avoid '%s'.\"\n  nonword: true\n  tokens: ['e\\.g\\.']\n",
    )  # fmt: skip
    StyleRulePack.objects.create(
        name="off", enabled=False, source="X:\n  extends: existence\n  tokens: [buses]\n"
    )
    StyleGuide.objects.create(
        name="House", voice="Plain.", terminology=[{"preferred": "sign in",
                                                    "deprecated": ["log in", "login"]}]
    )  # fmt: skip
    doc = CanonicalText.from_fields(
        [
            ("title", "Night buses"),
            (
                "body",
                "In order to log in, use e.g. the app. It is important to note that buses run.",
            ),
        ]
    )
    found = {(f.check_id, f.severity, f.excerpt) for f in StyleCheck().run(doc, CheckContext())}
    assert ("style.house.NoLatin", "warning", "e.g.") in found
    assert ("style.default.Wordiness", "info", "In order to") in found
    assert ("style.default.MachineTells", "info", "It is important to note that") in found
    assert ("style.terminology", "warning", "log in") in found
    assert not any(c.startswith("style.off") for c, _s, _e in found)
    with override_settings(ECM_OPS=NO_DEFAULT):
        ids = {f.check_id for f in StyleCheck().run(doc, CheckContext())}
    assert not any(i.startswith("style.default") for i in ids) and "style.house.NoLatin" in ids


@pytest.mark.django_db
def test_context_style_guide_wins_over_all_guides():
    StyleGuide.objects.create(
        name="A", voice=".", terminology=[{"preferred": "bus", "deprecated": ["coach"]}]
    )
    mine = StyleGuide(
        name="B", voice=".", terminology=[{"preferred": "car", "deprecated": ["auto"]}]
    )
    doc = CanonicalText.from_fields([("body", "A coach and an auto.")])
    with override_settings(ECM_OPS=NO_DEFAULT):
        assert {f.excerpt for f in StyleCheck().run(doc, CheckContext())} == {"coach"}
        assert {f.excerpt for f in StyleCheck().run(doc, CheckContext(style_guide=mine))} == {
            "auto"
        }


@pytest.mark.django_db
def test_admin_model_validates_rules():
    with pytest.raises(ValidationError) as exc:
        StyleRulePack(name="bad", source="R:\n  extends: metric\n").save()
    assert "not supported" in str(exc.value)
    pack = StyleRulePack(name="ok", source="R:\n  extends: existence\n  tokens: [x]\n")
    pack.save()
    assert pack.rules == {"R": {"extends": "existence", "tokens": ["x"]}}


@pytest.mark.django_db
def test_import_vale_folder(tmp_path, capsys):
    (tmp_path / "Hedge.yml").write_text("extends: existence\ntokens: [arguably]\nlevel: error\n")
    (tmp_path / "Spell.yml").write_text("extends: spelling\n")
    (tmp_path / "Broken.yml").write_text("extends: [\n")
    call_command("ecm_ops_import_vale", str(tmp_path), name="Vendor Pack")
    out = capsys.readouterr()
    pack = StyleRulePack.objects.get(name="vendor-pack")
    assert list(pack.rules) == ["Hedge"] and pack.enabled
    assert "Spell.yml" in out.err and "Broken.yml" in out.err and "1 rule(s); 2 skipped" in out.out
    with pytest.raises(CommandError, match="--replace"):
        call_command("ecm_ops_import_vale", str(tmp_path), name="vendor-pack")
    call_command("ecm_ops_import_vale", str(tmp_path), name="vendor-pack", replace=True,
                 disabled=True)  # fmt: skip
    assert StyleRulePack.objects.get(name="vendor-pack").enabled is False
    with pytest.raises(CommandError, match="not a folder"):
        call_command("ecm_ops_import_vale", str(tmp_path / "nope"), name="x")


@pytest.mark.django_db
def test_admin_rule_pack_views_for_superuser_only(client, django_user_model):
    from django.urls import reverse

    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    url = reverse("ecm_ops_style_rule_packs:add")
    response = client.post(url, {"name": "bad", "description": "", "enabled": "on",
                                 "source": "R:\n  extends: metric\n"})  # fmt: skip
    assert response.status_code == 200 and not StyleRulePack.objects.exists()
    assert b"not supported" in response.content
    response = client.post(url, {"name": "good", "description": "", "enabled": "on",
                                 "source": "R:\n  extends: existence\n  tokens: [x]\n"})  # fmt: skip
    assert response.status_code == 302 and StyleRulePack.objects.filter(name="good").exists()
    editor = django_user_model.objects.create_user("ed", "ed@example.com", "pw")
    client.force_login(editor)
    assert client.get(reverse("ecm_ops_style_rule_packs:index")).status_code in (302, 403)
