"""The check registry: small classes named by dotted path in ``ECM_OPS["CHECKS"]``.

A check subclasses :class:`BaseCheck` and yields :class:`FindingData`. Checks fail closed: one
that raises or runs past its time budget yields a blocker "check could not run" finding (and
an error in the ``ecm_ops.checks`` log) instead of silently passing; its partial findings are
dropped.

Time budget of a check, first found: ``ECM_OPS["CHECK_TIME_BUDGETS"][check_id]``, the class's
``time_budget``, ``ECM_OPS["CHECK_TIME_BUDGET"]``.

Where a check runs: every check's :meth:`BaseCheck.run` runs in a worker thread and is
abandoned when its budget is up, so a check that would run long (a slow pattern, a huge text)
yields "could not run" on time instead of holding the caller. That is a hard limit, the same
for every check. Checks that need the database set ``runs_in_thread = False``: a Django
connection belongs to its thread (and the caller's transaction must be visible), so such a
check loads what it needs in :meth:`BaseCheck.prepare`, which the registry calls in the
caller's thread first (once per batch in monitoring sweeps), and its ``run`` makes no query.
(A thread is abandoned between Python steps: one long call into C, such as a single search
with Python's ``re``, runs to its end first. That is why rule packs run with RE2, whose
searches take time linear in the text.)

Languages: a check declares the languages its patterns are written for in ``languages``
(primary subtags such as ``("en",)``; ``None``, the default, for checks that do not depend on
the language: links, personal data, duplicates). ``ECM_OPS["CHECK_LANGUAGES"]`` overrides it
per check id (``{"style": ["en", "fr"]}`` once the rule packs have French rules). The text's
language is the page's Wagtail locale (``context.language``; ``settings.LANGUAGE_CODE`` for
text without a page). A check that does not support it is not run, and the run gets one info
finding ``language.not_checked`` naming the language and the checks left out, so a page in a
language the checks do not read never passes silently.

Adding a check::

    class NoLatinCheck(BaseCheck):
        check_id = "house.latin"
        label = "Latin abbreviations"

        def run(self, doc, context):
            for m in re.finditer(r"\\b(e\\.g|i\\.e)\\.", doc.text):
                yield self.finding(doc, Severity.INFO, m.start(), m.end(), "Avoid Latin.")

    ECM_OPS = {"CHECKS": [*DEFAULT_CHECKS, "mysite.checks.NoLatinCheck"]}
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .. import conf
from ..states import Severity
from .canonical import CanonicalText

logger = logging.getLogger("ecm_ops.checks")


@dataclass
class FindingData:
    check_id: str
    severity: str
    message: str
    field: str = ""
    start: int = 0
    end: int = 0
    excerpt: str = ""
    suggestion: str = ""


@dataclass
class CheckContext:
    """What a check may know beyond the text: the page (or None for bare text), its type,
    the policy that applies, and the brief of the AI draft it came from."""

    page: Any = None
    page_type: str = ""
    policy: Any = None
    brief: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    #: The drafting template's instruction text, if the page came from an AI draft.
    instructions: str = ""
    #: The StyleGuide whose terminology applies (None: the check looks it up).
    style_guide: Any = None
    #: Run metadata checks report back (e.g. ``meta["llm_rubric"]`` = tokens and cost).
    meta: dict = field(default_factory=dict)
    #: The text's language (BCP 47, e.g. "fr" or "en-gb"); empty: the page's locale, else
    #: ``settings.LANGUAGE_CODE`` (see :func:`text_language`).
    language: str = ""

    def fill_from_drafts(self) -> None:
        """Take the brief, the template's instructions and its style guide from the page's
        latest successful AI draft, for whatever the caller did not give (one query)."""
        if self.page is None or not getattr(self.page, "pk", None):
            return
        if self.brief and self.instructions and self.style_guide is not None:
            return
        from ..models import DraftRequest
        from ..states import JobStatus

        draft = (
            DraftRequest.objects.filter(page_id=self.page.pk, status=JobStatus.SUCCEEDED)
            .select_related("template_version__template__style_guide")
            .order_by("-created_at", "-pk")
            .first()
        )
        if draft is None:
            return
        self.brief = self.brief or dict(draft.brief or {})
        self.instructions = self.instructions or draft.template_version.instructions
        if self.style_guide is None:
            self.style_guide = draft.template_version.template.style_guide


class BaseCheck:
    """Extension point. Set ``check_id`` and ``label``; implement :meth:`run`."""

    check_id: str = ""
    label: str = ""
    #: Seconds this check may take (None: ECM_OPS["CHECK_TIME_BUDGET"]).
    time_budget: float | None = None
    #: False for checks that need the database: their data is loaded by :meth:`prepare` in
    #: the caller's thread, then :meth:`run` (no queries) runs under the budget like any other.
    runs_in_thread: bool = True
    #: Languages the check reads (primary subtags, e.g. ``("en",)``); None: any language.
    languages: tuple[str, ...] | None = None

    def run(self, doc: CanonicalText, context: CheckContext) -> Iterable[FindingData]:
        raise NotImplementedError

    def prepare(self, batch: list[tuple[CanonicalText, CheckContext]]) -> None:
        """Optional: before a batch of documents is checked (a monitoring sweep chunk), load
        what the whole batch needs in a constant number of queries and put it in each
        ``context.extra`` under this check's id, so :meth:`run` makes no per-document query."""

    def finding(
        self,
        doc: CanonicalText,
        severity: str,
        start: int,
        end: int,
        message: str,
        suggestion: str = "",
        check_id: str | None = None,
    ) -> FindingData:
        """Build a finding for ``doc.text[start:end]`` with its field and excerpt filled in."""
        return FindingData(
            check_id=check_id or self.check_id,
            severity=severity,
            message=message,
            field=doc.field_at(start),
            start=start,
            end=end,
            excerpt=doc.text[start:end][:300],
            suggestion=suggestion,
        )


@lru_cache(maxsize=8)
def _load(paths: tuple[str, ...]) -> tuple[BaseCheck, ...]:
    checks = []
    for path in paths:
        try:
            cls = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"ECM_OPS['CHECKS'] names {path!r}, which cannot be imported: {exc}"
            ) from exc
        checks.append(cls())
    return tuple(checks)


def get_checks() -> tuple[BaseCheck, ...]:
    return _load(tuple(conf.get("CHECKS")))


_pool_state: dict = {"pid": None, "pool": None}


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    """The thread pool of *this* process. RQ forks a work horse per job: a pool created before
    the fork has no live threads in the child, so each process makes its own."""
    if _pool_state["pid"] != os.getpid() or _pool_state["pool"] is None:
        _pool_state["pool"] = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="ecm-check"
        )
        _pool_state["pid"] = os.getpid()
    return _pool_state["pool"]


def _abandon_pool() -> None:
    """A check overran its budget and still holds a thread: later checks get a fresh pool
    instead of queueing behind it (the stuck thread ends on its own or with the process)."""
    pool = _pool_state["pool"]
    _pool_state["pool"] = None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def prepare_checks(
    batch: list[tuple[CanonicalText, CheckContext]], checks: Iterable[BaseCheck] | None = None
) -> None:
    """Let checks load what a whole batch needs in a few queries (monitoring sweeps). A check
    whose ``prepare`` fails is logged and falls back to its own per-document lookups."""
    for check in checks if checks is not None else get_checks():
        try:
            check.prepare(batch)
        except Exception:
            logger.exception("Check %s could not prepare a batch", check.check_id)
            continue
        for _doc, context in batch:
            context.extra.setdefault(PREPARED, set()).add(check.check_id)


PREPARED = "registry.prepared"


def _prepare_one(check: BaseCheck, doc: CanonicalText, context: CheckContext) -> None:
    """Load a database check's data in the caller's thread, unless a batch did already."""
    done = context.extra.setdefault(PREPARED, set())
    if check.runs_in_thread or check.check_id in done:
        return
    check.prepare([(doc, context)])
    done.add(check.check_id)


def budget_for(check: BaseCheck) -> float:
    budgets = conf.get("CHECK_TIME_BUDGETS")
    if check.check_id in budgets:
        return float(budgets[check.check_id])
    if check.time_budget is not None:
        return float(check.time_budget)
    return float(conf.get("CHECK_TIME_BUDGET"))


def could_not_run(check: BaseCheck, reason: str) -> FindingData:
    check_id = check.check_id or type(check).__name__
    return FindingData(
        check_id=f"{check_id}.could_not_run",
        severity=Severity.BLOCKER,
        message=f"The check “{check.label or check_id}” could not run ({reason}), so this text "
        "has not been cleared by it.",
        suggestion="Save again to retry; if it keeps failing, ask a site administrator.",
    )


def run_check(
    check: BaseCheck, doc: CanonicalText, context: CheckContext, budget: float | None = None
) -> list[FindingData]:
    """Run one check, failing closed (see the module docstring)."""
    budget = budget_for(check) if budget is None else budget
    check_id = check.check_id or type(check).__name__
    try:
        _prepare_one(check, doc, context)
        future = _pool().submit(lambda: list(check.run(doc, context)))
        try:
            return future.result(timeout=budget)
        except concurrent.futures.TimeoutError:
            _abandon_pool()
            raise
    except concurrent.futures.TimeoutError:
        logger.error("Check %s exceeded its %.2fs budget", check_id, budget)
        reason = f"it took longer than {budget:g} seconds"
    except Exception as exc:
        logger.exception("Check %s crashed", check_id)
        reason = f"it failed with {type(exc).__name__}"
    return [could_not_run(check, reason)]


_locale_languages: dict[int, str] = {}


def _forget_locales(**kwargs) -> None:
    _locale_languages.clear()


def text_language(context: CheckContext) -> str:
    """The language of the text, lower case: ``context.language``, the page's locale (one
    query the first time a locale is seen in this process), or ``settings.LANGUAGE_CODE``."""
    from django.conf import settings

    if context.language:
        return context.language.lower()
    locale_id = getattr(context.page, "locale_id", None)
    if locale_id is not None:
        if locale_id not in _locale_languages:
            from django.db.models.signals import post_delete, post_save
            from wagtail.models import Locale

            for signal in (post_save, post_delete):  # a changed locale empties the cache
                signal.connect(_forget_locales, sender=Locale, dispatch_uid="ecm_ops_locales")
            _locale_languages.update(Locale.objects.values_list("pk", "language_code"))
        if locale_id in _locale_languages:
            return _locale_languages[locale_id].lower()
    return str(settings.LANGUAGE_CODE).lower()


def supports(check: BaseCheck, language: str) -> bool:
    declared = conf.get("CHECK_LANGUAGES").get(check.check_id, check.languages)
    if declared is None:
        return True
    primary = language.split("-")[0]
    return any(lang.lower() in (language, primary) for lang in declared)


def language_name(code: str) -> str:
    from django.utils.translation import get_language_info

    for candidate in (code, code.split("-")[0]):
        try:
            return f"{get_language_info(candidate)['name']} ({code})"
        except KeyError:
            continue
    return code


def not_checked(language: str, skipped: list[BaseCheck]) -> FindingData:
    labels = ", ".join(f"“{c.label or c.check_id}”" for c in skipped)
    return FindingData(
        check_id="language.not_checked",
        severity=Severity.INFO,
        message=f"Not checked for {language_name(language)}: {labels} "
        f"{'does' if len(skipped) == 1 else 'do'} not support this language, so "
        "this text has not been cleared by "
        f"{'it' if len(skipped) == 1 else 'them'}.",
        suggestion="Have a reviewer who reads the language check it by hand, or ask a site "
        "administrator to add checks for it.",
    )


def run_checks(
    doc: CanonicalText,
    context: CheckContext | None = None,
    checks: Iterable[BaseCheck] | None = None,
) -> list[FindingData]:
    """Run every registered check that reads the text's language on ``doc``; findings sorted
    by position, plus one ``language.not_checked`` info finding when a check was left out."""
    context = context or CheckContext()
    context.fill_from_drafts()
    language = text_language(context)
    findings: list[FindingData] = []
    skipped: list[BaseCheck] = []
    for check in checks if checks is not None else get_checks():
        if not supports(check, language):
            skipped.append(check)
            continue
        findings.extend(run_check(check, doc, context))
    if skipped:
        findings.append(not_checked(language, skipped))
    findings.sort(key=lambda f: (f.start, f.check_id))
    return findings
