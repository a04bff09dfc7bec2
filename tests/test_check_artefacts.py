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
        ("I'm sorry, but I can't help with that.", "ai_artefacts.refusal", "I'm sorry, but"),
        ("I apologise, but I cannot write that.", "ai_artefacts.refusal", "I apologise, but"),
        ("I am unable to browse the web.", "ai_artefacts.refusal", "I am unable to browse"),
        ("As an AI, I can't visit the market.", "ai_artefacts.self_reference", "As an AI"),
        ("Being an AI model, I have no view.", "ai_artefacts.self_reference",
         "Being an AI model"),
        ("I'm just an AI, so check the times.", "ai_artefacts.self_reference",
         "I'm just an AI"),
        ("I don't have personal opinions on it.", "ai_artefacts.self_reference",
         "I don't have personal opinions"),
        ("Prices may differ from my training data.", "ai_artefacts.knowledge_cutoff",
         "my training data"),
        ("Certainly! Here's a short guide.", "ai_artefacts.chatter", "Certainly! Here's"),
        ("Would you like me to add a table?", "ai_artefacts.chatter", "Would you like me to"),
        ("Starts at [TIME] in the hall.", "ai_artefacts.placeholder", "[TIME]"),
        ("Ask [Name of spokesperson].", "ai_artefacts.placeholder", "[Name of spokesperson]"),
        ("The head, <NAME>, starts soon.", "ai_artefacts.placeholder", "<NAME>"),
        ("Tickets from $VENUE_URL now.", "ai_artefacts.placeholder", "$VENUE_URL"),
        ("It costs XX million pounds.", "ai_artefacts.placeholder", "XX"),
        ("{% if region %}Hello{% endif %}", "ai_artefacts.placeholder", "{% if region %}"),
        ("## Key points\nThe road closes.", "ai_artefacts.markup", "## "),
        ("This is **the biggest** yet.", "ai_artefacts.markup", "**the biggest**"),
        ("See the [portal](https://example.org/) now.", "ai_artefacts.markup",
         "[portal](https://example.org/)"),
        ("As of my last update in 2023, it was open.", "ai_artefacts.knowledge_cutoff",
         "As of my last update"),
        ("Sure, here is the article you asked for.", "ai_artefacts.chatter", "Sure, here is"),
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
        "As an AI researcher, she studies how chatbots answer questions.",
        '"I can\'t give you a date," the minister said.',
        "The report cites earlier studies [1] and the council's figures [2].",
        'He said the decision was "[the council\'s] own" and that was that.',
        "Results are listed in the table, and tickets cost £5 (free for under-5s).",
        "The US and UK teams met in Paris.",
        "Super Bowl XX was played in 1986.",
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


@pytest.mark.parametrize(
    "text",
    [
        "The library reopens on Monday. Opening hours stay the same: 9am to 7pm on weekdays and "
        "10am to 4pm on Saturdays",  # complete, just no full stop
        "Three things to bring on the day: a photo ID, your booking reference and good shoes",
        '"We have waited long enough," said one parent. "The children deserve a crossing."',
    ],
)
def test_complete_sentences_without_a_full_stop_are_not_unfinished(text):
    assert body(text) == []


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
