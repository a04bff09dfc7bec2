"""docs/review_states.md shows the ReviewCase machine as it is, so the diagram cannot rot.

Two renderings are checked against the model: a Mermaid state diagram (GitHub renders it)
built from django-fsm-2's transition list, and the DOT source of django-fsm-2's own
``graph_transitions`` command (compared line by line, ignoring order: the command emits sets).

To regenerate after changing the machine: ``ECM_OPS_WRITE_DOCS=1 pytest tests/test_graph_docs.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django_fsm.management.commands.graph_transitions import all_fsm_fields_data, generate_dot

from ecm_ops.models import ReviewCase

DOC = Path(__file__).resolve().parent.parent / "docs" / "review_states.md"
BLOCK = re.compile(r"```(?P<lang>mermaid|dot)\n(?P<body>.*?)```", re.S)


def mermaid() -> str:
    field = ReviewCase._meta.get_field("state")
    labels = dict(field.choices)
    lines = ["stateDiagram-v2", f"    [*] --> {field.default}"]
    edges = sorted(
        {
            (source, t.target, t.name)
            for t in field.get_all_transitions(ReviewCase)
            for source in ([t.source] if t.source not in ("*", "+") else list(labels))
        }
    )
    lines += [f"    {s} --> {t}: {name}" for s, t, name in edges]
    sources = {s for s, _t, _n in edges}
    lines += [f"    {t} --> [*]" for t in sorted(labels) if t not in sources]
    lines += [f"    {state}: {label}" for state, label in sorted(labels.items())]
    return "\n".join(lines) + "\n"


def dot() -> str:
    return str(generate_dot(all_fsm_fields_data(ReviewCase)))


def _blocks() -> dict[str, str]:
    return {m["lang"]: m["body"] for m in BLOCK.finditer(DOC.read_text())}


def _write() -> None:
    text = DOC.read_text()
    text = BLOCK.sub(
        lambda m: f"```{m['lang']}\n{mermaid() if m['lang'] == 'mermaid' else dot()}```", text
    )
    DOC.write_text(text)


def test_mermaid_diagram_matches_the_machine():
    if os.environ.get("ECM_OPS_WRITE_DOCS") == "1":
        _write()
    assert _blocks()["mermaid"] == mermaid(), (
        "docs/review_states.md is out of date: ECM_OPS_WRITE_DOCS=1 pytest tests/test_graph_docs.py"
    )


def test_graph_transitions_output_matches_the_machine():
    def lines(text):
        return sorted(line.strip() for line in text.splitlines() if line.strip())

    assert lines(_blocks()["dot"]) == lines(dot())
