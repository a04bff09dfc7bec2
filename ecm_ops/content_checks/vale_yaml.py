"""Reading a rule pack's YAML (or JSON) so that hostile input cannot hurt the site.

A rule pack is written by a site admin and run on every screening, so reading it must be
bounded before anything is built from it:

* at most :data:`MAX_SOURCE_CHARS` characters, and no NUL or other control characters
  (PostgreSQL cannot store NUL in text, and no rule needs one);
* the YAML is first walked as a stream of parser events (iterative, so depth cannot blow the
  stack): anchors and aliases are refused outright (a 362-byte "billion laughs" alias bomb
  expands to gigabytes), nesting deeper than :data:`MAX_DEPTH` and more than
  :data:`MAX_NODES` nodes are refused;
* only then is it loaded with ``yaml.SafeLoader``; a NUL written as the escape ``"\\0"`` is
  refused in the loaded values too.

Vale reads rules with Go's YAML library, which accepts ``\\'`` inside double quotes; PyYAML
does not, so a source that fails only for that is read again with ``\\'`` taken as ``'``.
"""

from __future__ import annotations

import re

import yaml

MAX_SOURCE_CHARS = 200_000
MAX_DEPTH = 8
MAX_NODES = 20_000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A double-quoted YAML scalar (escapes included); used only to repair ``\'`` inside one.
DOUBLE_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"')


class PackSourceError(ValueError):
    """The source cannot be read safely; the message says why and what to do."""


def _check_events(source: str) -> None:
    depth = nodes = 0
    for event in yaml.parse(source, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise PackSourceError(
                "YAML anchors and aliases (&name / *name) are not allowed in rule packs: "
                "write each rule out in full."
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise PackSourceError(
                    f"The rules are nested more than {MAX_DEPTH} levels deep; a rule pack is "
                    "a mapping of rules, each a mapping of keys to text, lists or mappings."
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise PackSourceError(
                    f"The rule pack has more than {MAX_NODES:,} values; split it into "
                    "several packs."
                )


def _repair_quotes(source: str) -> str:
    return DOUBLE_QUOTED.sub(lambda m: m.group().replace("\\'", "'"), source)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def load(source: str):
    """Load ``source`` safely (see the module docstring).

    Raises:
        PackSourceError: too large, control characters, anchors/aliases, too deep or too
            many values, not valid YAML/JSON, or NUL in a value.
    """
    source = source or ""
    if len(source) > MAX_SOURCE_CHARS:
        raise PackSourceError(
            f"The rules are {len(source):,} characters long; a rule pack may have at most "
            f"{MAX_SOURCE_CHARS:,}. Split it into several packs."
        )
    bad = CONTROL.search(source)
    if bad:
        raise PackSourceError(
            f"The rules contain a control character (code {ord(bad.group())}) at position "
            f"{bad.start()}; remove it (paste the rules as plain text)."
        )
    try:
        try:
            _check_events(source)
            data = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            if "\\'" not in source or "escape" not in str(exc):
                raise
            source = _repair_quotes(source)
            _check_events(source)
            data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise PackSourceError(f"The rules are not valid YAML or JSON: {exc}") from exc
    except RecursionError as exc:  # pragma: no cover - the event walk bounds depth first
        raise PackSourceError("The rules are nested too deeply.") from exc
    if _has_nul(data):
        raise PackSourceError("A value in the rules contains a NUL character (\\0); remove it.")
    return data
