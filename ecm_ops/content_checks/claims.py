"""Claims a human has to verify before publication.

Check ids and default severities:

- ``claims.statistic`` (info): percentages, "3 in 10", "twice as many", multipliers.
- ``claims.money`` (info): amounts with a currency symbol, code or name.
- ``claims.date`` (info): dates of events ("on 3 March 2024", "March 3, 2024", "in 1998").
- ``claims.quotation`` (info): direct quotations of four words or more.
- ``claims.unsourced`` (warning): "studies show", "research suggests", "experts say",
  "according to ..." with no source nearby: no link whose anchor is within
  ``SOURCE_WINDOW`` characters, no citation (``[1]``, ``(Smith, 2020)``, "Source:", a URL).
  "According to" followed by a named source (a capitalised name) without a link is info.
- ``claims.absolute`` (warning): superlatives and absolute promises ("guaranteed", "cures",
  "risk-free", "the best", "100% safe", "never fails", "miracle").
- ``claims.medical`` / ``claims.financial`` / ``claims.legal`` (warning): advice language:
  recommendations addressed to the reader about medicines, doses, treatment; investments,
  loans, returns; legal action, rights and obligations.

A section's :class:`~ecm_ops.models.RiskPolicy` raises the severity to blocker for the check
ids (or prefixes, e.g. ``"claims"``) listed in its ``strict_advice_checks``.
"""

from __future__ import annotations

import re

from ..states import Severity
from .fastmatch import finditer_ci
from .registry import BaseCheck

SOURCE_WINDOW = 200
ADVICE_LEAD = (
    r"\b(?:you should(?: not)?|you must|you need to|we recommend|we advise|it is best to|"
    r"make sure (?:you|to)|always|never|do not|don't|try to|consider)\b[^.!?\n]{0,80}?"
)
MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)

# Strings are case-insensitive patterns (lower case, run by fastmatch); compiled patterns are
# case-sensitive.
PATTERNS: list[tuple[str, str, str | re.Pattern, str]] = [
    ("claims.statistic", Severity.INFO,
        r"\b\d+(?:[.,]\d+)?\s?(?:%|per ?cent\b|percent\b|percentage points?\b)|"
        r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine) (?:in|out of) "
        r"(?:\d+|ten|five|four|three|two|a hundred)\b|"
        r"\b(?:twice|three times|four times|\d+(?:\.\d+)? times) (?:as|more|less|fewer)\b",
     "A statistic: check the figure and its source."),
    ("claims.money", Severity.INFO, re.compile(
        r"[$£€¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|trillion|bn|m|k)\b)?|"
        r"\b\d[\d,]*(?:\.\d+)?\s?(?:million |billion )?(?:USD|EUR|GBP|CHF|JPY|dollars|euros|"
        r"pounds|pence|cents)\b"),
     "A money amount: check the figure, currency and date."),
    ("claims.date", Severity.INFO, re.compile(
        rf"\b(?:on |since |from |until )?\d{{1,2}}(?:st|nd|rd|th)? {MONTHS},? \d{{4}}\b|"
        rf"\b{MONTHS} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b|"
        r"\b(?:in|since|by|from|until) (?:1[5-9]\d\d|20\d\d)\b"),
     "A date of an event: check that it is right."),
    ("claims.quotation", Severity.INFO, re.compile(
        r"[\"“][^\"“”\n]{1,600}[\"”]"),
     "A direct quotation: check the wording and who said it."),
    ("claims.absolute", Severity.WARNING, (
        r"\b(?:guarantee[sd]?|cures?|cured|risk[- ]free|100% (?:safe|effective|natural)|"
        r"never fails?|always works|miracle|the (?:very )?best|world'?s (?:best|first|leading)|"
        r"number one|proven to|no side effects|completely safe|instant results)\b"),
     "An absolute promise or superlative: can it be proven? Soften it or cite proof."),
    ("claims.medical", Severity.WARNING, (
        ADVICE_LEAD + r"\b(?:take|taking|dose|dosage|medicat\w*|medicine\w*|prescri\w*|"
        r"antibiotic\w*|supplement\w*|vaccin\w*|treat\w*|diagnos\w*|symptoms?|"
        r"see a doctor|pills?|tablets?)\b|"
        r"\b\d+(?:\.\d+)?\s?(?:mg|mcg|µg|ml|iu)\b(?:[^.!?\n]{0,40}\b(?:daily|a day|per day|"
        r"twice|every))?"),
     "Medical advice language: a qualified reviewer must check it."),
    ("claims.financial", Severity.WARNING, (
        ADVICE_LEAD + r"\b(?:invest\w*|buy|sell|shares?|stocks?|crypto\w*|bitcoin|pensions?|"
        r"mortgages?|loans?|savings?|funds?|isa|portfolio|borrow\w*)\b|"
        r"\b(?:guaranteed returns?|can'?t lose|double your money|returns? of \d+%)"),
     "Financial advice language: a qualified reviewer must check it."),
    ("claims.legal", Severity.WARNING, (
        ADVICE_LEAD + r"\b(?:sue|lawsuit|legal action|court|tribunal|lawyer|solicitor|"
        r"contract|liable|liability|file a claim|appeal)\b|"
        r"\byou (?:are|are not|aren't) legally (?:required|entitled|obliged|allowed)\b|"
        r"\byou have (?:a|the) (?:legal )?right to\b"),
     "Legal advice language: a qualified reviewer must check it."),
]  # fmt: skip

UNSOURCED = (
    r"\b(?:(?:many |some |recent |new )?(?:studies|research|scientists|experts|doctors|surveys?)"
    r" (?:show|shows|showed|suggest|suggests|found|find|say|says|agree|prove|proves|confirm)|"
    r"it is (?:widely )?(?:known|believed|said)|according to)\b"
)
NAMED_SOURCE = re.compile(r"\s+(?:the\s+)?[A-Z][\w&'-]+")
CITATION = re.compile(
    r"\[\d+\]|\(\s*[A-Z][^()]{0,60}?,?\s(?:19|20)\d\d\s*\)|\bsource:|\bhttps?://|\bdoi:", re.I
)


def strict_ids(policy) -> list[str]:
    return list(getattr(policy, "strict_advice_checks", None) or [])


def raised(check_id: str, severity: str, strict: list[str]) -> str:
    """Blocker when the policy lists the check id or one of its prefixes."""
    for entry in strict:
        if check_id == entry or check_id.startswith(entry + "."):
            return Severity.BLOCKER
    return severity


class ClaimsCheck(BaseCheck):
    check_id = "claims"
    label = "Claims to verify"

    def run(self, doc, context):
        strict = strict_ids(context.policy)
        text = doc.text
        for check_id, severity, pattern, message in PATTERNS:
            if isinstance(pattern, str):
                matches = finditer_ci(pattern, text, doc.lower)
            else:
                matches = pattern.finditer(text)
            for match in matches:
                if (
                    check_id == "claims.quotation"
                    and len(text[match.start() : match.end()].split()) < 4
                ):
                    continue
                yield self.finding(
                    doc,
                    raised(check_id, severity, strict),
                    match.start(),
                    match.end(),
                    message,
                    suggestion="Verify it against a reliable source before publishing.",
                    check_id=check_id,
                )
        yield from self._unsourced(doc, strict)

    def _unsourced(self, doc, strict):
        text = doc.text
        anchors = [s for s, _e in doc.link_spans]
        for match in finditer_ci(UNSOURCED, text, doc.lower):
            start, end = match.span()
            lo, hi = max(0, start - SOURCE_WINDOW), end + SOURCE_WINDOW
            if any(lo <= a <= hi for a in anchors) or CITATION.search(text, lo, hi):
                continue
            named = text[start:end].lower() == "according to" and NAMED_SOURCE.match(text, end)
            severity = Severity.INFO if named else Severity.WARNING
            yield self.finding(
                doc,
                raised("claims.unsourced", severity, strict),
                start,
                end,
                "A claim is attributed to a source that is not given."
                if not named
                else "A claim is attributed to a named source without a link or citation.",
                suggestion="Link or cite the source next to the claim, or remove the claim.",
                check_id="claims.unsourced",
            )
