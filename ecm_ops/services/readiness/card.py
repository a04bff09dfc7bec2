"""The scorecard's parts: an item (one prerequisite, with what is missing and where to fix
it) and a section's readiness (all items; ready when none is missing)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

OK, MISSING, NOT_APPLICABLE = "ok", "missing", "n/a"

AREAS = (
    ("process", _("Process")),
    ("quality", _("Quality")),
    ("governance", _("Governance")),
    ("change", _("Change management")),
)


@dataclass
class Item:
    area: str
    key: str
    label: str
    status: str
    detail: str = ""
    problems: list[str] = field(default_factory=list)
    fix_url: str = ""
    fix_label: str = ""

    @property
    def ok(self) -> bool:
        return self.status != MISSING


@dataclass
class SectionReadiness:
    policy: object  # RiskPolicy, with its section
    items: list[Item]

    @property
    def section(self):
        return self.policy.section

    @property
    def ready(self) -> bool:
        return all(item.ok for item in self.items)

    @property
    def missing(self) -> list[str]:
        """What is missing, one sentence each (shown when drafting is refused)."""
        out = []
        for item in self.items:
            if not item.ok:
                out += [f"{item.label}: {p}" for p in item.problems] or [str(item.label)]
        return out

    def areas(self) -> list[dict]:
        return [
            {
                "key": key,
                "label": label,
                "ok": all(i.ok for i in self.items if i.area == key),
                "items": [i for i in self.items if i.area == key],
            }
            for key, label in AREAS
        ]
