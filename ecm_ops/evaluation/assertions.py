"""Typed assertions on a generated output, in the manner of promptfoo's.

An assertion is a small dict, e.g. ``{"type": "contains", "value": "bus"}``. :func:`clean`
validates a list of them (a :class:`AssertionSpecError` says which one is wrong and why, for
the admin form and the YAML import); :func:`judge` says which ones an output fails, one
sentence each.

Types (``field`` limits the text ones to one output field):

=================  ===========================================================================
``no_blocker``     the pre-screen finds no blocker
``max_score``      the screening score is at most ``value`` (lower is better)
``no_check``       no finding of the check family ``value`` (e.g. ``pii``)
``contains``       the text contains ``value`` (case-insensitive)
``not_contains``   the text does not contain ``value``
``regex``          the text matches the pattern ``value``
``not_regex``      the text does not match the pattern ``value``
``schema``         the output has exactly the template's output fields, each a non-empty string
``fields``         every field in ``value`` (default: every output field) is present and not empty
``readability``    the text is within the readability target of the template's page type
``word_count``     the word count is between ``min`` and ``max``
``rubric``         the LLM rubric (through the provider) scores at least ``value`` out of 10
=================  ===========================================================================

Patterns are untrusted admin input: with google-re2 installed they run on RE2 (linear time);
otherwise on Python's ``re`` only when short and free of the constructs that backtrack
catastrophically (backreferences, lookarounds, a quantified group that holds a quantifier),
and the text searched is capped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

try:
    import re2 as _re2
except ImportError:  # google-re2 is a dependency; this keeps a broken install usable
    _re2 = None

MAX_PATTERN = 200
MAX_TEXT = 100_000
MAX_VALUE = 2_000
TYPES = {
    "no_blocker": "The pre-screen finds no blocker",
    "max_score": "Screening score at most",
    "no_check": "No finding of the check",
    "contains": "Contains",
    "not_contains": "Does not contain",
    "regex": "Matches the pattern",
    "not_regex": "Does not match the pattern",
    "schema": "Fits the output schema",
    "fields": "Fields present",
    "readability": "Within the readability target",
    "word_count": "Word count in range",
    "rubric": "LLM rubric score at least",
}
_TEXT_TYPES = {"contains", "not_contains", "regex", "not_regex"}
_UNSAFE = re.compile(
    r"\\[1-9]|\(\?P=|\(\?<?[=!]"  # backreferences, lookarounds
    r"|\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]"  # (a+)+ and friends
)


class AssertionSpecError(ValueError):
    """An assertion is malformed; the message names it and says what to fix."""


@dataclass
class Output:
    """What one case produced, for :func:`judge`."""

    fields: dict[str, str]
    text: str
    findings: list
    score: float
    word_count: int
    expected_fields: list[str]
    readability_target: dict
    #: Called only if a rubric assertion needs it: returns the rubric score out of 10.
    rubric: Callable[[], float] | None = None


def compile_pattern(pattern: str):
    """Compile an admin-written pattern safely, or raise AssertionSpecError."""
    if not isinstance(pattern, str) or not pattern:
        raise AssertionSpecError("a pattern must be non-empty text")
    if len(pattern) > MAX_PATTERN:
        raise AssertionSpecError(f"the pattern is longer than {MAX_PATTERN} characters")
    if _re2 is not None:
        try:
            return _re2.compile(pattern, options=_re2_options())
        except Exception as exc:
            detail = exc.args[0] if exc.args else exc
            if isinstance(detail, bytes):
                detail = detail.decode("utf-8", "replace")
            raise AssertionSpecError(f"the pattern is not valid ({detail})") from exc
    if _UNSAFE.search(pattern):
        raise AssertionSpecError(
            "the pattern uses a backreference, a lookaround or a repeated group containing a "
            "repeat, which could take too long; simplify it"
        )
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise AssertionSpecError(f"the pattern is not valid ({exc})") from exc


def _re2_options():
    options = _re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # a bad pattern is a form error, not a line on stderr
    return options


def _number(item: dict, key: str, label: str, lo: float, hi: float) -> float:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AssertionSpecError(f"{label} needs a number as “{key}”")
    if not lo <= value <= hi:
        raise AssertionSpecError(f"{label}: “{key}” must be between {lo:g} and {hi:g}")
    return value


def clean(items) -> list[dict]:
    """Validate and normalise a list of assertions.

    Raises:
        AssertionSpecError: naming the assertion (by position) and what is wrong.
    """
    if items in (None, ""):
        return []
    if not isinstance(items, list):
        raise AssertionSpecError("Assertions must be a list.")
    if len(items) > 50:
        raise AssertionSpecError("A case can have at most 50 assertions.")
    return [_clean_one(i, item) for i, item in enumerate(items, start=1)]


def _clean_one(position: int, item) -> dict:
    where = f"Assertion {position}"
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise AssertionSpecError(f"{where} must be an object with a “type”.")
    kind = item["type"]
    if kind not in TYPES:
        raise AssertionSpecError(
            f"{where} has an unknown type “{kind[:40]}”. Known types: {', '.join(TYPES)}."
        )
    unknown = set(item) - {"type", "value", "field", "min", "max"}
    if unknown:
        raise AssertionSpecError(f"{where} has unknown keys: {', '.join(sorted(unknown))}.")
    out: dict = {"type": kind}
    try:
        if kind in _TEXT_TYPES:
            value = item.get("value")
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_VALUE:
                raise AssertionSpecError(f"“{kind}” needs a text “value” (1–{MAX_VALUE} chars)")
            if kind in ("regex", "not_regex"):
                compile_pattern(value)
            out["value"] = value
        elif kind == "max_score":
            out["value"] = _number(item, "value", kind, 0, 1000)
        elif kind == "rubric":
            out["value"] = _number(item, "value", kind, 0, 10)
        elif kind == "no_check":
            value = item.get("value")
            if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9_]{1,50}", value):
                raise AssertionSpecError("“no_check” needs a check family such as “pii”")
            out["value"] = value
        elif kind == "fields":
            value = item.get("value") or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise AssertionSpecError("“fields” takes a list of output field names")
            out["value"] = value
        elif kind == "word_count":
            lo = _number(item, "min", kind, 0, 100_000) if "min" in item else 0
            hi = _number(item, "max", kind, 0, 100_000) if "max" in item else 100_000
            if lo > hi:
                raise AssertionSpecError("“word_count”: “min” is above “max”")
            out["min"], out["max"] = int(lo), int(hi)
    except AssertionSpecError as exc:
        raise AssertionSpecError(f"{where}: {exc}") from exc
    if item.get("field"):
        if not isinstance(item["field"], str) or len(item["field"]) > 100:
            raise AssertionSpecError(f"{where}: “field” must be an output field name")
        out["field"] = item["field"]
    return out


def describe(item: dict) -> str:
    """One line for the admin: what the assertion asks."""
    label = TYPES.get(item.get("type"), item.get("type", ""))
    if item.get("type") == "word_count":
        label = f"{label}: {item.get('min', 0)}–{item.get('max')}"
    elif "value" in item and item["value"] not in ([], None):
        value = item["value"]
        label = f"{label}: {', '.join(value) if isinstance(value, list) else value}"
    if item.get("field"):
        label += f" (in “{item['field']}”)"
    return label


def _text_for(item: dict, output: Output) -> str:
    if item.get("field"):
        return str(output.fields.get(item["field"], ""))[:MAX_TEXT]
    return output.text[:MAX_TEXT]


def judge(assertions: list[dict], output: Output) -> list[str]:
    """The reasons ``output`` fails ``assertions`` (an empty list: it passes them all)."""
    from ..content_checks.readability import measure
    from ..content_checks.scoring import family

    reasons: list[str] = []
    for item in assertions:
        kind, value = item["type"], item.get("value")
        if kind == "no_blocker":
            blockers = [f for f in output.findings if f.severity == "blocker"]
            if blockers:
                reasons.append(
                    f"The pre-screen found {len(blockers)} blocker(s): {blockers[0].message}"
                )
        elif kind == "max_score" and output.score > value:
            reasons.append(f"Screening score {output.score:g} is above {value:g}.")
        elif kind == "no_check":
            hits = [f for f in output.findings if family(f.check_id) == value]
            if hits:
                reasons.append(f"The {value} check found: {hits[0].message}")
        elif kind in ("contains", "not_contains"):
            found = value.lower() in _text_for(item, output).lower()
            if kind == "contains" and not found:
                reasons.append(f"The output does not contain “{value}”.")
            elif kind == "not_contains" and found:
                reasons.append(f"The output contains “{value}”.")
        elif kind in ("regex", "not_regex"):
            found = compile_pattern(value).search(_text_for(item, output)) is not None
            if kind == "regex" and not found:
                reasons.append(f"The output does not match /{value}/.")
            elif kind == "not_regex" and found:
                reasons.append(f"The output matches /{value}/.")
        elif kind == "schema":
            reasons.extend(_schema_problems(output))
        elif kind == "fields":
            for name in value or output.expected_fields:
                if not str(output.fields.get(name) or "").strip():
                    reasons.append(f"The output field “{name}” is missing or empty.")
        elif kind == "readability":
            reasons.extend(_readability_problems(_text_for(item, output), output, measure))
        elif kind == "word_count":
            words = len(_text_for(item, output).split())
            if not item["min"] <= words <= item["max"]:
                reasons.append(f"{words} words, outside {item['min']}–{item['max']}.")
        elif kind == "rubric":
            got = output.rubric() if output.rubric else 0.0
            if got < value:
                reasons.append(f"The LLM rubric scored {got:g}/10, below {value:g}.")
    return reasons


def _schema_problems(output: Output) -> list[str]:
    problems = []
    extra = sorted(set(output.fields) - set(output.expected_fields))
    if extra:
        problems.append(f"The output has fields the schema does not: {', '.join(extra)}.")
    for name in output.expected_fields:
        value = output.fields.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"The schema's field “{name}” is missing or not text.")
    return problems


def _readability_problems(text: str, output: Output, measure) -> list[str]:
    target = output.readability_target or {}
    result = measure(text)
    problems = []
    if target.get("max_grade") is not None and result.grade > float(target["max_grade"]):
        problems.append(f"Grade level {result.grade:g} is above the target {target['max_grade']}.")
    if target.get("min_ease") is not None and result.ease < float(target["min_ease"]):
        problems.append(f"Reading ease {result.ease:g} is below the target {target['min_ease']}.")
    return problems


def rubric_score(issues) -> float:
    """The rubric's issues as a score out of 10 (blocker -5, warning -2, info -0.5)."""
    weights = {"blocker": 5.0, "warning": 2.0, "info": 0.5}
    return max(0.0, 10.0 - sum(weights.get(i.severity, 2.0) for i in issues))
