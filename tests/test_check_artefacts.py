"""AI artefacts check: self-talk, refusals, cut-off talk, placeholders, unfinished text, echoes."""

from __future__ import annotations

import pytest

from ecm_ops.content_checks.artefacts import AIArtefactsCheck
from ecm_ops.content_checks.canonical import CanonicalText
from ecm_ops.content_checks.registry import CheckContext


def run(fields, **context):
    doc = CanonicalText.from_fields(fields)
    return [(f.check_id, f.severity, f.excerpt) for f in
            AIArtefactsCheck().run(doc, CheckContext(**context))]  # fmt: skip


def body(text, **context):
    return run([("title", "A title"), ("body", text)], **context)


@pytest.mark.parametrize(
    ("text", "check_id", "excerpt"),
    [
        ("As an AI language model, I can explain.", "ai_artefacts.self_reference",
         "As an AI language model"),
        ("I'm sorry, but I can't help with that.", "ai_artefacts.refusal",
         "I'm sorry, but I can't help"),
        ("As of my last update in 2023, it was open.", "ai_artefacts.knowledge_cutoff",
         "As of my last update"),
        ("Sure, here is the article you asked for.", "ai_artefacts.chatter", "Sure, here is the"),
        ("I hope this helps.", "ai_artefacts.chatter", "I hope this helps"),
        ("Call [INSERT PHONE NUMBER] today.", "ai_artefacts.placeholder",
         "[INSERT PHONE NUMBER]"),
        ("Dear {{ first_name }}, welcome.", "ai_artefacts.placeholder", "{{ first_name }}"),
        ("Lorem ipsum dolor sit amet.", "ai_artefacts.placeholder", "Lorem ipsum"),
        ("TODO: add the quote.", "ai_artefacts.placeholder", "TODO"),
        ("As requested in the brief, this covers buses.", "ai_artefacts.prompt_echo",
         "As requested in the brief"),
    ],
)  # fmt: skip
def test_hits(text, check_id, excerpt):
    found = body(text)
    assert any(c == check_id and e == excerpt for c, _s, e in found), found


@pytest.mark.parametrize(
    "text",
    [
        "The AI team at the council presented a model of the new junction.",
        "Residents can't help noticing the new lights.",
        "Prices are listed in the table below.",
        "The todo list app won an award.",  # lowercase word, not a marker
        "He asked: what now?",
    ],
)
def test_non_hits(text):
    assert body(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "The service will run every evening from May, and riders will be able to",
        "The new timetable adds buses on the busiest routes and the",
        "The changes take effect next month…",
        "More trains run at night...",
    ],
)
def test_unfinished_text(text):
    assert [c for c, _s, _e in body(text)] == ["ai_artefacts.unfinished"]


def test_short_headings_and_titles_are_not_unfinished():
    assert (
        run([("title", "Night buses and the"), ("body", "Key points\nMore buses at night")]) == []
    )


def test_repeating_the_template_instructions_is_caught():
    instructions = (
        "Write a friendly explainer for commuters. Use short sentences and avoid jargon at all "
        "times. End with what readers should do next."
    )
    text = (
        "Night buses return in May. Use short sentences and avoid jargon at all times. "
        "Riders should check the timetable."
    )
    found = body(text, instructions=instructions)
    assert [(c, e) for c, _s, e in found] == [
        ("ai_artefacts.prompt_echo", "Use short sentences and avoid jargon at all times")
    ]
    # The brief's topic and key points may be reused; instruction-like brief fields may not.
    brief = {
        "topic": "night buses return in may to all routes in town",
        "notes": "remember to mention that riders should check the timetable before they travel",
    }
    assert body("Night buses return in May to all routes in town.", brief=brief) == []
    echoed = body("Remember to mention that riders should check the timetable before travel.",
                  brief=brief)  # fmt: skip
    assert [c for c, _s, _e in echoed] == ["ai_artefacts.prompt_echo"]
