"""The check registry: small classes named by dotted path in ``ECM_OPS["CHECKS"]``.

A check subclasses :class:`BaseCheck` and yields :class:`FindingData`. Checks fail closed: one
that raises or runs past ``ECM_OPS["CHECK_TIME_BUDGET"]`` seconds yields a blocker
"check could not run" finding instead of silently passing.
"""

from __future__ import annotations

import concurrent.futures
import logging
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


class BaseCheck:
    """Extension point. Set ``check_id`` and ``label``; implement :meth:`run`."""

    check_id: str = ""
    label: str = ""

    def run(self, doc: CanonicalText, context: CheckContext) -> Iterable[FindingData]:
        raise NotImplementedError

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


_executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="ecm-check")


def run_check(
    check: BaseCheck, doc: CanonicalText, context: CheckContext, budget: float | None = None
) -> list[FindingData]:
    budget = conf.get("CHECK_TIME_BUDGET") if budget is None else budget
    check_id = check.check_id or type(check).__name__
    future = _executor.submit(lambda: list(check.run(doc, context)))
    try:
        return future.result(timeout=budget)
    except concurrent.futures.TimeoutError:
        logger.error("Check %s exceeded its %.1fs budget", check_id, budget)
        reason = f"it took longer than {budget:g} seconds"
    except Exception as exc:
        logger.exception("Check %s crashed", check_id)
        reason = f"it failed with {type(exc).__name__}"
    return [
        FindingData(
            check_id=f"{check_id}.could_not_run",
            severity=Severity.BLOCKER,
            message=f"The check “{check.label or check_id}” could not run ({reason}), so this text "
            "has not been cleared by it.",
            suggestion="Save again to retry; if it keeps failing, ask a site administrator.",
        )
    ]


def run_checks(
    doc: CanonicalText,
    context: CheckContext | None = None,
    checks: Iterable[BaseCheck] | None = None,
) -> list[FindingData]:
    """Run every registered check on ``doc``; findings sorted by position."""
    context = context or CheckContext()
    findings: list[FindingData] = []
    for check in checks if checks is not None else get_checks():
        findings.extend(run_check(check, doc, context))
    findings.sort(key=lambda f: (f.start, f.check_id))
    return findings
