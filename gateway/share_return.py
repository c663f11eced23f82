"""The share return (返回科普中国), framework-free: the one implementation the view
(gateway/blueprints/shares.py) and the fast path before Flask (gateway/share_fast_path.py) both call.

accept() verifies the signed share id for the caller, publishes share_returned (kepu_common.interfaces.contracts'
codec) through the process's confirmed publisher, and returns the answer's body; it raises the platform
error the client gets otherwise. Nothing here knows about Flask or WSGI.
"""
import uuid

from kepu_common.interfaces.contracts import encode_share_returned
from kepu_common.interfaces.errors import NotFound, RuleBroken, Unavailable
from services.metrics import contracts
from services.metrics.constants import SHANGHAI


def verify(key, share_id, user_id, now):
    """The share's uuid, if share_id is the caller's signed, still-open share; else NotFound or RuleBroken."""
    try:
        uuid.UUID(user_id)
        return contracts.verify_share_id(key, share_id, user_id, now)
    except (ValueError, contracts.UnknownShare):
        raise NotFound("share_not_found") from None
    except contracts.ShareExpired as expired:
        raise RuleBroken("share_return_window_closed", {"share_id": "return_window_closed"},
                         details={"window_end": expired.expires_at.isoformat()},
                         window_end=expired.expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")) from None


def accept(key, publisher, share_id, user_id, now, share_uuid=None, publish_failed=None):
    """Count the return: {"share_id", "status": "accepted"} once the broker confirmed the event.

    share_uuid: the caller verified it already (the fast path proves a request before it answers it).
    publish_failed: an earlier attempt for this same request failed (the fast path's): answer 503 without
    publishing a second time."""
    if share_uuid is None:
        share_uuid = verify(key, share_id, user_id, now)
    try:
        if publish_failed is not None:
            raise publish_failed
        publisher.publish(encode_share_returned(share_uuid, user_id, now))
    except Exception as exc:  # no confirm in time, the broker away, a nack: not accepted
        raise Unavailable("share_broker_unavailable", details={"dependency": "broker"}) from exc
    return {"share_id": share_id, "status": "accepted"}
