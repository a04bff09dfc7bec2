"""Vale rules mean what they mean in Vale (issue 14, point 6).

Each test states one behaviour from Vale's documentation of its rule types and scopes
(vale.sh/docs: "Styles", "Scoping") and checks the engine does it. Texts are our own."""

from __future__ import annotations

import pytest

from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.vale import RuleError, compile_rule, pack_warnings, parse_pack


def doc_of(body: str, title: str = "A title", html: bool = True) -> CanonicalText:
    return CanonicalText.from_fields(
        [("title", title), ("body", body)], html_fields=("body",) if html else ()
    )


def found(rule: dict, body: str, title: str = "A title", vocab=(), html=True) -> list[str]:
    doc = doc_of(body, title, html)
    return [doc.text[h.start : h.end] for h in compile_rule("R", rule, vocab).hits(doc, {})]


def messages(rule: dict, body: str) -> list[str]:
    doc = doc_of(body)
    return [h.message for h in compile_rule("R", rule).hits(doc, {})]


# --- existence --------------------------------------------------------------------------


PASSIVE = {"extends": "existence", "message": "'%s' may be passive voice.", "ignorecase": True,
           "raw": [r"\b(?:am|are|were|being|is|been|was|be)\b\s*"],
           "tokens": ["written", "made", "[\\w]+ed"]}  # fmt: skip


def test_existence_raw_is_followed_by_the_tokens_not_an_alternative_to_them():
    assert found(PASSIVE, "<p>The report was written by staff.</p>") == ["was written"]
    # A bare "is" without a participle after it is not passive voice.
    assert found(PASSIVE, "<p>The report is long and it was good.</p>") == []


def test_existence_append_puts_the_raw_pieces_after_the_tokens():
    rule = {"extends": "existence", "append": True, "tokens": ["very", "really"],
            "raw": [r"\s+(?:good|bad)"]}  # fmt: skip
    assert found(rule, "<p>It was very good, really nice and very bad.</p>") == [
        "very good", "very bad"
    ]  # fmt: skip


def test_existence_tokens_are_whole_words_unless_nonword():
    rule = {"extends": "existence", "tokens": ["cat"]}
    assert found(rule, "<p>A cat and a category.</p>") == ["cat"]
    assert found({**rule, "nonword": True}, "<p>A cat and a category.</p>") == ["cat", "cat"]


def test_caret_and_dollar_match_at_each_line():
    rule = {"extends": "existence", "raw": [r"^So,"], "message": "Do not start with 'So'."}
    assert found(rule, "<p>Intro.</p><p>So, here we are.</p>") == ["So,"]
    assert found({"extends": "existence", "raw": [r"\.\.\.$"]}, "<p>Wait...</p><p>Go.</p>") == [
        "..."
    ]


def test_exceptions_are_patterns_matched_as_whole_words_case_sensitively():
    rule = {"extends": "existence", "tokens": ["[A-Z]{2,}"], "exceptions": ["NASA", "(?i)bbc"]}
    assert found(rule, "<p>NASA, the BBC and the RSPB.</p>") == ["RSPB"]


# --- substitution -----------------------------------------------------------------------


def test_substitution_fires_when_only_the_case_differs():
    rule = {"extends": "substitution", "ignorecase": True, "message": "Use '%s' not '%s'.",
            "swap": {"javascript": "JavaScript", "e-mail": "email"}}  # fmt: skip
    assert messages(rule, "<p>Learn javascript and JAVASCRIPT, not JavaScript.</p>") == [
        "Use 'JavaScript' not 'javascript'.", "Use 'JavaScript' not 'JAVASCRIPT'."
    ]  # fmt: skip


def test_substitution_alternatives_in_the_replacement_are_all_accepted():
    rule = {"extends": "substitution", "ignorecase": True,
            "swap": {"log ?in": "sign in|log on"}}  # fmt: skip
    assert messages(rule, "<p>Please login, or sign in.</p>") == [
        "Use 'sign in or log on' instead of 'login'."
    ]


def test_substitution_longest_pattern_wins_and_nonword_drops_boundaries():
    rule = {"extends": "substitution", "swap": {"data": "information", "data set": "dataset"}}
    assert messages(rule, "<p>A data set.</p>") == ["Use 'dataset' instead of 'data set'."]
    percent = {"extends": "substitution", "nonword": True, "swap": {"%": " per cent"}}
    assert found(percent, "<p>About 50% of us.</p>") == ["%"]
    assert found({**percent, "nonword": False}, "<p>About 50% of us.</p>") == []


def test_substitution_dollar_groups_and_capitalize():
    groups = {"extends": "substitution", "swap": {r"e-(mail|book)s?": "e$1"}}
    assert messages(groups, "<p>Send e-books.</p>") == ["Use 'ebook' instead of 'e-books'."]
    cap = {"extends": "substitution", "ignorecase": True, "capitalize": True,
           "swap": {"utilize": "use"}}  # fmt: skip
    assert messages(cap, "<p>Utilize it. We utilize it.</p>") == [
        "Use 'Use' instead of 'Utilize'.", "Use 'use' instead of 'utilize'."
    ]  # fmt: skip


# --- occurrence, repetition, conditional -------------------------------------------------


def test_occurrence_message_takes_the_count_as_percent_d():
    rule = {"extends": "occurrence", "scope": "sentence", "max": 3, "token": r"\b\w+\b",
            "message": "%d words is too many."}  # fmt: skip
    assert messages(rule, "<p>One two. One two three four five.</p>") == ["5 words is too many."]


def test_occurrence_min_reports_a_unit_with_too_few():
    rule = {"extends": "occurrence", "scope": "heading", "min": 2, "token": r"\w+"}
    assert found(rule, "<h2>Short</h2><p>Body text.</p>", title="Two words") == ["Short"]


def test_conditional_second_alternative_defines_without_crashing():
    rule = {
        "extends": "conditional",
        "first": r"\b[A-Z]{3,5}\b",
        "second": r"(?:\b[A-Z][a-z]+ )+\(([A-Z]{3,5})\)|\b([A-Z]{3,5}) \(short for",
    }
    body = "<p>The NHS (short for National Health Service) and NHS trusts. The DVLA said.</p>"
    assert found(rule, body) == ["DVLA"]
    # Every use of an undefined acronym is reported, as Vale does.
    assert found(rule, "<p>The DVLA and the DVLA.</p>") == ["DVLA", "DVLA"]


def test_repetition_max_allows_some_repeats():
    rule = {"extends": "repetition", "tokens": [r"[^\s.,]+"], "max": 1}
    assert found(rule, "<p>very very good, no no no.</p>") == ["no no"]


# --- vocabularies -----------------------------------------------------------------------


def test_accepted_words_are_exceptions_unless_vocab_false():
    rule = {"extends": "existence", "tokens": ["[A-Z][a-z]+[A-Z]\\w*"]}
    assert found(rule, "<p>Use GitHub and PayPal.</p>", vocab=("GitHub",)) == ["PayPal"]
    assert found({**rule, "vocab": False}, "<p>Use GitHub.</p>", vocab=("GitHub",)) == ["GitHub"]


# --- scopes -----------------------------------------------------------------------------


BODY = (
    "<h2>Very good</h2><p>Very nice.</p><h3>Very deep</h3><ul><li>Very long list</li></ul>"
    "<blockquote>Very quoted</blockquote><table><tr><th>Very head</th><td>Very cell</td></tr>"
    "</table><p>Call <code>very()</code> now.</p>"
)
VERY = {"extends": "existence", "tokens": ["very"], "ignorecase": True}


@pytest.mark.parametrize(
    "scope, expected",
    [
        ("heading.h2", ["Very"]),
        ("heading", ["Very", "Very"]),
        ("heading.h1", ["Very"]),
        ("blockquote", ["Very"]),
        ("list", ["Very"]),
        ("table.header", ["Very"]),
        ("table.cell", ["Very"]),
        ("table", ["Very", "Very"]),
        (["blockquote", "list"], ["Very", "Very"]),
        ("~heading", ["Very"] * 5),
        ("text", ["Very"] * 7),
        ("raw", ["Very"] * 7 + ["very"]),
        ("paragraph & ~table", ["Very"] * 5),
    ],
)
def test_scopes_select_the_right_structures(scope, expected):
    # The page title counts as the h1 (and as a heading).
    title = "Very first" if scope == "heading.h1" else "Title"
    assert found({**VERY, "scope": scope}, BODY, title=title) == expected


def test_code_is_skipped_including_markdown_left_in_plain_text():
    text = "Run `very fast` or:\n```\nvery slow\n```\nvery done"
    assert found(VERY, text, html=False) == ["very"]
    assert len(found({**VERY, "scope": "raw"}, text, html=False)) == 3


def test_capitalization_applies_to_every_heading_not_only_the_title():
    rule = {"extends": "capitalization", "match": "$sentence", "message": "'%s' -> '%s'"}
    body = "<h2>How The Lanes Work</h2><p>Body Text Is Not A Heading.</p><h3>Who pays</h3>"
    assert found(rule, body, title="Cycle lanes on the ring road") == ["How The Lanes Work"]
    assert messages(rule, body)[0] == "'How The Lanes Work' -> 'How the lanes work'"
    title_rule = {"extends": "capitalization", "match": "$title"}
    assert found(title_rule, "<h2>Who Pays for the Lanes</h2>", title="Night Buses") == []


def test_capitalization_threshold_tolerates_a_few_words():
    rule = {"extends": "capitalization", "match": "$sentence", "threshold": 0.5}
    assert found(rule, "<h2>Buses in Leeds and York</h2>", title="Night buses") == []
    assert found({**rule, "threshold": 0.9}, "<h2>Buses in Leeds and York</h2>",
                 title="Night buses") == ["Buses in Leeds and York"]  # fmt: skip


# --- YAML and import warnings -----------------------------------------------------------


def test_yaml_that_vale_accepts_with_escaped_single_quote_in_double_quotes():
    rules = parse_pack('R:\n  extends: existence\n  message: "Don\\\'t use \'%s\'."\n'
                       "  tokens: [very]\n")  # fmt: skip
    assert rules["R"]["message"] == "Don't use '%s'."


def test_unsupported_keys_and_scopes_are_warned_about():
    rules = {
        "A": {"extends": "capitalization", "match": "$title", "style": "Chicago"},
        "B": {"extends": "existence", "tokens": ["x"], "scope": "alt", "limit": 3},
        "C": {"extends": "existence", "tokens": ["x"], "scope": ["~heading", "list"]},
    }
    warnings = pack_warnings(rules)
    assert any("Rule A" in w and "'style'" in w for w in warnings)
    assert any("Rule B" in w and "'limit'" in w for w in warnings)
    assert any("Rule B" in w and "scope 'alt'" in w for w in warnings)
    assert not any("Rule C" in w for w in warnings)


def test_backreferences_and_lookarounds_are_refused_in_words():
    with pytest.raises(RuleError, match=r"Rule R: .*RE2.*backreferences"):
        compile_rule("R", {"extends": "existence", "raw": [r"(\w+) \1"]})
    with pytest.raises(RuleError, match="lookarounds"):
        compile_rule("R", {"extends": "existence", "tokens": [r"(?<!un)likely"]})


@pytest.mark.django_db
def test_import_warns_and_reads_the_vocabulary(tmp_path, capsys):
    from django.core.management import call_command

    from ecm_ops.content_checks.registry import CheckContext
    from ecm_ops.content_checks.style import StyleCheck
    from ecm_ops.models import StyleRulePack

    (tmp_path / "Brands.yml").write_text(
        "extends: existence\nmessage: \"Check '%s'.\"\ntokens: ['[A-Z][a-z]+[A-Z]\\w*']\n"
        "scope: [text, alt]\nlimit: 2\n"
    )
    accept = tmp_path / "accept.txt"
    accept.write_text("# brands we use\nGitHub\n")
    call_command("ecm_ops_import_vale", str(tmp_path), name="brands", vocabulary=str(accept))
    err = capsys.readouterr().err
    assert "'limit' is not supported" in err and "scope 'alt'" in err
    pack = StyleRulePack.objects.get(name="brands")
    assert pack.vocabulary.splitlines()[1] == "GitHub"
    from django.test import override_settings

    doc = CanonicalText.from_fields([("body", "GitHub and PayPal.")])
    with override_settings(ECM_OPS={"STYLE_DEFAULT_PACK": False}):
        found = [f.excerpt for f in StyleCheck().run(doc, CheckContext())]
    assert found == ["PayPal"]
