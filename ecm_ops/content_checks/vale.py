"""Vale-style declarative rules, compiled to Python regular expressions.

A rule pack is a mapping of rule name -> rule (one Vale ``.yml`` file per rule in a Vale
folder). Supported ``extends`` types and keys:

==============  ==========================================================================
existence       ``tokens`` (list of regexes, matched as whole words unless ``nonword:
                true``), ``raw`` (list of regex pieces joined as-is), ``exceptions``
substitution    ``swap`` (regex -> replacement; ``a|b`` replacements are offered as
                alternatives), ``exceptions``
occurrence      ``token`` (one regex), ``max`` and/or ``min``, ``scope``: ``sentence``,
                ``paragraph`` or ``text`` (the unit counted in)
repetition      ``tokens`` (regexes for what counts as a token), ``alpha`` (only alphabetic
                tokens count); finds the same token twice in a row ("the the")
capitalization  ``match``: ``$title``, ``$sentence``, ``$upper``, ``$lower`` or a regex;
                ``exceptions`` (words allowed as written); applied to each line of the
                scoped fields (default ``heading``)
conditional     ``first``, ``second`` (regexes with one group each), ``exceptions``: a
                ``first`` match whose group is never defined by a ``second`` match
                (e.g. an acronym never spelled out) is reported
==============  ==========================================================================

Keys every type understands: ``extends``, ``message`` (``%s`` is replaced by the matched
text; substitution messages get the replacement, then the match), ``level``
(``suggestion`` -> info, ``warning`` -> warning, ``error`` -> blocker), ``ignorecase``,
``scope`` (``text``/``sentence``/``paragraph`` = the whole canonical text; ``heading`` or
``title`` = the title field; ``summary`` = search description; any other value = the field
of that name). Ignored: ``link``, ``description``, ``action``, ``vocab``, ``nonword`` for
non-existence rules. Other types (spelling, metric, sequence, readability, script,
consistency) are rejected with an error naming the rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from ..states import Severity
from .fastmatch import finditer_ci

LEVELS = {"suggestion": Severity.INFO, "warning": Severity.WARNING, "error": Severity.BLOCKER}
SUPPORTED = {"existence", "substitution", "occurrence", "repetition", "capitalization",
             "conditional"}  # fmt: skip
WHOLE_TEXT_SCOPES = {"", "text", "sentence", "paragraph", "raw", "list"}
FIELD_SCOPES = {"heading": "title", "title": "title", "summary": "search_description"}
SMALL_WORDS = set(
    "a an and as at but by for from in into nor of on or over per the to up via vs with".split()
)
SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.M)
PARAGRAPH = re.compile(r"[^\n]+")


class RuleError(ValueError):
    """A rule that cannot be used; the message names the rule and the problem."""


@dataclass
class Hit:
    start: int
    end: int
    message: str
    severity: str


def parse_pack(source: str) -> dict[str, dict]:
    """Parse a pack's YAML or JSON source into ``{rule name: rule}`` and validate each rule.

    Raises:
        RuleError: bad YAML/JSON, not a mapping of rules, or an unusable rule.
    """
    try:
        data = yaml.safe_load(source or "") or {}
    except yaml.YAMLError as exc:
        raise RuleError(f"The rules are not valid YAML or JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise RuleError("A rule pack must map rule names to rules, e.g. 'Hedging: {extends: …}'.")
    for name, rule in data.items():
        compile_rule(str(name), rule)
    return {str(k): v for k, v in data.items()}


def _flags(rule: dict) -> int:
    return re.I if rule.get("ignorecase") else 0


def _regex(rule_name: str, pattern: str, flags: int) -> re.Pattern:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise RuleError(f"Rule {rule_name}: invalid regular expression {pattern!r}: {exc}") from exc


def _list(rule_name: str, rule: dict, key: str) -> list[str]:
    value = rule.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise RuleError(f"Rule {rule_name}: '{key}' must be a list.")
    return [str(v) for v in value]


class Rule:
    """A compiled rule. ``hits(doc, cache)`` yields :class:`Hit`."""

    default_message = "'%s' goes against the style rules."

    def __init__(self, name: str, rule: dict) -> None:
        self.name = name
        self.kind = rule.get("extends")
        level = str(rule.get("level", "warning")).lower()
        if level not in LEVELS:
            raise RuleError(f"Rule {name}: level must be suggestion, warning or error.")
        self.severity = LEVELS[level]
        self.message = str(rule.get("message") or self.default_message)
        self.flags = _flags(rule)
        self.scope = str(rule.get("scope") or "").lower()
        self.exceptions = {e.lower() for e in _list(name, rule, "exceptions")}
        self.compile(rule)

    def compile(self, rule: dict) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def say(self, *values: str) -> str:
        count = self.message.count("%s")
        values = (values + ("",) * count)[:count]
        try:
            return self.message % values if count else self.message
        except (TypeError, ValueError):
            return self.message

    def regions(self, doc, default: str = "") -> list[tuple[int, int]]:
        scope = self.scope or default
        if scope in WHOLE_TEXT_SCOPES:
            return [(0, len(doc.text))]
        span = doc.span_of(FIELD_SCOPES.get(scope, scope))
        return [(span.start, span.end)] if span else []

    def hits(self, doc, cache: dict) -> Iterator[Hit]:  # pragma: no cover - overridden
        raise NotImplementedError


def _matches(rule, doc, lo: int, hi: int):
    """``rule.pattern.finditer`` over ``doc.text[lo:hi]``; ignore-case rules written in lower
    case take the fast path of :mod:`.fastmatch` (same matches, offsets into ``doc.text``)."""
    if rule.flags & re.I and (lo, hi) == (0, len(doc.text)):
        return finditer_ci(rule.source, doc.text, doc.lower)
    return rule.pattern.finditer(doc.text, lo, hi)


def _words_pattern(tokens: list[str], nonword: bool) -> str:
    body = "|".join(f"(?:{t})" for t in tokens)
    return f"(?:{body})" if nonword else rf"\b(?:{body})\b"


class Existence(Rule):
    def compile(self, rule):
        tokens = _list(self.name, rule, "tokens")
        raw = _list(self.name, rule, "raw")
        if not tokens and not raw:
            raise RuleError(f"Rule {self.name}: existence needs 'tokens' or 'raw'.")
        parts = [_words_pattern(tokens, bool(rule.get("nonword")))] if tokens else []
        if raw:
            parts.append("".join(raw))
        self.source = "|".join(parts)
        self.pattern = _regex(self.name, self.source, self.flags)

    def hits(self, doc, cache):
        for lo, hi in self.regions(doc):
            for m in _matches(self, doc, lo, hi):
                found = doc.text[m.start() : m.end()]
                if m.end() > m.start() and found.lower() not in self.exceptions:
                    yield Hit(m.start(), m.end(), self.say(found), self.severity)


class Substitution(Rule):
    default_message = "Use '%s' instead of '%s'."

    def compile(self, rule):
        swap = rule.get("swap")
        if not isinstance(swap, dict) or not swap:
            raise RuleError(f"Rule {self.name}: substitution needs a 'swap' mapping.")
        self.replacements = [str(v) for v in swap.values()]
        # One group per key, numbered by hand (keys may hold groups of their own): the key
        # that matched is the outer group that closed last (``lastindex``).
        self.key_of_group, number = {}, 1
        for i, key in enumerate(swap):
            self.key_of_group[number] = i
            number += 1 + _regex(self.name, str(key), 0).groups
        groups = "|".join(f"({k})" for k in swap)
        self.source = rf"\b(?:{groups})\b"
        self.pattern = _regex(self.name, self.source, self.flags)

    def hits(self, doc, cache):
        for lo, hi in self.regions(doc):
            for m in _matches(self, doc, lo, hi):
                found = doc.text[m.start() : m.end()]
                wanted = self.replacements[self.key_of_group[m.lastindex]]
                options = [w.strip() for w in wanted.split("|")]
                if found.lower() in self.exceptions or found.lower() in (
                    o.lower() for o in options
                ):
                    continue
                yield Hit(m.start(), m.end(), self.say(" or ".join(options), found), self.severity)


def _units(doc, scope: str, cache: dict) -> list[tuple[int, int]]:
    key = ("units", scope)
    if key not in cache:
        if scope == "sentence":
            cache[key] = [
                (m.start() + len(m.group()) - len(m.group().lstrip()), m.end())
                for m in SENTENCE.finditer(doc.text)
                if m.group().strip()
            ]
        elif scope == "paragraph":
            cache[key] = [m.span() for m in PARAGRAPH.finditer(doc.text)]
        else:
            cache[key] = [(s.start, s.end) for s in doc.spans] or [(0, len(doc.text))]
    return cache[key]


class Occurrence(Rule):
    default_message = "Found %s occurrences here; the style allows fewer (or more)."

    def compile(self, rule):
        token = rule.get("token")
        if not token:
            raise RuleError(f"Rule {self.name}: occurrence needs a 'token'.")
        self.pattern = _regex(self.name, str(token), self.flags)
        self.max = rule.get("max")
        self.min = rule.get("min")
        if self.max is None and self.min is None:
            raise RuleError(f"Rule {self.name}: occurrence needs 'max' or 'min'.")

    def hits(self, doc, cache):
        unit = self.scope if self.scope in ("sentence", "paragraph") else "text"
        for lo, hi in _units(doc, unit, cache):
            n = sum(1 for _ in self.pattern.finditer(doc.text, lo, hi))
            if (self.max is not None and n > int(self.max)) or (
                self.min is not None and n < int(self.min)
            ):
                yield Hit(lo, hi, self.say(str(n)), self.severity)


class Repetition(Rule):
    default_message = "'%s' is repeated."

    def compile(self, rule):
        tokens = _list(self.name, rule, "tokens") or [r"[^\s]+"]
        token = "|".join(f"(?:{t})" for t in tokens)
        _regex(self.name, token, self.flags)
        # A token, whitespace, the same token again (case-insensitively with ignorecase).
        self.pattern = _regex(self.name, rf"(?<!\S)({token})\s+(?:\1)(?!\w)", self.flags)
        self.alpha = bool(rule.get("alpha"))

    def hits(self, doc, cache):
        text = doc.text
        for lo, hi in self.regions(doc):
            for m in self.pattern.finditer(text, lo, hi):
                word = m.group(1)
                if (self.alpha and not word.isalpha()) or word.lower() in self.exceptions:
                    continue
                yield Hit(m.start(), m.end(), self.say(word), self.severity)


class Capitalization(Rule):
    default_message = "'%s' does not follow the capitalisation style."

    def compile(self, rule):
        self.match = str(rule.get("match") or "$sentence")
        if not self.match.startswith("$"):
            self.custom = _regex(self.name, self.match, 0)
        elif self.match not in ("$title", "$sentence", "$upper", "$lower"):
            raise RuleError(f"Rule {self.name}: match must be $title, $sentence, $upper or "
                            "$lower, or a regular expression.")  # fmt: skip

    def ok(self, line: str) -> bool:
        words = line.split()
        if self.match == "$upper":
            return line == line.upper()
        if self.match == "$lower":
            return line == line.lower()
        if not self.match.startswith("$"):
            return bool(self.custom.fullmatch(line))
        for i, word in enumerate(words):
            core = word.strip("\"'“”‘’()[]:,.!?")
            if not core or not core[0].isalpha() or core.lower() in self.exceptions:
                continue
            if core.isupper() and len(core) > 1:  # acronyms are fine either way
                continue
            first = i == 0 or words[i - 1].endswith(":")
            if self.match == "$title":
                if (first or core.lower() not in SMALL_WORDS) and not core[0].isupper():
                    return False
            elif first and not core[0].isupper():
                return False
            elif not first and core[0].isupper() and core.lower() != "i":
                return False
        return True

    def hits(self, doc, cache):
        for lo, hi in self.regions(doc, default="heading"):
            offset = lo
            for line in doc.text[lo:hi].split("\n"):
                if line.strip() and not self.ok(line.strip()):
                    yield Hit(offset, offset + len(line), self.say(line.strip()), self.severity)
                offset += len(line) + 1


class Conditional(Rule):
    default_message = "'%s' is used without being defined first."

    def compile(self, rule):
        if not rule.get("first") or not rule.get("second"):
            raise RuleError(f"Rule {self.name}: conditional needs 'first' and 'second'.")
        self.first = _regex(self.name, str(rule["first"]), self.flags)
        self.second = _regex(self.name, str(rule["second"]), self.flags)

    def hits(self, doc, cache):
        text = doc.text
        defined = {
            (m.group(1) if m.groups() else m.group()).lower() for m in self.second.finditer(text)
        }
        seen = set()
        for m in self.first.finditer(text):
            value = (m.group(1) if m.groups() else m.group()) or ""
            key = value.lower()
            if key in defined or key in self.exceptions or key in seen:
                continue
            seen.add(key)
            yield Hit(m.start(), m.end(), self.say(value), self.severity)


TYPES = {
    "existence": Existence,
    "substitution": Substitution,
    "occurrence": Occurrence,
    "repetition": Repetition,
    "capitalization": Capitalization,
    "conditional": Conditional,
}


def compile_rule(name: str, rule: dict) -> Rule:
    """Raises RuleError for an unsupported type or a bad key."""
    kind = rule.get("extends")
    if kind not in TYPES:
        raise RuleError(
            f"Rule {name}: extends '{kind}' is not supported (supported: "
            f"{', '.join(sorted(SUPPORTED))})."
        )
    return TYPES[kind](name, rule)
