"""Style and terminology: Vale-style rule packs and the style guide's preferred terms.

Rules come from the pack shipped in ``rules/default/`` (one Vale-style ``.yml`` file per rule;
off with ``ECM_OPS["STYLE_DEFAULT_PACK"] = False``) and every enabled
:class:`~ecm_ops.models.StyleRulePack`. Finding ids are ``style.<pack>.<rule>``; the rule's
``level`` gives the severity.

Terminology: each ``{"preferred": "sign in", "deprecated": ["log in", "login"]}`` entry of
the applicable :class:`~ecm_ops.models.StyleGuide` yields ``style.terminology`` warnings for
the deprecated terms. The applicable guide is ``context.style_guide`` (the drafting
template's guide, see :meth:`CheckContext.fill_from_drafts`), or, when there is none, every
style guide of the site.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from .. import conf
from ..states import Severity
from . import vale_yaml
from .registry import BaseCheck, CheckContext
from .vale import Rule, RuleError, compile_rule, vocabulary_words

logger = logging.getLogger("ecm_ops.checks")
DEFAULT_PACK_DIR = Path(__file__).parent / "rules" / "default"


def load_folder(path: Path) -> tuple[dict[str, dict], list[str]]:
    """Read a Vale-style folder of ``*.yml`` rules: ``({rule name: rule}, [problems])``.

    A file that is not valid YAML, or a rule of an unsupported type, is reported in
    ``problems`` and left out; the rest still load.
    """
    rules: dict[str, dict] = {}
    problems: list[str] = []
    for file in sorted(Path(path).glob("*.y*ml")):
        try:
            rule = vale_yaml.load(file.read_text(encoding="utf-8"))
            if not isinstance(rule, dict):
                raise RuleError(f"Rule {file.stem}: the file is not a YAML mapping.")
            compile_rule(file.stem, rule)
        except (vale_yaml.PackSourceError, RuleError, OSError, UnicodeDecodeError) as exc:
            problems.append(f"{file.name}: {exc}")
            continue
        rules[file.stem] = rule
    return rules, problems


@lru_cache(maxsize=1)
def _default_pack() -> tuple[tuple[str, Rule], ...]:
    rules, problems = load_folder(DEFAULT_PACK_DIR)
    for problem in problems:  # pragma: no cover - the shipped pack is tested
        logger.error("Default style pack: %s", problem)
    return tuple(
        (f"default.{name}", compile_rule(name, rule, trusted=True)) for name, rule in rules.items()
    )


@lru_cache(maxsize=64)
def _compiled_pack(pk: int, updated_at, name: str) -> tuple[tuple[str, Rule], ...]:
    from ..models import StyleRulePack

    pack = StyleRulePack.objects.get(pk=pk)
    words = vocabulary_words(pack.vocabulary)
    return tuple((f"{name}.{rule_name}", compile_rule(rule_name, rule, words))
                 for rule_name, rule in pack.rules.items())  # fmt: skip


def active_rules() -> list[tuple[str, Rule]]:
    """Every rule in use, as ``(pack.rule, compiled rule)``; one query for the packs."""
    from ..models import StyleRulePack

    rules = list(_default_pack()) if conf.get("STYLE_DEFAULT_PACK") else []
    for pk, updated_at, name in StyleRulePack.objects.filter(enabled=True).values_list(
        "pk", "updated_at", "name"
    ):
        rules.extend(_compiled_pack(pk, updated_at, name))
    return rules


def _terminology(context) -> list[dict]:
    if context.style_guide is not None:
        return list(context.style_guide.terminology or [])
    from ..models import StyleGuide

    entries: list[dict] = []
    for terms in StyleGuide.objects.values_list("terminology", flat=True):
        entries.extend(terms or [])
    return entries


class StyleCheck(BaseCheck):
    check_id = "style"
    label = "Style and terminology"
    runs_in_thread = False  # rule packs and style guides are loaded in prepare()

    def prepare(self, batch):
        rules = active_rules()
        terminology = _terminology(CheckContext())
        for _doc, context in batch:
            context.extra["style.rules"] = rules
            if context.style_guide is None:
                context.extra["style.terminology"] = terminology

    def run(self, doc, context):
        cache: dict = {}
        rules = context.extra.get("style.rules")
        for rule_id, rule in active_rules() if rules is None else rules:
            for hit in rule.hits(doc, cache):
                yield self.finding(
                    doc,
                    hit.severity,
                    hit.start,
                    hit.end,
                    hit.message,
                    suggestion=f"Style rule {rule_id}.",
                    check_id=f"style.{rule_id}",
                )
        terms = context.extra.get("style.terminology")
        yield from self._terms(doc, _terminology(context) if terms is None else terms)

    def _terms(self, doc, entries):
        for entry in entries:
            preferred = str(entry.get("preferred") or "").strip()
            deprecated = [str(d).strip() for d in entry.get("deprecated") or [] if str(d).strip()]
            if not preferred or not deprecated:
                continue
            pattern = re.compile(
                r"\b(?:" + "|".join(re.escape(d) for d in deprecated) + r")\b", re.I
            )
            for m in pattern.finditer(doc.text):
                yield self.finding(
                    doc,
                    Severity.WARNING,
                    m.start(),
                    m.end(),
                    f"Use the preferred term '{preferred}' instead of '{m.group()}'.",
                    suggestion=f"Replace with '{preferred}' (style guide terminology).",
                    check_id="style.terminology",
                )
