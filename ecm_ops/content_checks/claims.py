"""Claims a human has to verify before publication.

Check ids and default severities:

- ``claims.statistic`` (info): percentages, "3 in 10", "twice as many", multipliers.
- ``claims.money`` (info): amounts with a currency symbol, code or name.
- ``claims.date`` (info): dates of events ("on 3 March 2024", "March 3, 2024", "in 1998").
- ``claims.quotation`` (info): direct quotations of four words or more.
- ``claims.unsourced`` (warning): "studies show", "experts agree", "research suggests",
  "scientists have found", "it is widely believed", "according to some" with no source nearby:
  no link whose anchor is within ``SOURCE_WINDOW`` characters, no citation (``[1]``,
  ``(Smith, 2020)``, "Source:", a URL). "According to" a named source ("the trust", "the
  Office for National Statistics") without a link is info.
- ``claims.absolute`` (warning): absolute promises and marketing superlatives ("guaranteed",
  "cures", "risk-free", "the best", "the fastest", "the world's first", "100% safe", "removes
  100% of", "never fails", "miracle", "no side effects"); not "the best-known", "do their
  best" or "could not guarantee".
- ``claims.medical`` / ``claims.financial`` / ``claims.legal`` (warning): advice that tells the
  reader to do something about a medicine, money or a legal obligation. Each is a family of
  patterns, not a list of sentences: an action verb of the family ("stop", "halve", "skip",
  "come off", "swap"; "cancel", "cash in", "borrow"; "withhold", "ignore", "refuse") used as
  advice (at the start of a clause, after "should/must/can/need to", "recommends", "no need
  to", or with "your" after it) followed in the same clause by an object of the family
  (tablets, dose, insulin, antibiotics; savings, pension, council tax, direct debits; rent,
  summons, lease, insurer); plus statements that need no verb: doses in mg/mcg/IU,
  "guaranteed returns", "can't lose money", "double your money", "you are not legally
  required to", "you don't have to pay/tell/declare", "you have the right to refuse".
  Reporting ("patients who missed a dose should call the pharmacy") does not match: the
  verb that tells the reader what to do is not one of the family's.

Each finding's suggestion says what to do about that kind of claim. A section's
:class:`~ecm_ops.models.RiskPolicy` raises the severity to blocker for the check ids (or
prefixes, e.g. ``"claims"``) listed in its ``strict_advice_checks``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..states import Severity
from .fastmatch import finditer_ci
from .registry import BaseCheck

SOURCE_WINDOW = 200
MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
VERIFY = "Check the figure against its source, and cite the source next to it."

# Strings are case-insensitive patterns (lower case, run by fastmatch); compiled patterns are
# case-sensitive. (check id, severity, pattern, message, suggestion)
PATTERNS: list[tuple[str, str, str | re.Pattern, str, str]] = [
    ("claims.statistic", Severity.INFO,
        r"\b\d+(?:[.,]\d+)?\s?(?:%|per ?cent\b|percent\b|percentage points?\b)|"
        r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine) (?:in|out of) "
        r"(?:\d+|ten|five|four|three|two|a hundred)\b|"
        r"\b(?:twice|three times|four times|\d+(?:\.\d+)? times) (?:as|more|less|fewer)\b",
     "A statistic: check the figure and its source.", VERIFY),
    ("claims.money", Severity.INFO, re.compile(
        r"[$£€¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|trillion|bn|m|k)\b)?|"
        r"\b\d[\d,]*(?:\.\d+)?\s?(?:million |billion )?(?:USD|EUR|GBP|CHF|JPY|dollars|euros|"
        r"pounds|pence|cents)\b"),
     "A money amount: check the figure, currency and date.",
     "Check the amount, its currency and the date it applies to."),
    ("claims.date", Severity.INFO, re.compile(
        rf"\b(?:on |since |from |until )?\d{{1,2}}(?:st|nd|rd|th)? {MONTHS},? \d{{4}}\b|"
        rf"\b{MONTHS} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b|"
        r"\b(?:in|since|by|from|until) (?:1[5-9]\d\d|20\d\d)\b"),
     "A date of an event: check that it is right.", "Check the date against the source."),
    ("claims.quotation", Severity.INFO, re.compile(
        r"[\"“][^\"“”\n]{1,600}[\"”]"),
     "A direct quotation: check the wording and who said it.",
     "Check the wording against the recording or the source, and who said it."),
    ("claims.absolute", Severity.WARNING, (
        r"\b(?<!not )(?<!n't )(?:guarantee[sd]?|cures?|cured|risk[- ]free|miracle|"
        r"100% (?:safe|effective|natural|guaranteed)|never fails?|always works|"
        r"the (?:very )?(?:best|fastest|strongest|safest|cheapest|most effective|most powerful|"
        r"most advanced|most trusted|greatest|finest)(?![\w-])|"
        r"world'?s (?:best|first|leading)|number one|proven to|no side effects|completely safe|"
        r"instant results)\b|"
        r"\b(?:removes|kills|eliminates|blocks|prevents|stops) (?:100% of|all) "
        r"(?:germs|bacteria|viruses|toxins|pollutants|dirt|stains)\b"),
     "An absolute promise or superlative: can it be proven?",
     "Soften it (\"one of the\", \"can help\"), or cite the evidence that proves it."),
]  # fmt: skip

# Advice: see the module docstring. LEAD is what makes a verb advice to the reader.
LEAD = (
    r"(?:^\s*|[,;:(–—]\s*|\b(?:and|then|or|so|please|just|simply|instead|now)\s+|"
    r"\b(?:should|must|can|could|may|need to|needs to|ought to|have to|has to|is best to|"
    r"are advised to|(?:told|urged|advised|encouraged|asked) \w+ to|"
    r"(?:recommends?|recommended|advises?|suggests?)(?: (?:that )?(?:you|readers|patients))?"
    r"(?: to)?|(?:plans?|wants?|decided|going) to|no need to)\s+)"
    r"(?:(?:do not|don't|never|always|safely|just|simply|not|also|(?:do not|don't) bother)\s+)*"
)
STRONG = r"(?:it|them)\b"  # "stop taking it" when the sentence names the medicine


@dataclass(frozen=True)
class Advice:
    check_id: str
    objects: str  # lower-case, fastmatch: a sentence is looked at only when one occurs
    verbs: str
    statements: str  # lower-case, fastmatch: advice without a verb of the family
    message: str
    suggestion: str

    @property
    def pattern(self) -> re.Pattern:
        return _advice_pattern(self.verbs, self.objects)


_compiled: dict[tuple[str, str], re.Pattern] = {}


def _advice_pattern(verbs: str, objects: str) -> re.Pattern:
    key = (verbs, objects)
    if key not in _compiled:
        obj = objects.replace(r"\b", "")
        _compiled[key] = re.compile(
            rf"{LEAD}(?P<advice>(?:{verbs})\b(?:[^.!?;\n]{{0,50}}?\b(?:{obj})\b|\s+{STRONG}))|"
            rf"\b(?P<yours>(?:{verbs})\s+(?:your|yourself)\b[^.!?;\n]{{0,40}}?\b(?:{obj})\b)",
            re.I | re.M,
        )
    return _compiled[key]


REVIEW = (
    "Have a qualified reviewer check it, or rewrite it as guidance from a named authority "
    'with a link ("the NHS advises …").'
)
ADVICE = [
    Advice(
        "claims.medical",
        objects=(
            r"\b(?:doses?|dosage|medication|medications|medicines?|meds|tablets?|pills?|capsules?|"
            r"insulin|statins?|inhalers?|antidepressants?|antibiotics?|steroids?|blood thinners?|"
            r"warfarin|diuretics?|ibuprofen|paracetamol|aspirin|vaccines?|jabs?|prescriptions?|"
            r"prescribed|chemotherapy|treatment|doctor|gp|vitamin|supplements?|mg|mcg|burns?|"
            r"wounds?|fever)\b"
        ),
        verbs=(
            r"stop(?:ping)?(?: taking| using)?|quit|skip|halve|double|cut(?: down on)?|reduce|"
            r"increase|lower|raise|swap|replace|change|come off|wean (?:yourself |them )?off|"
            r"give(?: up)?|avoid|take|taking|keep taking|treat|finish|see(?:ing)?|use"
        ),
        statements=r"\b\d+(?:[.,]\d+)*\s?(?:mg|mcg|µg|iu)\b",
        message="Medical advice: a qualified reviewer must check it.",
        suggestion=REVIEW,
    ),
    Advice(
        "claims.financial",
        objects=(
            r"\b(?:council tax|direct debits?|savings|pensions?|mortgage|loans?|repayments?|"
            r"credit cards?|shares|stocks?|crypto\w*|bitcoin|isa|funds?|debts?|bills?|"
            r"energy supplier|money|gold|emergency fund|payments?)\b"
        ),
        verbs=(
            r"stop(?:ping)?(?: paying)?|cancel|skip|ignore|withdraw|cash in|cash out|put|move|"
            r"borrow|take out|invest|sell|buy|pay|transfer|remortgage"
        ),
        statements=(
            r"\bguaranteed (?:returns?|income|profits?|interest)\b|"
            r"\b\d+(?:\.\d+)?% (?:a year |a month |per year |per annum )?guaranteed\b|"
            r"\b(?:can(?:'t|not)|won't|will never|never) lose (?:money|value)\b|"
            r"\bdouble your money\b|\brisk-free (?:investment|returns?|with returns)\b"
        ),
        message="Financial advice: a qualified reviewer must check it.",
        suggestion=REVIEW,
    ),
    Advice(
        "claims.legal",
        objects=(
            r"\b(?:rent|lease|tenancy|tenants?|landlord|eviction|summons|court|insurer|fines?|"
            r"penalty|licence|tax office|maintenance|bailiffs|property|locks|contract|employer|"
            r"breath test|notice|sue|suing|lawsuit|legal action|solicitor|lawyer)\b"
        ),
        verbs=(
            r"stop(?:ping)?(?: paying)?|withhold|ignore|tear up|refuse|break|change|keep|sign|"
            r"sue|declare|tell|pay|leave|evict"
        ),
        statements=(
            r"\byou (?:are|aren't|are not) (?:not )?legally (?:required|entitled|obliged|allowed)\b|"
            r"\b(?:do not|don't|does not|doesn't) (?:have|need) to (?:pay|tell|declare|register|"
            r"inform|disclose|notify)\b|"
            r"\bthere is no need to (?:declare|register|tell|inform|notify)\b|"
            r"\byou have (?:a|the) (?:legal )?right to (?:refuse|withhold|stay|stop|ignore|"
            r"break|keep)\b"
        ),
        message="Legal advice: a qualified reviewer must check it.",
        suggestion=REVIEW,
    ),
]
SENTENCE_BREAK = re.compile(r"[.!?\n]")

UNSOURCED = (
    r"\b(?:(?:many |some |most |recent |new |several |numerous )?(?:studies|research|scientists|"
    r"experts|doctors|surveys?|evidence|lawyers|economists|analysts|researchers) "
    r"(?:have |has )?(?:show|shows|shown|showed|suggest|suggests|suggested|found|find|finds|"
    r"say|says|said|agree|agrees|agreed|prove|proves|proven|proved|confirm|confirms|confirmed|"
    r"believe|believes|indicate|indicates)|"
    r"it is (?:widely |generally |commonly )?(?:known|believed|said|thought|accepted)|"
    r"according to)\b"
)
# "According to" + a vague source is a warning; + a named one (the trust, Ofsted) only info.
VAGUE_SOURCE = re.compile(
    r"\s+(?:some|many|most|experts?|studies|research|reports?|sources|scientists|insiders|"
    r"people|critics|observers)\b",
    re.I,
)
CITATION = re.compile(
    r"\[\d+\]|\(\s*[A-Z][^()]{0,60}?,?\s(?:19|20)\d\d\s*\)|\bsource:|\bhttps?://|\bdoi:", re.I
)


def _merge(spans: list[list[int]], text: str) -> list[list[int]]:
    """One finding per sentence and family: overlapping spans, or spans with no sentence
    break between them, become one."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and (a <= merged[-1][1] or not SENTENCE_BREAK.search(text, merged[-1][1], a)):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


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
    languages = ("en",)  # English patterns: other languages get a "not checked" note

    def run(self, doc, context):
        strict = strict_ids(context.policy)
        text = doc.text
        advice = list(self._advice(doc, strict))
        yield from advice
        for check_id, severity, pattern, message, suggestion in PATTERNS:
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
                if check_id == "claims.absolute" and any(  # "guaranteed returns": one finding
                    a.start < match.end() and match.start() < a.end for a in advice
                ):
                    continue
                yield self.finding(
                    doc,
                    raised(check_id, severity, strict),
                    match.start(),
                    match.end(),
                    message,
                    suggestion=suggestion,
                    check_id=check_id,
                )
        yield from self._unsourced(doc, strict)

    def _advice(self, doc, strict):
        text = doc.text
        for family in ADVICE:
            spans: list[list[int]] = []
            seen: set[int] = set()
            for hit in finditer_ci(family.objects, text, doc.lower):
                start = max(text.rfind(c, 0, hit.start()) for c in ".!?\n") + 1
                if start in seen:
                    continue
                seen.add(start)
                end = SENTENCE_BREAK.search(text, hit.end())
                end = end.end() if end else len(text)
                sentence = text[start:end]
                for match in family.pattern.finditer(sentence):
                    group = "advice" if match.group("advice") else "yours"
                    spans.append([start + match.start(group), start + match.end(group)])
            for hit in finditer_ci(family.statements, text, doc.lower):
                spans.append([hit.start(), hit.end()])
            for a, b in _merge(spans, text):
                yield self.finding(
                    doc,
                    raised(family.check_id, Severity.WARNING, strict),
                    a,
                    b,
                    family.message,
                    suggestion=family.suggestion,
                    check_id=family.check_id,
                )

    def _unsourced(self, doc, strict):
        text = doc.text
        anchors = [s for s, _e in doc.link_spans]
        for match in finditer_ci(UNSOURCED, text, doc.lower):
            start, end = match.span()
            lo, hi = max(0, start - SOURCE_WINDOW), end + SOURCE_WINDOW
            if any(lo <= a <= hi for a in anchors) or CITATION.search(text, lo, hi):
                continue
            named = text[start:end].lower() == "according to" and not VAGUE_SOURCE.match(text, end)
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
