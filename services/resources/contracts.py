"""Code the resources service and the gateway (its schemas) share across the boundary (the import boundary,
kepu_common/tests/test_import_contracts.py): stdlib and kepu_common.interfaces only, no I/O.

How a resource's media facts read for people (no FFmpeg): used by the API's schemas and by the review
snapshot, so both say the same. The social checks the gateway makes before asking the service, which makes
them again (services/resources/social_rules.py).
"""
import re
import unicodedata

from kepu_common.interfaces.errors import Forbidden

# control characters, and invisible format characters (zero-width, bidi overrides), in a name or a title
_HIDDEN = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def duration_label(seconds):
    """A video's length as players show it: 3:05, 1:02:07; None when unknown."""
    if seconds is None:
        return None
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def has_hidden_characters(name):
    return bool(_HIDDEN.search(name)) or any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name)


def require_verified_commenter(roles):
    """后台实名: only real-name-verified accounts (communicators; organization admins are verified with
    their organization's licence) comment."""
    if not {"communicator", "org_admin"} & set(roles):
        raise Forbidden("comment_requires_real_name", details={"required_roles": ["communicator"]})
