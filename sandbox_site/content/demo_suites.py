"""One evaluation suite per demo template, as the YAML a site admin would import."""

from __future__ import annotations

from ecm_ops.evaluation.suite import import_yaml

SUITES = {
    "news-explainer": """
cases:
  - name: Bus timetable change
    brief:
      topic: the new winter bus timetable
      audience: commuters
      key_points: [Buses run every 15 minutes at peak times, Night buses stop at midnight]
    assert:
      - type: no_blocker
      - {type: contains, value: timetable}
      - {type: fields}
      - {type: schema}
      - {type: word_count, min: 30, max: 800}
  - name: Library opening hours
    brief:
      topic: longer library opening hours
      audience: families
      key_points: [The central library opens on Sundays]
    assert:
      - type: no_blocker
      - {type: max_score, value: 10}
      - {type: not_contains, value: "As an AI"}
      - {type: not_regex, value: "[\\\\w.+-]+@[\\\\w-]+\\\\.[\\\\w.]+"}
""",
    "health-advice": """
cases:
  - name: Saving for a first home
    brief:
      topic: saving for a first home
      audience: young renters
      key_points: [Compare savings accounts, Keep an emergency fund]
    assert:
      - type: no_blocker
      - {type: no_check, value: pii}
      - {type: not_contains, value: "guaranteed"}
      - {type: fields, value: [title, body]}
  - name: Sleep and screen time
    brief:
      topic: sleep and screen time
      audience: parents of teenagers
      key_points: [Screens off an hour before bed]
    assert:
      - type: no_blocker
      - {type: not_regex, value: "\\\\bcures?\\\\b"}
      - {type: word_count, min: 30, max: 800}
""",
}


def seed_suite(template) -> None:
    """Import the template's demo suite once (a site admin's later edits are kept)."""
    text = SUITES.get(template.slug)
    if text and not template.evaluation_cases.exists():
        import_yaml(text, template, None)
