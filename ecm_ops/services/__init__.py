"""Services: the only callers of FSM transitions and the only writers of background rows.

Each state change has the same shape (after Wagtail's workflow code): ``transaction.atomic``,
a guard (permission and condition, with a message a person understands), ``save()``, an audit
log entry, then notifications and jobs on commit.
"""


class ServiceError(Exception):
    """A refused action. ``str(exc)`` is shown to the user; ``status`` is the HTTP code."""

    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class PermissionDenied(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409
