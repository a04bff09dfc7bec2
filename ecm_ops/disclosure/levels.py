"""Disclosure levels: which one a publication is at, whether readers see a label, and the
machine-readable vocabulary each level implies. The table is documented in the README
("AI disclosure") and configured by ``ECM_OPS["DISCLOSURE"]``.

The level is derived, never typed by hand, from two facts the publication guard recorded:

- how much of the published text is AI-written (``Publication.ai_share``, judged from the
  text itself against the AI-text index), and
- how it got through (``Publication.basis``): approved in review by a quorum of
  non-conflicted reviewers (``review``), auto-skipped by policy (``skipped``), published with
  the audited override (``override``), or no AI text at all (``human``).

EU AI Act Art. 50(4): AI-generated text published to inform the public must be disclosed
unless it "has undergone a process of human review or editorial control and ... a natural or
legal person holds editorial responsibility". A review approval is that process and the
approver who completed the quorum is the responsible person; an auto-skip or an override is
not a human review of the text, so the label is then required.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..conf import ecm_settings
from ..models import DisclosureLevel

HUMAN = DisclosureLevel.HUMAN
AI_ASSISTED_REVIEWED = DisclosureLevel.AI_ASSISTED_REVIEWED
AI_GENERATED_REVIEWED = DisclosureLevel.AI_GENERATED_REVIEWED
AI_UNREVIEWED = DisclosureLevel.AI_UNREVIEWED

#: IPTC Digital Source Type NewsCodes (http://cv.iptc.org/newscodes/digitalsourcetype/,
#: CC BY 4.0) and the schema.org IPTCDigitalSourceEnumeration member for each
#: (https://schema.org/IPTCDigitalSourceEnumeration, the range of schema.org's
#: ``digitalSourceType`` on CreativeWork).
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
VOCABULARY = {
    # "Created by a human using digital tools": text people wrote in the CMS.
    "digitalCreation": None,  # schema.org has no member for this newer IPTC term yet
    # "Created using Generative AI": the text is (almost) all model output.
    "trainedAlgorithmicMedia": "https://schema.org/TrainedAlgorithmicMediaDigitalSource",
    # "Composite including elements created using Generative AI": people's text mixed
    # with model output.
    "compositeWithTrainedAlgorithmicMedia": (
        "https://schema.org/CompositeWithTrainedAlgorithmicMediaDigitalSource"
    ),
}


@dataclass(frozen=True)
class Decision:
    level: str
    exemption: bool
    label_shown: bool
    label_text: str
    source_type: str  # IPTC term (key of VOCABULARY)
    why: str

    @property
    def iptc_uri(self) -> str:
        return IPTC + self.source_type

    @property
    def schema_org(self) -> str | None:
        return VOCABULARY[self.source_type]


def derive(basis: str, ai_share: float, url_path: str = "") -> Decision:
    """The disclosure for a publication with this ``basis`` and AI-written ``ai_share`` of a
    page at ``url_path`` (for the per-section label settings), under the current table."""
    conf = ecm_settings()["DISCLOSURE"]
    threshold = conf["AI_GENERATED_SHARE"]
    generated = ai_share >= threshold
    if basis == "human" or ai_share <= 0:
        level, exemption, source = HUMAN, False, "digitalCreation"
        why = "The published text contains no AI-written text."
    elif basis == "review":
        level = AI_GENERATED_REVIEWED if generated else AI_ASSISTED_REVIEWED
        exemption = True
        source = "trainedAlgorithmicMedia" if generated else "compositeWithTrainedAlgorithmicMedia"
        why = (
            f"{ai_share:.0%} of the published text is AI-written "
            f"({'at or above' if generated else 'below'} the {threshold:.0%} that counts as "
            "AI-generated) and this exact text was approved in review by a quorum of reviewers "
            "without a conflict of interest, who hold editorial responsibility."
        )
    else:
        level, exemption = AI_UNREVIEWED, False
        source = "trainedAlgorithmicMedia" if generated else "compositeWithTrainedAlgorithmicMedia"
        how = (
            "published with the review override"
            if basis == "override"
            else "auto-skipped by the section's policy"
        )
        why = (
            f"{ai_share:.0%} of the published text is AI-written and it was {how}: no person "
            "reviewed this text, so the label is required."
        )
    shown = label_shown(level, url_path)
    return Decision(level, exemption, shown, conf["LEVELS"][level]["TEXT"], source, why)


def label_shown(level: str, url_path: str = "") -> bool:
    """Whether readers see the label for ``level`` on a page at ``url_path``: the site's
    table, made stricter by the longest matching section prefix (never below the law)."""
    conf = ecm_settings()["DISCLOSURE"]
    if level == AI_UNREVIEWED:
        return True
    shown = bool(conf["LEVELS"][level]["LABEL"])
    best = ""
    for prefix, per_level in conf["SECTIONS"].items():
        if url_path.startswith(prefix) and len(prefix) > len(best) and level in per_level:
            best, shown = prefix, per_level[level]
    return shown


def table() -> list[dict]:
    """The mapping table in force (for the explanation page and the evidence)."""
    conf = ecm_settings()["DISCLOSURE"]
    return [
        {
            "level": level.value,
            "name": str(level.label),
            "label": bool(conf["LEVELS"][level]["LABEL"]) or level == AI_UNREVIEWED,
            "text": conf["LEVELS"][level]["TEXT"],
        }
        for level in DisclosureLevel
    ]
