"""Vale rules, compiled to RE2 and applied with Vale's semantics.

A rule pack maps rule names to rules (one Vale ``.yml`` file per rule in a Vale folder). Every
pattern is compiled with RE2 (``google-re2``), whose matching time is linear in the text, so
no admin-written pattern can hang a worker; RE2 refuses backreferences and lookarounds, and
such a pattern is refused with a message saying so. ``\\b`` and ``\\w`` are ASCII in RE2.

Supported ``extends`` types and how they behave (as Vale documents them):

==============  ==========================================================================
existence       ``raw`` pieces are concatenated, then the ``tokens`` alternatives (one
                non-capturing group, between word boundaries unless ``nonword: true``)
                follow them, or precede them with ``append: true``
substitution    ``swap`` (pattern -> replacement); longest pattern first; a match whose
                text already is the replacement (case-sensitively; ``a|b`` = either) is
                fine, so a case-only swap fires; ``$1`` in a replacement is the pattern's
                group; ``capitalize: true`` capitalises the replacement after a capital;
                ``nonword``
occurrence      ``token``, ``max``/``min`` (0 = no limit) per unit of ``scope`` (sentence,
                paragraph, each heading, ...); the alert points at the first match and the
                message's ``%s``/``%d`` is the count
repetition      consecutive equal matches of ``tokens`` on one line (``alpha``, ``max``)
capitalization  ``match`` ``$title`` / ``$sentence`` (with ``threshold``, default 0.8) /
                ``$upper`` / ``$lower`` / a pattern, applied to each heading (default scope)
conditional     every match of ``first`` must appear as a group of some ``second`` match
==============  ==========================================================================

Every type: ``message`` (``%s`` in order: the match, or for substitution the replacement then
the match), ``level`` (suggestion -> info, warning, error -> blocker), ``ignorecase``,
``scope`` (see :mod:`.vale_scopes`), ``exceptions`` (patterns; a match containing one as a
whole word is not reported) and ``vocab`` (``false``: the pack's accepted words are not
exceptions). ``^`` and ``$`` match at line ends, as in Vale. ``link``, ``description`` and
``action`` are kept but not used; any other key, and any scope ecm_ops cannot honour, is
reported as a warning (see :func:`pack_warnings`). Other types (spelling, metric, sequence,
readability, script, consistency) are refused with an error naming the rule.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

import re2

from ..states import Severity
from . import vale_scopes, vale_yaml
from .fastmatch import finditer_ci

LEVELS = {"suggestion": Severity.INFO, "warning": Severity.WARNING, "error": Severity.BLOCKER}
COMMON_KEYS = {"extends", "message", "level", "scope", "link", "description", "action",
               "ignorecase", "exceptions", "vocab"}  # fmt: skip
SMALL_WORDS = set(
    "a an and as at but by for from in into nor of on or over per the to up via vs with".split()
)
SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.M)
PARAGRAPH = re.compile(r"[^\n]+")
FORMAT = re.compile(r"%[sd%]")
CAPTURE_OPEN = re.compile(r"(?<!\\)\((?!\?)")
WORD = re.compile(r"[^\W\d_][\w'’*-]*|\d[\w.]*")

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


class RuleError(ValueError):
    """A rule that cannot be used; the message names the rule and the problem."""


@dataclass
class Hit:
    start: int
    end: int
    message: str
    severity: str


def compile_re2(rule_name: str, pattern: str):
    """Compile ``pattern`` with RE2, or raise :class:`RuleError` in words an admin can act on."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        why = exc.args[0] if exc.args else exc
        why = why.decode("utf-8", "replace") if isinstance(why, bytes) else str(why)
        raise RuleError(
            f"Rule {rule_name}: the regular expression {pattern[:200]!r} cannot be used: {why}. "
            "Rules run with RE2, which has no backreferences (\\1) or lookarounds "
            "((?=…), (?!…), (?<=…), (?<!…)); rewrite the pattern without them."
        ) from exc


def parse_pack(source: str, vocabulary: str = "") -> dict[str, dict]:
    """Parse a pack's YAML or JSON source into ``{rule name: rule}`` and validate each rule
    (every pattern compiled with RE2).

    Raises:
        RuleError: unsafe or bad YAML/JSON, not a mapping of rules, or an unusable rule.
    """
    try:
        data = vale_yaml.load(source) or {}
    except vale_yaml.PackSourceError as exc:
        raise RuleError(str(exc)) from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise RuleError("A rule pack must map rule names to rules, e.g. 'Hedging: {extends: …}'.")
    words = vocabulary_words(vocabulary)
    for name, rule in data.items():
        compile_rule(str(name), rule, words)
    return {str(k): v for k, v in data.items()}


def vocabulary_words(text: str) -> tuple[str, ...]:
    """Accepted words (Vale's ``accept.txt``): one word or pattern per line, ``#`` comments."""
    words = tuple(
        line.strip() for line in (text or "").splitlines() if line.strip() and not
        line.strip().startswith("#")
    )  # fmt: skip
    for word in words:
        compile_re2("vocabulary", word)
    return words


def pack_warnings(rules: dict[str, dict]) -> list[str]:
    """What a pack asks for that ecm_ops does not do: unknown keys, scopes with no text."""
    out = []
    for name, rule in rules.items():
        cls = TYPES.get(rule.get("extends"))
        if cls is None:
            continue
        for key in sorted(set(rule) - COMMON_KEYS - cls.keys):
            out.append(f"Rule {name}: the key '{key}' is not supported and is ignored.")
        out += [f"Rule {name}: {p}." for p in vale_scopes.problems(rule.get("scope"))]
    return out


def _list(rule_name: str, rule: dict, key: str) -> list[str]:
    value = rule.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise RuleError(f"Rule {rule_name}: '{key}' must be a list.")
    return [str(v) for v in value]


def _number(rule_name: str, rule: dict, key: str, default: float = 0) -> float:
    value = rule.get(key, default)
    try:
        return float(value if value is not None else default)
    except (TypeError, ValueError):
        raise RuleError(f"Rule {rule_name}: '{key}' must be a number.") from None


def cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def to_sentence(options: list[str]) -> str:
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]


class _Span:
    """A match with character offsets (RE2 runs on the text's UTF-8 bytes, which is much
    faster than on ``str``; offsets are mapped back to characters)."""

    __slots__ = ("match", "chars")

    def __init__(self, match, chars) -> None:
        self.match, self.chars = match, chars

    def start(self, group: int = 0) -> int:
        at = self.match.start(group)
        return at if at < 0 or self.chars is None else self.chars[at]

    def end(self, group: int = 0) -> int:
        at = self.match.end(group)
        return at if at < 0 or self.chars is None else self.chars[at]

    def group_spans(self) -> list[tuple[int, int]]:
        return [(self.start(i), self.end(i)) for i in range(1, len(self.match.groups()) + 1)]


class _Trusted:
    """A shipped rule's pattern: Python ``re``, plus the source for :mod:`.fastmatch`."""

    __slots__ = ("pattern", "fast")

    def __init__(self, pattern: re.Pattern, fast: str | None) -> None:
        self.pattern, self.fast = pattern, fast


def find(regex, doc, lo: int, hi: int, cache: dict) -> Iterator[_Span]:
    """``regex.finditer`` over ``doc.text[lo:hi]`` with character offsets into ``doc.text``."""
    if isinstance(regex, _Trusted):
        if regex.fast and (lo, hi) == (0, len(doc.text)):
            matches = finditer_ci(regex.fast, doc.text, doc.lower)
        else:
            matches = regex.pattern.finditer(doc.text, lo, hi)
        for m in matches:
            yield _Span(m, None)
        return
    if "utf8" not in cache:
        data = doc.text.encode("utf-8")
        if len(data) == len(doc.text):
            cache["utf8"] = (data, None, None)
        else:
            to_byte = [0]
            for ch in doc.text:
                to_byte.append(to_byte[-1] + len(ch.encode("utf-8")))
            cache["utf8"] = (data, to_byte, {b: i for i, b in enumerate(to_byte)})
    data, to_byte, to_char = cache["utf8"]
    if to_byte is not None:
        lo, hi = to_byte[lo], to_byte[hi]
    for m in regex.finditer(data, lo, hi):
        yield _Span(m, to_char)


def spans(regex, doc, lo: int, hi: int, cache: dict) -> list[tuple[int, int]]:
    """``(start, end)`` of every match of ``regex`` in ``doc.text[lo:hi]`` (character offsets),
    without building a match object per hit where it can be avoided."""
    if isinstance(regex, _Trusted) and not (regex.fast and (lo, hi) == (0, len(doc.text))):
        return [m.span() for m in regex.pattern.finditer(doc.text, lo, hi)]
    return [(m.start(), m.end()) for m in find(regex, doc, lo, hi, cache)]


class Rule:
    """A compiled rule. ``hits(doc, cache)`` yields :class:`Hit`."""

    default_message = "'%s' goes against the style rules."
    default_scope = "text"
    keys: set[str] = set()

    def __init__(
        self, name: str, rule: dict, vocabulary: tuple[str, ...] = (), trusted: bool = False
    ) -> None:
        self.name = name
        self.trusted = trusted
        self.kind = rule.get("extends")
        level = str(rule.get("level", "warning")).lower()
        if level not in LEVELS:
            raise RuleError(f"Rule {name}: level must be suggestion, warning or error.")
        self.severity = LEVELS[level]
        self.message = str(rule.get("message") or self.default_message)
        self.ignorecase = bool(rule.get("ignorecase"))
        self.scope = rule.get("scope") or ""
        if not isinstance(self.scope, str | list):
            raise RuleError(f"Rule {name}: 'scope' must be a scope or a list of scopes.")
        terms = _list(name, rule, "exceptions")
        if rule.get("vocab", True) is not False:
            terms += list(vocabulary)
        self.exception_terms = sorted(terms, key=len, reverse=True)
        self.exceptions = None
        if terms:
            body = "|".join(t if t.startswith("(?i)") else f"(?-i:{t})" for t in terms)
            self.exceptions = compile_re2(name, rf"(?m)\b(?:{body})\b")
        self.compile(rule)

    def compile(self, rule: dict) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def pattern(self, source: str, word: bool = False):
        body = rf"\b(?:{source})\b" if word else f"(?:{source})"
        full = ("(?i)" if self.ignorecase else "") + "(?m)" + body
        compiled = compile_re2(self.name, full)  # the syntax check is RE2's for every pack
        if not self.trusted:
            return compiled
        # The shipped pack: Python's re, with the fast case-insensitive path when it applies.
        fast = body if self.ignorecase and "^" not in body and "$" not in body else None
        return _Trusted(re.compile(full), fast)

    def excepted(self, observed: str) -> bool:
        return bool(self.exceptions and self.exceptions.search(observed))

    def say(self, *values: str) -> str:
        """The message with ``%s``/``%d`` filled in order (missing values are empty)."""
        supply = iter(values)

        def fill(m: re.Match) -> str:
            return "%" if m.group() == "%%" else str(next(supply, ""))

        return FORMAT.sub(fill, self.message)

    def regions(self, doc, cache: dict) -> list[tuple[int, int]]:
        return vale_scopes.select(doc, self.scope, self.default_scope, cache)

    def hits(self, doc, cache: dict) -> Iterator[Hit]:  # pragma: no cover - overridden
        raise NotImplementedError


class Existence(Rule):
    keys = {"tokens", "raw", "nonword", "append"}

    def compile(self, rule):
        tokens = [t for t in _list(self.name, rule, "tokens") if t.strip()]
        raw = "".join(_list(self.name, rule, "raw"))
        if not tokens and not raw:
            raise RuleError(f"Rule {self.name}: existence needs 'tokens' or 'raw'.")
        for piece in [*tokens, raw]:
            compile_re2(self.name, piece)  # name the admin's own piece if it is bad
        word = bool(tokens) and not rule.get("nonword")
        group = "|".join(tokens)
        body = rf"\b(?:{group})\b" if word else f"(?:{group})"
        source = body + raw if rule.get("append") else raw + body
        self.regex = self.pattern(source)

    def hits(self, doc, cache):
        for lo, hi in self.regions(doc, cache):
            for m in find(self.regex, doc, lo, hi, cache):
                found = doc.text[m.start() : m.end()]
                if found.strip() and not self.excepted(found.strip()):
                    yield Hit(m.start(), m.end(), self.say(found), self.severity)


class Substitution(Rule):
    default_message = "Use '%s' instead of '%s'."
    keys = {"swap", "nonword", "capitalize"}

    def compile(self, rule):
        swap = rule.get("swap")
        if not isinstance(swap, dict) or not swap:
            raise RuleError(f"Rule {self.name}: substitution needs a 'swap' mapping.")
        self.keys_ = sorted((str(k) for k in swap), key=len, reverse=True)
        self.replacements = [str(swap.get(k, "")) for k in self.keys_]
        for key in self.keys_:
            compile_re2(self.name, key)
        groups = "|".join(f"({CAPTURE_OPEN.sub('(?:', k)})" for k in self.keys_)
        self.regex = self.pattern(groups, word=not rule.get("nonword"))
        self.capitalize = bool(rule.get("capitalize"))

    def expected(self, index: int, observed: str) -> str:
        wanted = self.replacements[index]
        if self.capitalize and observed == cap_first(observed):
            wanted = cap_first(wanted)
        if re.search(r"\$\d", wanted):
            key = ("(?i)" if self.ignorecase else "") + self.keys_[index]
            template = re.sub(r"\$(\d+)", r"\\\1", wanted)
            try:
                wanted = compile_re2(self.name, key).sub(template, observed)
            except (re2.error, RuleError, IndexError):
                pass
        return wanted

    @staticmethod
    def same(expected: str, observed: str) -> bool:
        if " " in expected.strip():
            return expected == observed or observed in expected.split("|")
        try:
            return bool(re2.compile(f"^(?:{expected})$", _OPTIONS).search(observed))
        except re2.error:
            return expected == observed

    def hits(self, doc, cache):
        for lo, hi in self.regions(doc, cache):
            for m in find(self.regex, doc, lo, hi, cache):
                index = next(i for i in range(len(self.keys_)) if m.start(i + 1) >= 0)
                start, end = m.start(index + 1), m.end(index + 1)
                observed = doc.text[start:end].strip()
                expected = self.expected(index, observed)
                if self.same(expected, observed) or self.excepted(observed):
                    continue
                options = [o.strip() for o in expected.split("|")]
                yield Hit(start, end, self.say(to_sentence(options), observed), self.severity)


def _units(doc, spans, unit: str, cache: dict) -> list[tuple[int, int]]:
    key = ("units", unit, tuple(spans))
    if key not in cache:
        pattern = {"sentence": SENTENCE, "paragraph": PARAGRAPH}.get(unit)
        if pattern is None:
            cache[key] = list(spans)
        else:
            units = []
            for lo, hi in spans:
                for m in pattern.finditer(doc.text, lo, hi):
                    if m.group().strip():
                        units.append((m.start() + len(m.group()) - len(m.group().lstrip()),
                                      m.end()))  # fmt: skip
            cache[key] = units
    return cache[key]


class Occurrence(Rule):
    default_message = "Found %s occurrences here; the style allows fewer (or more)."
    keys = {"token", "max", "min"}

    def compile(self, rule):
        token = rule.get("token")
        if not token:
            raise RuleError(f"Rule {self.name}: occurrence needs a 'token'.")
        compile_re2(self.name, str(token))
        self.regex = self.pattern(str(token))
        self.max = int(_number(self.name, rule, "max"))
        self.min = int(_number(self.name, rule, "min"))
        if not self.max and not self.min:
            raise RuleError(f"Rule {self.name}: occurrence needs 'max' or 'min'.")

    def hits(self, doc, cache):
        scopes = [p for parts in vale_scopes.parse(self.scope) for _n, p in parts]
        unit = next((u for u in ("sentence", "paragraph") if u in scopes), "block")
        regions = self.regions(doc, cache)
        # Every match once per region, then counted per unit (units never cross regions).
        found = [s for lo, hi in regions for s in spans(self.regex, doc, lo, hi, cache)
                 if s[1] > s[0]]  # fmt: skip
        starts = [s for s, _e in found]
        for lo, hi in _units(doc, regions, unit, cache):
            first = bisect.bisect_left(starts, lo)
            last = first
            while last < len(found) and found[last][1] <= hi:
                last += 1
            n = last - first
            if (self.max and n > self.max) or (self.min and n < self.min):
                start, end = found[first] if n else (lo, hi)
                yield Hit(start, end, self.say(str(n)), self.severity)


class Repetition(Rule):
    default_message = "'%s' is repeated."
    keys = {"tokens", "alpha", "max"}

    def compile(self, rule):
        tokens = _list(self.name, rule, "tokens") or [r"[^\s]+"]
        for token in tokens:
            compile_re2(self.name, token)
        self.regex = self.pattern("|".join(tokens))
        self.alpha = bool(rule.get("alpha"))
        self.max = int(_number(self.name, rule, "max"))

    def hits(self, doc, cache):
        text = doc.text
        for lo, hi in self.regions(doc, cache):
            prev, prev_start, count = "", 0, 0
            for start, end in spans(self.regex, doc, lo, hi, cache):
                curr = text[start:end].strip()
                if curr != prev and (not self.ignorecase or curr.lower() != prev.lower()):
                    prev, prev_start, count = curr, start, 0
                    continue
                hit = curr != "" and (not self.alpha or curr.isalpha())
                count = count + 1 if hit else 0
                if hit and count > self.max:
                    span = text[prev_start:end]
                    if "\n" not in span and not self.excepted(span):
                        yield Hit(prev_start, end, self.say(curr), self.severity)
                        count = 0
                prev, prev_start = curr, start


class Capitalization(Rule):
    default_message = "'%s' should be in %s."
    default_scope = "heading"
    keys = {"match", "threshold", "indicators"}

    def compile(self, rule):
        self.match = str(rule.get("match") or "$sentence")
        self.threshold = _number(self.name, rule, "threshold", 0.8) or 0.8
        self.indicators = tuple(_list(self.name, rule, "indicators") or [":"])
        self.custom = None
        if not self.match.startswith("$"):
            self.custom = compile_re2(self.name, self.match)
        elif self.match not in ("$title", "$sentence", "$upper", "$lower"):
            raise RuleError(f"Rule {self.name}: match must be $title, $sentence, $upper or "
                            "$lower, or a regular expression.")  # fmt: skip

    def expected_words(self, words: list[str]) -> list[str]:
        out = []
        for i, word in enumerate(words):
            after_indicator = i > 0 and words[i - 1].endswith(self.indicators)
            if self.match == "$title":
                small = word.lower() in SMALL_WORDS and 0 < i < len(words) - 1
                out.append(word.lower() if small and not after_indicator else cap_first(word))
            elif i == 0 or after_indicator:
                out.append(cap_first(word))
            else:
                out.append(word if word.isupper() and len(word) > 1 else word.lower())
        return out

    def check(self, line: str) -> tuple[str, bool]:
        if self.match == "$upper":
            return line.upper(), line == line.upper() or self.excepted(line)
        if self.match == "$lower":
            return line.lower(), line == line.lower() or self.excepted(line)
        if self.custom is not None:
            return self.match, bool(self.custom.search(line)) or self.excepted(line)
        words = [m.group() for m in WORD.finditer(line)]
        if not words:
            return line, True
        expected = self.expected_words(words)
        good = 0
        for i, (word, want) in enumerate(zip(words, expected, strict=True)):
            if word == want or self.excepted(word) or (word.isupper() and len(word) > 1):
                good += 1
            elif i == 0 and self.match == "$sentence":
                return " ".join(expected), False
        return " ".join(expected), good / len(words) >= self.threshold

    def hits(self, doc, cache):
        for lo, hi in self.regions(doc, cache):
            offset = lo
            for line in doc.text[lo:hi].split("\n"):
                stripped = line.strip()
                if stripped:
                    expected, ok = self.check(stripped)
                    if not ok:
                        start = offset + len(line) - len(line.lstrip())
                        yield Hit(start, start + len(stripped), self.say(stripped, expected),
                                  self.severity)  # fmt: skip
                offset += len(line) + 1


class Conditional(Rule):
    default_message = "'%s' is used without being defined first."
    keys = {"first", "second"}

    def compile(self, rule):
        if not rule.get("first") or not rule.get("second"):
            raise RuleError(f"Rule {self.name}: conditional needs 'first' and 'second'.")
        self.first = self.pattern(str(rule["first"]))
        self.second = self.pattern(str(rule["second"]))

    def hits(self, doc, cache):
        text = doc.text
        defined: set[str] = set()
        for lo, hi in self.regions(doc, cache):
            for m in find(self.second, doc, lo, hi, cache):
                # an alternative that did not take part has no span (-1): skip it
                defined.update(text[s:e] for s, e in m.group_spans() if s >= 0 and e > s)
            for m in find(self.first, doc, lo, hi, cache):
                found = text[m.start() : m.end()]
                if found and found not in defined and not self.excepted(found):
                    yield Hit(m.start(), m.end(), self.say(found), self.severity)


TYPES: dict[str, type[Rule]] = {
    "existence": Existence,
    "substitution": Substitution,
    "occurrence": Occurrence,
    "repetition": Repetition,
    "capitalization": Capitalization,
    "conditional": Conditional,
}


def compile_rule(
    name: str, rule: dict, vocabulary: tuple[str, ...] = (), trusted: bool = False
) -> Rule:
    """Raises RuleError for an unsupported type or a bad key. ``trusted`` (only the pack that
    ships with ecm_ops) matches with Python's ``re``, which is faster than the RE2 binding on
    rules with thousands of matches; admin-written rules always match with RE2."""
    kind = rule.get("extends")
    if kind not in TYPES:
        raise RuleError(
            f"Rule {name}: extends '{kind}' is not supported (supported: "
            f"{', '.join(sorted(TYPES))})."
        )
    return TYPES[kind](name, rule, vocabulary, trusted)
