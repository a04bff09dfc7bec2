"""AI artefacts: model self-talk, refusals, leftover placeholders, unfinished text and text
that repeats the drafting instructions.

Check ids (all blockers unless noted):

- ``ai_artefacts.self_reference``: "as an AI language model".
- ``ai_artefacts.refusal``: "I'm sorry, but I can't help with that".
- ``ai_artefacts.knowledge_cutoff``: "as of my last update", "my training data".
- ``ai_artefacts.chatter`` (warning): assistant framing left in the text ("Sure, here is the
  article", "I hope this helps", "Let me know if you'd like").
- ``ai_artefacts.placeholder``: ``[INSERT …]``, ``{{var}}``, ``<placeholder>``, TODO, TBD and
  XXX (in capitals), lorem ipsum.
- ``ai_artefacts.unfinished`` (warning): a field whose last sentence stops mid-way (8+ words
  without end punctuation, or ending on "and", "the", a comma …) or that ends with "..."/"…".
  Titles and single-line fields under 8 words (headings, labels) are left alone.
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

# Strings are case-insensitive patterns (lower case, run by fastmatch); compiled patterns are
# used as they are.
PATTERNS: list[tuple[str, str, str | re.Pattern, str]] = [
    ("ai_artefacts.self_reference", Severity.BLOCKER, (
        r"\bas an? (?:ai|artificial intelligence)(?: language)?(?: model| assistant)\b|"
        r"\bi am an? (?:ai|large language model|language model)\b"),
     "The text talks about itself as an AI model."),
    ("ai_artefacts.refusal", Severity.BLOCKER, (
        r"\bi(?:'m| am)? (?:sorry,? but i )?(?:cannot|can't|am unable to|'m unable to|"
        r"won't be able to) (?:help|assist|provide|write|create|comply|fulfil+)\b"),
     "The text contains a model refusal."),
    ("ai_artefacts.knowledge_cutoff", Severity.BLOCKER, (
        r"\b(?:my|the model's) (?:knowledge|training data|training) (?:cut-?off|only goes|"
        r"ends)\b|\bas of my (?:last )?(?:knowledge |training )?(?:update|cut-?off)\b|"
        r"\bi (?:do not|don't) have (?:access to )?(?:real-time|current|up-to-date) "
        r"(?:information|data)\b"),
     "The text mentions the model's knowledge cut-off."),
    ("ai_artefacts.chatter", Severity.WARNING, (
        r"\b(?:sure|certainly|of course|absolutely)[,!] here(?:'s| is) (?:the|a|an|your)\b|"
        r"\bi hope this (?:helps|article helps)\b|\blet me know if you(?:'d| would) like\b|"
        r"\bhere is (?:the|a|your) (?:revised |rewritten )?(?:article|draft|text|version)\b|"
        r"\bfeel free to (?:adjust|modify|edit)\b"),
     "Assistant chatter was left in the text."),
    ("ai_artefacts.placeholder", Severity.BLOCKER, re.compile(
        r"\[(?:INSERT|ADD|PLACEHOLDER|YOUR|TBD|CITATION|NAME|DATE|LINK)[^\]\n]{0,80}\]|"
        r"\{\{[^}\n]{0,80}\}\}|<(?:insert|placeholder)[^>\n]{0,80}>|"
        r"(?-i:\bTODO\b|\bTBD\b|\bXXX\b|\bINSERT [A-Z ]{3,40} HERE\b)|\blorem ipsum\b", re.I),
     "A placeholder was left in the text."),
]  # fmt: skip

ECHO_TALK = (
    r"\b(?:as (?:requested|instructed|specified) in the (?:brief|prompt|instructions)|"
    r"the (?:brief|prompt) (?:asks|says|requires|specifies)|"
    r"(?:target|word) (?:length|count):\s*\d+)\b"
)
END_OK = tuple(".!?:;\"')]’”»")
DANGLING = re.compile(
    r"(?:\b(?:and|or|but|the|a|an|of|to|with|for|because|which|that|in|on|is|are)|[,;(-])\s*$",
    re.I,
)
ECHO_WORDS = 8
BRIEF_CONTENT_KEYS = {"topic", "audience", "key_points", "sources", "target_words"}
WORD = re.compile(r"\w+")


class AIArtefactsCheck(BaseCheck):
    check_id = "ai_artefacts"
    label = "AI artefacts and placeholders"

    def run(self, doc, context):
        for check_id, severity, pattern, message in PATTERNS:
            if isinstance(pattern, str):
                matches = finditer_ci(pattern, doc.text, doc.lower)
            else:
                matches = pattern.finditer(doc.text)
            for match in matches:
                yield self.finding(
                    doc,
                    severity,
                    match.start(),
                    match.end(),
                    message,
                    suggestion="Remove it or replace it with the real content.",
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
            elif len(stripped.split()) >= ECHO_WORDS and not stripped.endswith(END_OK):
                reason = "has no closing punctuation"
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
