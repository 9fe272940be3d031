"""What another domain must do when a recording leaves an activity.

Activities lie below the penalty cases in the layers (pyproject's import contracts), yet a case
linked to an activity covers the activity's recordings (R14.3): were a recording taken out of the
activity by hand, or moved away by a correction of its time, it would leave the case too, with
no unlink asked and no unit head's approval. So the cases register here what keeps it, and the
activities call it before a link ends, in the same transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from lawcam.authz import Actor

# (session, actor, activity id, recording id), called before the recording's link ends.
Leaving = Callable[[Session, Actor, int, int], None]
_LEAVING: list[Leaving] = []


def on_leaving(hook: Leaving) -> Leaving:
    """Registered once, at import of the domain that needs it (``lawcam.retention.service``)."""
    if hook not in _LEAVING:
        _LEAVING.append(hook)
    return hook


def leaving(session: Session, actor: Actor, activity_id: int, recording_id: int) -> None:
    for hook in _LEAVING:
        hook(session, actor, activity_id, recording_id)
