"""The review and incident state machines, pinned as graphs (django-fsm-2's own API).

A change to a graph must change these tests on purpose: a new edge is a new path for content
to take to publication.
"""

from __future__ import annotations

import pytest
from django_fsm import TransitionNotAllowed, can_proceed

from ecm_ops.models import Incident, ReviewCase
from ecm_ops.states import OPEN_REVIEW_STATES, IncidentState, ReviewState

R = ReviewState
I = IncidentState  # noqa: E741

REVIEW_EDGES = {
    (R.SCREENING, R.AWAITING_REVIEW),
    (R.SCREENING, R.SKIPPED),
    (R.SCREENING, R.CHANGES_REQUESTED),
    (R.SCREENING, R.WITHDRAWN),
    (R.AWAITING_REVIEW, R.APPROVED),
    (R.AWAITING_REVIEW, R.CHANGES_REQUESTED),
    (R.AWAITING_REVIEW, R.REJECTED),
    (R.AWAITING_REVIEW, R.ESCALATED),
    (R.AWAITING_REVIEW, R.WITHDRAWN),
    (R.ESCALATED, R.APPROVED),
    (R.ESCALATED, R.CHANGES_REQUESTED),
    (R.ESCALATED, R.REJECTED),
    (R.ESCALATED, R.ESCALATED),
    (R.ESCALATED, R.WITHDRAWN),
}

REVIEW_AVAILABLE = {
    R.SCREENING: {"open_for_review", "skip", "fail_screening", "withdraw"},
    R.AWAITING_REVIEW: {"approve", "request_changes", "reject", "escalate", "withdraw"},
    R.ESCALATED: {"approve", "request_changes", "reject", "escalate", "withdraw"},
    R.APPROVED: set(),
    R.SKIPPED: set(),
    R.CHANGES_REQUESTED: set(),
    R.REJECTED: set(),
    R.WITHDRAWN: set(),
}

INCIDENT_EDGES = {
    (I.OPEN, I.ACKNOWLEDGED),
    (I.OPEN, I.RESOLVED),
    (I.OPEN, I.UNPUBLISHED),
    (I.ACKNOWLEDGED, I.RESOLVED),
    (I.ACKNOWLEDGED, I.UNPUBLISHED),
    (I.UNPUBLISHED, I.RESOLVED),
}

INCIDENT_AVAILABLE = {
    I.OPEN: {"acknowledge", "resolve", "mark_unpublished"},
    I.ACKNOWLEDGED: {"resolve", "mark_unpublished"},
    I.UNPUBLISHED: {"resolve"},
    I.RESOLVED: set(),
}


def edges(instance) -> set[tuple[str, str]]:
    return {(t.source, t.target) for t in instance.get_all_state_transitions()}


def available(instance, state: str) -> set[str]:
    """Transitions whose source includes ``state`` (conditions aside: they need saved data)."""
    instance.state = state
    names = {t.name for t in instance.get_all_state_transitions()}
    return {n for n in names if can_proceed(getattr(instance, n), check_conditions=False)}


def test_review_graph_is_pinned():
    assert edges(ReviewCase()) == REVIEW_EDGES


def test_incident_graph_is_pinned():
    assert edges(Incident()) == INCIDENT_EDGES


def test_every_state_is_covered_and_reachable():
    assert set(REVIEW_AVAILABLE) == set(R.values)
    assert set(INCIDENT_AVAILABLE) == set(I.values)
    reachable = {R.SCREENING} | {target for _s, target in REVIEW_EDGES}
    assert reachable == set(R.values)
    assert {I.OPEN} | {target for _s, target in INCIDENT_EDGES} == set(I.values)


@pytest.mark.parametrize("state", list(REVIEW_AVAILABLE))
def test_review_transitions_available_from(state):
    assert available(ReviewCase(), state) == REVIEW_AVAILABLE[state]


@pytest.mark.parametrize("state", list(INCIDENT_AVAILABLE))
def test_incident_transitions_available_from(state):
    assert available(Incident(), state) == INCIDENT_AVAILABLE[state]


def test_open_states_are_exactly_those_with_a_way_out():
    assert {s for s, names in REVIEW_AVAILABLE.items() if names} == set(OPEN_REVIEW_STATES)


@pytest.mark.parametrize("state", [s for s, names in REVIEW_AVAILABLE.items() if not names])
def test_a_decided_case_cannot_move(state):
    case = ReviewCase(state=state)
    with pytest.raises(TransitionNotAllowed):
        case.withdraw(reason="too late")
    assert case.state == state


def test_deciding_transitions_carry_per_object_authority():
    # A string permission would fall back to a global has_perm; a callable checks this case.
    deciding = {"approve", "request_changes", "reject"}
    found = {t.name: t for t in ReviewCase().get_all_state_transitions() if t.name in deciding}
    assert set(found) == deciding
    for transition in found.values():
        assert callable(transition.permission), transition.name


def test_a_transition_body_sets_fields_only():
    case = ReviewCase(state=R.AWAITING_REVIEW)
    case.escalate(reason="SLA passed")
    assert case.state == R.ESCALATED and case.escalation_level == 1
    case.escalate(reason="still waiting")
    assert case.escalation_level == 2
    assert case.pk is None  # nothing saved: saving is the service's job
