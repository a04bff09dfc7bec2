"""Section readiness: the four operationalisation prerequisites as a scorecard per governed
section (a section is a page with a :class:`~ecm_ops.models.RiskPolicy`).

One service feeds the site admin's setup checklist (Content ops → Setup), the scorecard on each
risk policy, ``manage.py check`` and the drafting gate (``READINESS_ENFORCEMENT``). Each item
is computed live from configuration and recent data and links to the screen that fixes it.

Cost: :func:`gather` reads everything for any number of sections in a fixed number of queries
(one more per distinct depth of section roots), so the checklist of 50 sections costs what the
checklist of 10 does (``bench/bench_readiness.py``).

Items are separate functions (``ITEMS``) of the gathered :class:`Facts`, so an item can be
rewired when the model it depends on arrives without touching the others. Items marked
``rewire`` in their docstring read what exists today (see the README's "Readiness" section).
"""

from __future__ import annotations

from dataclasses import dataclass

from ... import conf
from .. import ServiceError
from .card import AREAS, MISSING, NOT_APPLICABLE, OK, Item, SectionReadiness
from .facts import Facts, gather
from .items import ITEMS
from .site import item_email, item_jobs, item_sections

__all__ = [
    "AREAS",
    "ITEMS",
    "MISSING",
    "NOT_APPLICABLE",
    "OK",
    "Checklist",
    "Facts",
    "Item",
    "NotReady",
    "SectionReadiness",
    "drafting_gate",
    "gather",
    "readiness_for",
    "readiness_for_page",
    "readiness_for_policy",
    "setup_checklist",
]


def readiness_for(policies=None) -> list[SectionReadiness]:
    """The scorecard of each policy's section (default: all), in a fixed number of queries."""
    facts = gather(policies)
    return [SectionReadiness(p, [item(facts, p) for item in ITEMS]) for p in facts.policies]


def readiness_for_policy(policy) -> SectionReadiness:
    return readiness_for([policy])[0]


def readiness_for_page(page) -> SectionReadiness | None:
    """The scorecard of the section governing ``page`` (None: no risk policy covers it)."""
    from ...governance.classification import policy_for

    policy = policy_for(page)
    return None if policy is None else readiness_for_policy(policy)


class NotReady(ServiceError):
    """AI drafting refused: the page's section is not ready (``READINESS_ENFORCEMENT``)."""

    status = 409

    def __init__(self, section_title: str | None, missing: list[str]):
        self.missing = missing
        where = f"“{section_title}”" if section_title else "This page"
        lines = " ".join(f"({i}) {m}" for i, m in enumerate(missing, 1))
        super().__init__(
            f"AI drafting is not allowed in {where} until the section is ready. Missing: "
            f"{lines} A site admin can fix this under Content ops → Setup."
        )


def drafting_gate(page) -> list[str]:
    """Apply ``READINESS_ENFORCEMENT`` to AI drafting on ``page``.

    Returns:
        What is missing in the page's section ("warn": drafting goes ahead; "off": always
        empty, and no query is made).

    Raises:
        NotReady: "enforce" and the section is not ready (or no risk policy covers the page).
    """
    mode = conf.get("READINESS_ENFORCEMENT")
    if mode == "off":
        return []
    card = readiness_for_page(page)
    if card is None:
        missing = ["no risk policy covers this page, so its content would not be reviewed by risk."]
        title = None
    else:
        missing, title = card.missing, card.section.title
    if missing and mode == "enforce":
        raise NotReady(title, missing)
    return missing


@dataclass
class Checklist:
    site: list[Item]
    sections: list[SectionReadiness]

    @property
    def done(self) -> bool:
        return all(i.ok for i in self.site) and all(s.ready for s in self.sections)


def setup_checklist() -> Checklist:
    """The site admin's setup checklist: the installation, then every section's scorecard."""
    sections = readiness_for()
    policies = [s.policy for s in sections]
    return Checklist([item_sections(policies), item_jobs(), item_email()], sections)
