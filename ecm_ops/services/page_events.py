"""What happens when a page is saved: provenance is recomputed, a screening is queued."""

from __future__ import annotations

from ..drafting.provenance import carry_forward
from ..states import ScreeningTrigger
from .screening import request_screening


def page_saved(page, user) -> None:
    """An editor saved the page in the admin: screen the newest revision (debounced)."""
    revision = page.get_latest_revision()
    if revision is None:
        return
    request_screening(page, trigger=ScreeningTrigger.SAVE, revision=revision, user=user)


def revision_saved(revision) -> None:
    """Any save of a page revision (the editor, autosave's in-place overwrite, a revert, a
    draft job, code): its provenance is recomputed from its content."""
    carry_forward(int(revision.object_id), revision)
