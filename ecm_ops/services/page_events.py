"""What happens when an editor saves a page: provenance carries forward, a screen is queued."""

from __future__ import annotations

from ..drafting.provenance import carry_forward
from ..states import ScreeningTrigger
from .screening import request_screening


def page_saved(page, user) -> None:
    revision = page.get_latest_revision()
    if revision is None:
        return
    carry_forward(page, revision)
    request_screening(page, trigger=ScreeningTrigger.SAVE, revision=revision, user=user)
