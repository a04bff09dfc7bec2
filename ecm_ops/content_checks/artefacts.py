"""AI artefacts: model self-talk, refusals, leftover placeholders and markup, unfinished text
and text that repeats the drafting instructions.

Each check id is a family of patterns (case-insensitive unless noted), measured on the labelled
corpus in ``bench/corpus/`` (``bench/bench_prescreen.py``); all blockers unless noted:

- ``ai_artefacts.self_reference``: the text calls itself an AI ("As an AI, I …", "as a
  language model", "Being an AI", "I'm just an AI", "As a large language model trained by …")
  or speaks of having no opinions or experiences of its own ("I don't have personal
  opinions"). "As an AI researcher, she …" is a person, not the model: the phrase must be
  followed by a comma, "I" or "trained/developed/created by".
- ``ai_artefacts.refusal``: "I'm sorry, but …", "I apologise, but I cannot …", "I cannot
  provide/help/assist/browse/access …", "I'm unable to/not able to …".
- ``ai_artefacts.knowledge_cutoff``: "as of my last (knowledge) update", "my training data",
  "my knowledge cut-off", "at the time of my last training", "I don't have access to
  real-time information".
- ``ai_artefacts.chatter`` (warning): assistant framing: "Certainly! Here's …", "Sure! Here
  is …", "Great question!", "Here's a revised version …", "I hope this helps", "Let me know if
  you'd like …", "Feel free to adjust …", "If you have any other questions", "Would you like
  me to …".
- ``ai_artefacts.placeholder``: placeholders in every bracket style: ``[INSERT …]``,
  ``[TIME]``, ``[Name of spokesperson]``, ``[link]``; ``{{ var }}``, ``{% tag %}``, ``{var}``;
  ``<NAME>``, ``<insert …>``; ``(insert name)``; ``$VENUE_URL``, ``${var}``; "XX million";
  "insert … here"; TODO, TBD, TBC, FIXME and XXX (in capitals); lorem ipsum.
- ``ai_artefacts.markup`` (warning): Markdown left in the text: ``## headings`` at the start
  of a line, ``**bold**``, ``[text](https://…)`` links and code fences.
- ``ai_artefacts.unfinished`` (warning): a field whose last line shows a real truncation
  signal: it ends with "..."/"…", or on a word a sentence cannot end with ("and", "the",
  "whether", "with" …) or a comma. A complete sentence without a full stop is not flagged
  (lists, captions and headings often have none). Titles and lines under 3 words are left
  alone.
- ``ai_artefacts.prompt_echo`` (warning): 8 or more consecutive words copied from the
  template's instructions (``context.instructions``) or the brief's instruction-like fields
  (anything but the topic, audience, key points and sources, which the text may legitimately
  reuse); plus sentences that talk about "the brief" or "the prompt".
"""

from __future__ import annotations

import re

from ..states import Severity
from .fastmatch import finditer_ci
from .registry import BaseCheck

AI_NOUN = (
    r"(?:ai|a\.i\.|artificial intelligence|(?:large )?language model|llm|chatbot|"
    r"virtual assistant)(?: (?:language )?(?:model|assistant|system|chatbot))?"
)
OWN_VIEWS = (
    r"(?:personal |my own )(?:opinions?|views?|feelings?|experiences?|beliefs?|preferences?)"
)
PLACEHOLDER = "A placeholder was left in the text."
FILL_IN = "Replace the placeholder with the real content."
# Strings are case-insensitive patterns (lower case, run by fastmatch); compiled patterns are
# used as they are, and a match must not start inside a word.
# (check id, severity, pattern, message, suggestion)
PATTERNS: list[tuple[str, str, str | re.Pattern, str, str]] = [
    ("ai_artefacts.self_reference", Severity.BLOCKER, (
        rf"\b(?:as|being) an? {AI_NOUN}(?=,| i\b| i'| (?:trained|developed|created|built|designed)\b)|"
        rf"\bi(?:'m| am) (?:just |only |simply )?an? {AI_NOUN}\b|"
        rf"\bi (?:do not|don't) have {OWN_VIEWS}"),
     "The text talks about itself as an AI model.",
     "Delete the sentence about being an AI and say what the reader needs to know."),
    ("ai_artefacts.refusal", Severity.BLOCKER, (
        r"\bi(?:'m| am) sorry,? but\b|\bi apologi[sz]e,? but\b|"
        r"\bi (?:cannot|can't|can not|am unable to|'m unable to|am not able to|'m not able to|"
        r"won't be able to) (?:help|assist|provide|write|create|comply|fulfil+|browse|access|"
        r"generate)\b|\bi(?:'m| am) (?:unable|not able) to (?:help|assist|provide|write|"
        r"create|comply|browse|access|generate)\b"),
     "The text contains a model refusal.",
     "Write the missing content yourself, or remove the passage."),
    ("ai_artefacts.knowledge_cutoff", Severity.BLOCKER, (
        r"\bas of my (?:last |latest |most recent )?(?:knowledge |training )?(?:update|cut-?off)\b|"
        r"\bmy (?:knowledge|training)(?: data)?(?: cut-?off| only goes| ends)?\b|"
        r"\bmy last (?:knowledge |training )?(?:update|cut-?off)\b|"
        r"\b(?:at the time of|since) my (?:last )?(?:training|knowledge)(?: update| cut-?off)?\b|"
        r"\bi (?:do not|don't) have (?:access to )?(?:real-time|current|up-to-date|live) "
        r"(?:information|data)\b"),
     "The text mentions the model's knowledge cut-off.",
     "Check the facts against a current source and remove the remark about the model."),
    ("ai_artefacts.chatter", Severity.WARNING, (
        r"\b(?:certainly|sure|absolutely|of course|great question)[!,.] (?:here(?:'s| is| are)|"
        r"below (?:is|are))\b|\bgreat question!|"
        r"\bhere(?:'s| is) (?:the|a|an|your) (?:\w+ ){0,2}?(?:version|article|draft|rewrite|"
        r"summary)\b|"
        r"\bi hope (?:this|you find this|that this) (?:helps|article helps|is helpful|"
        r"(?:is |was )?useful)\b|\bi hope you find this (?:useful|helpful)\b|"
        r"\blet me know if you(?:'d| would) like\b|\bfeel free to (?:adjust|modify|edit|tweak)\b|"
        r"\bif you have any (?:other |further |more )?questions\b|\bwould you like me to\b"),
     "Assistant chatter was left in the text.",
     "Delete the chatter addressed to whoever asked for the draft."),
    # Placeholders: three scans instead of one, so each can skip ahead to its first
    # characters (brackets and symbols; capitals; "insert … here" in any case).
    ("ai_artefacts.placeholder", Severity.BLOCKER, re.compile(
        r"\[(?:[A-Z][A-Z0-9 _/&'.:-]{1,60}|(?i:insert|add|placeholder|your|name|date|time|link|"
        r"number|citation|source|quote|tbc|tbd|todo|photo|image|caption)\b[^\]\n]{0,60})\]|"
        r"\{\{[^{}\n]{0,80}\}\}|\{%[^%\n]{0,80}%\}|\{[a-z_][a-z0-9_]{0,40}\}|"
        r"<(?:[A-Z][A-Z0-9_ ]{1,40}|(?i:insert|placeholder|your)\b[^>\n]{0,60})>|"
        r"\((?i:insert|add|placeholder)\b[^)\n]{0,60}\)|"
        r"\$\{[A-Za-z_]\w{0,40}\}|\$[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|[£$€]XX\b"),
     PLACEHOLDER, FILL_IN),
    ("ai_artefacts.placeholder", Severity.BLOCKER, re.compile(
        r"(?:TODO|TB[DC]|FIXME|XXX+|XX(?= (?:million|billion|per ?cent|%|people|years|days|"
        r"pounds|dollars|euros)))(?!\w)"),
     PLACEHOLDER, FILL_IN),
    ("ai_artefacts.placeholder", Severity.BLOCKER,
     r"\binsert [^.\n\[\]]{1,40} here\b|\blorem ipsum\b",
     PLACEHOLDER, FILL_IN),
    ("ai_artefacts.markup", Severity.WARNING, re.compile(
        r"(?m:^#{1,6}[ \t]+)|\*\*[^*\n]{1,200}\*\*|"
        r"\[[^\]\n]{1,200}\]\((?:https?://|/|#)[^)\s]*\)|```"),
     "Markdown formatting was left in the text.",
     "Remove the Markdown marks and use the editor's formatting (headings, bold, links)."),
]  # fmt: skip

ECHO_TALK = (
    r"\b(?:as (?:requested|instructed|specified) in the (?:brief|prompt|instructions)|"
    r"the (?:brief|prompt) (?:asks|says|requires|specifies)|"
    r"(?:target|word) (?:length|count):\s*\d+)\b"
)
DANGLING = re.compile(
    r"(?:\b(?:and|or|but|nor|the|a|an|of|to|with|for|because|which|that|whether|while|in|on|"
    r"at|is|are|was|were|will|be|from|by|as|than|their|its|our|your|his|her)|[,;(-])\s*$",
    re.I,
)
ECHO_WORDS = 8
BRIEF_CONTENT_KEYS = {"topic", "audience", "key_points", "sources", "target_words"}
WORD = re.compile(r"\w+")


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class AIArtefactsCheck(BaseCheck):
    check_id = "ai_artefacts"
    label = "AI artefacts and placeholders"
    languages = ("en",)  # English patterns: other languages get a "not checked" note

    def run(self, doc, context):
        for check_id, severity, pattern, message, suggestion in PATTERNS:
            if isinstance(pattern, str):
                matches = finditer_ci(pattern, doc.text, doc.lower)
            else:
                matches = pattern.finditer(doc.text)
            for match in matches:
                if match.start() and _word(doc.text[match.start() - 1]) and _word(match.group()[0]):
                    continue  # "MTODO", "SEXXX": not a marker
                yield self.finding(
                    doc,
                    severity,
                    match.start(),
                    match.end(),
                    message,
                    suggestion=suggestion,
                    check_id=check_id,
                )
        yield from self._unfinished(doc)
        yield from self._prompt_echo(doc, context)

    def _unfinished(self, doc):
        for span in doc.spans:
            if span.field == "title":
                continue
            value = doc.text[span.start : span.end]
            last_line = value.rsplit("\n", 1)[-1]
            line_start = span.end - len(last_line)
            stripped = last_line.rstrip()
            if stripped.endswith(("...", "…")):
                reason = "ends with an ellipsis"
            elif DANGLING.search(stripped) and len(stripped.split()) >= 3:
                reason = "stops mid-sentence"
            else:
                continue
            yield self.finding(
                doc,
                Severity.WARNING,
                line_start,
                span.end,
                f"The text of this field {reason}: it may have been cut off.",
                suggestion="Finish the sentence or remove the fragment.",
                check_id="ai_artefacts.unfinished",
            )

    def _prompt_echo(self, doc, context):
        for match in finditer_ci(ECHO_TALK, doc.text, doc.lower):
            yield self.finding(
                doc,
                Severity.WARNING,
                match.start(),
                match.end(),
                "The text talks about its own brief or prompt.",
                suggestion="Remove the reference to the instructions.",
                check_id="ai_artefacts.prompt_echo",
            )
        sources = [context.instructions or ""]
        brief = context.brief or {}
        sources += [str(v) for k, v in brief.items() if k not in BRIEF_CONTENT_KEYS and v]
        grams = set()
        for source in sources:
            words = [w.lower() for w in WORD.findall(source)]
            grams.update(
                tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)
            )
        if not grams:
            return
        tokens = list(WORD.finditer(doc.text))
        lowered = [m.group().lower() for m in tokens]
        run_start = run_end = None
        for i in range(len(tokens) - ECHO_WORDS + 1):
            if tuple(lowered[i : i + ECHO_WORDS]) in grams:
                if run_start is None or i > run_end:
                    if run_start is not None:
                        yield self._echo(doc, tokens, run_start, run_end)
                    run_start = i
                run_end = i + ECHO_WORDS - 1
        if run_start is not None:
            yield self._echo(doc, tokens, run_start, run_end)

    def _echo(self, doc, tokens, first: int, last: int):
        return self.finding(
            doc,
            Severity.WARNING,
            tokens[first].start(),
            tokens[last].end(),
            "This passage repeats the drafting instructions word for word.",
            suggestion="Rewrite it as content for readers, not instructions to a writer.",
            check_id="ai_artefacts.prompt_echo",
        )
