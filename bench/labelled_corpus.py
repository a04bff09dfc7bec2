"""The labelled pre-screening corpus (``bench/corpus/*.yaml``) and how it is scored.

Each file is a list of passages written as a content team writes copy::

    - id: pii-us-01
      text: >
        Her Social Security number, ⟦pii.national_id|219-09-9998⟧, was on the form.
    - id: ai-unfinished-01
      fields:                       # several fields instead of one "body"
        body: ...
    - id: cl-sourced-01
      html: true                    # the text is rich-text HTML
      text: <p>...</p>
      spans:                        # labels given separately where ⟦…⟧ would clash
        - [ai_artefacts.placeholder, "{{ region }}"]

A label is a check id or a prefix of one (``style`` matches every ``style.*`` finding). Passages
in ``clean.yaml`` carry no labels: no warning or blocker may fire on them.

Scoring (:func:`score`): a finding *hits* a labelled span when its check id falls under the
span's label and their offsets overlap. Recall of a family = labelled spans hit / spans;
precision of a check = its findings that hit a span with its label / its findings. Findings of
the info-level "verify this figure" checks (statistics, money, dates, quotations), readability
(whole fields of 100+ words), near-duplicates (needs stored pages) and info-level claims (an
attribution to a named source without a link) are not scored: they are
prompts to check, not detections, and the corpus does not label them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
MARK = re.compile(r"⟦([\w.]+)\|(.*?)⟧", re.S)
UNSCORED = ("claims.statistic", "claims.money", "claims.date", "claims.quotation",
            "readability", "near_duplicate", "duplicates")  # fmt: skip
FAMILIES = ("pii", "ai_artefacts", "advice", "claims", "style", "links")
ADVICE = ("claims.medical", "claims.financial", "claims.legal")


@dataclass
class Passage:
    id: str
    file: str
    fields: list[tuple[str, str]]
    html: bool
    labels: list[tuple[str, str]]  # (label, exact text), in order of appearance
    clean: bool
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # filled by locate()


def family(check_id: str) -> str:
    if check_id.startswith(ADVICE):
        return "advice"
    return check_id.split(".", 1)[0]


def covers(label: str, check_id: str) -> bool:
    return check_id == label or check_id.startswith(label + ".")


def scored(finding) -> bool:
    """Info-level claims are "check this" prompts (a named source without a link), not
    detections: like statistics and dates they are not scored."""
    if finding.check_id.startswith("claims.") and finding.severity == "info":
        return False
    return not finding.check_id.startswith(UNSCORED) and not finding.check_id.endswith(
        "could_not_run"
    )


def _strip(text: str) -> tuple[str, list[tuple[str, str]]]:
    labels = [(m.group(1), m.group(2)) for m in MARK.finditer(text)]
    return MARK.sub(lambda m: m.group(2), text), labels


def load(directory: Path = CORPUS_DIR) -> list[Passage]:
    passages = []
    for path in sorted(directory.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            labels: list[tuple[str, str]] = []
            raw_fields = item.get("fields") or {"body": item["text"]}
            fields = []
            for name, value in raw_fields.items():
                value, found = _strip(str(value).strip())
                fields.append((name, value))
                labels.extend(found)
            labels.extend((label, text) for label, text in item.get("spans") or [])
            passages.append(
                Passage(
                    id=item["id"],
                    file=path.name,
                    fields=fields,
                    html=bool(item.get("html")),
                    labels=labels,
                    clean=path.name == "clean.yaml",
                )
            )
    return passages


def canonical(passage: Passage):
    from ecm_ops.content_checks.canonical import CanonicalText

    html_fields = tuple(name for name, _ in passage.fields) if passage.html else ()
    doc = CanonicalText.from_fields(passage.fields, html_fields=html_fields)
    passage.spans = []
    cursor = 0
    for label, wanted in passage.labels:
        pattern = r"\s+".join(re.escape(part) for part in wanted.split())
        match = re.compile(pattern).search(doc.text, cursor) or re.compile(pattern).search(doc.text)
        if match is None:
            raise ValueError(f"{passage.id}: labelled text {wanted!r} is not in the text")
        passage.spans.append((label, match.start(), match.end()))
        cursor = match.end()
    return doc


@dataclass
class Score:
    spans: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    spans_hit: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    findings: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # by check id
    findings_hit: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    clean_passages: int = 0
    clean_flagged: int = 0
    misses: list[str] = field(default_factory=list)
    false_hits: list[str] = field(default_factory=list)

    def recall(self, fam: str) -> float | None:
        return self.spans_hit[fam] / self.spans[fam] if self.spans[fam] else None

    def precision(self, key: str) -> float | None:
        """Precision of a family (``pii``) or of one check id (``pii.phone``)."""
        ids = [c for c in self.findings if c == key or (key in FAMILIES and family(c) == key)]
        total = sum(self.findings[c] for c in ids)
        return sum(self.findings_hit[c] for c in ids) / total if total else None


def score(passages: list[Passage], run) -> Score:
    """``run(doc) -> findings`` for each passage; returns the tallies (see the module doc)."""
    result = Score()
    for passage in passages:
        doc = canonical(passage)
        found = run(doc)
        findings = [f for f in found if scored(f)]
        failed = [f for f in found if f.check_id.endswith("could_not_run")]
        if failed:
            raise RuntimeError(f"{passage.id}: {failed[0].message}")
        for label, start, end in passage.spans:
            fam = family(label)
            result.spans[fam] += 1
            if any(covers(label, f.check_id) and f.start < end and start < f.end
                   for f in findings):  # fmt: skip
                result.spans_hit[fam] += 1
            else:
                result.misses.append(f"{passage.id}: {label} {doc.text[start:end]!r}")
        for f in findings:
            result.findings[f.check_id] += 1
            if any(covers(label, f.check_id) and f.start < end and start < f.end
                   for label, start, end in passage.spans):  # fmt: skip
                result.findings_hit[f.check_id] += 1
            else:
                result.false_hits.append(
                    f"{passage.id}: {f.check_id} ({f.severity}) {doc.text[f.start : f.end][:60]!r}"
                )
        if passage.clean:
            result.clean_passages += 1
            if any(f.severity != "info" for f in findings):
                result.clean_flagged += 1
    return result
