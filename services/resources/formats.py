"""What each upload purpose accepts: the real formats (from the bytes) and the size limit.

Purposes are the six resource types, `thumbnail` (the cover a video or audio owner supplies), and the
files of activities (another service takes them up with attach_uploads): `activity_poster`,
`followup_photo`, `followup_video`. The table of purposes is services/resources/constants.py's (the schemas
name the purposes too); the checks are here.
"""
from kepu_common.interfaces.contracts import RESOURCE_TYPES
from kepu_common.interfaces.errors import InvalidInput, TooLarge
from services.resources.constants import DOCX, IMAGES, MB, PDF, UPLOAD_PURPOSES

ZIP = "application/zip"

assert set(RESOURCE_TYPES) <= set(UPLOAD_PURPOSES)
# every picture is decoded, whatever its purpose: a damaged one, or one with HTML or a ZIP after its end (a
# polyglot), is refused (thumbnails.make)
DECODED_IMAGES = IMAGES + ("image/gif",)
# the platform decodes these images (a damaged one is refused), keeps their size and makes a thumbnail
THUMBNAILED = ("image", "wallchart", "thumbnail", "activity_poster", "followup_photo", "community_cover", "post_image")
# the duration is read from these videos at completion (and a resource video's poster frame made); one
# whose duration cannot be read is refused
PROBED = ("followup_video", "video", "audio", "post_video")  # containers parsed, the duration read from the file
AUDIO = ("audio",)
# documents are checked as what they claim (documents.inspect): a .docx opened as Word, a PDF parsed
DOCUMENTS = (PDF, DOCX)
TAKES_THUMBNAIL_UPLOAD = ("video", "audio", "article", "debunk")


def allowed(purpose):
    return UPLOAD_PURPOSES[purpose][0]


def default_limit(purpose):
    return UPLOAD_PURPOSES[purpose][1]


def check_size(purpose, size, limits=None):
    limit = (limits or {}).get(purpose, default_limit(purpose))
    if size > limit:
        raise TooLarge("file_too_large", {"size": ("file_too_large", {"max_mb": limit // MB})},
                       details={"limit_bytes": limit}, max_mb=limit // MB)


def check_declared(purpose, declared_type):
    """At the start of an upload: the type the client claims must be one this purpose accepts."""
    if declared_type not in allowed(purpose):
        accepted = ", ".join(allowed(purpose))
        raise InvalidInput("type_not_accepted", {"content_type": ("type_not_accepted", {"accepted": accepted})},
                           details={"accepted": list(allowed(purpose))}, accepted=accepted)


def as_claimed(sniffed, declared_type):
    """What the first bytes show, read as the declared type where the bytes alone cannot tell: a zip
    declared as a .docx is taken as one here and must then pass documents.check_docx."""
    if sniffed == ZIP and declared_type == DOCX:
        return DOCX
    return sniffed


def check_content(purpose, sniffed, declared_type=None):
    """At completion: what the bytes are must be allowed, and be what the client declared."""
    if sniffed == "application/x-executable":
        raise InvalidInput("executable_refused", {"file": "executable_file"})
    if sniffed not in allowed(purpose):
        accepted = ", ".join(allowed(purpose))
        raise InvalidInput("content_not_accepted", {"file": ("content_not_accepted", {"accepted": accepted})},
                           details={"found": sniffed, "accepted": list(allowed(purpose))}, accepted=accepted)
    if declared_type and sniffed != declared_type:
        raise InvalidInput("content_type_mismatch",
                           {"content_type": ("content_type_mismatch", {"declared": declared_type, "found": sniffed})},
                           details={"declared": declared_type, "found": sniffed},
                           declared=declared_type, found=sniffed)
