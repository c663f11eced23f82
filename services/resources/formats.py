"""What each upload purpose accepts: the real formats (from the bytes) and the size limit.

Purposes are the six resource types plus `thumbnail` (the cover a video or audio owner supplies).
"""
from kepu_common.errors import InvalidInput, TooLarge

MB = 1024 * 1024
IMAGES = ("image/jpeg", "image/png", "image/webp")
TYPES = {
    "article": ("图文", ("application/pdf", "application/zip", "image/jpeg", "image/png"), 200 * MB),
    "image": ("图片", IMAGES + ("image/gif",), 50 * MB),
    # wall charts are printed posters: images, so the platform can always make their thumbnail
    "wallchart": ("挂图", IMAGES, 300 * MB),
    "video": ("视频", ("video/mp4", "video/quicktime", "video/webm"), 4096 * MB),
    "audio": ("音频", ("audio/mpeg", "audio/mp4", "audio/wav", "audio/ogg"), 500 * MB),
    "debunk": ("辟谣", ("application/pdf", "application/zip", "image/jpeg", "image/png", "video/mp4"), 1024 * MB),
}
THUMBNAIL_MAX = 10 * MB
PURPOSES = tuple(TYPES) + ("thumbnail",)
THUMBNAILED = ("image", "wallchart", "thumbnail")  # the platform makes the thumbnail from the file itself
TAKES_THUMBNAIL_UPLOAD = ("video", "audio", "article", "debunk")


def label(resource_type):
    return TYPES[resource_type][0]


def allowed(purpose):
    return IMAGES if purpose == "thumbnail" else TYPES[purpose][1]


def check_size(purpose, size, limits=None):
    default = THUMBNAIL_MAX if purpose == "thumbnail" else TYPES[purpose][2]
    limit = (limits or {}).get(purpose, default)
    if size > limit:
        raise TooLarge(f"A {purpose} file may be at most {limit // MB} MB.",
                       {"size": f"over {limit // MB} MB"})


def check_declared(purpose, declared_type):
    """At the start of an upload: the type the client claims must be one this purpose accepts."""
    if declared_type not in allowed(purpose):
        raise InvalidInput(f"A {purpose} must be one of: {', '.join(allowed(purpose))}.",
                           {"content_type": f"{declared_type} is not accepted for {purpose}"})


def check_content(purpose, sniffed, declared_type=None):
    """At completion: what the bytes are must be allowed, and be what the client declared."""
    if sniffed == "application/x-executable":
        raise InvalidInput("Executable files are not accepted, whatever their name.", {"file": "an executable"})
    if sniffed not in allowed(purpose):
        raise InvalidInput(f"The file's content is not a {purpose} format ({', '.join(allowed(purpose))}).",
                           {"file": f"content is {sniffed or 'unrecognized'}, not a {purpose}"})
    if declared_type and sniffed != declared_type:
        raise InvalidInput(f"The file was declared as {declared_type} but its bytes are {sniffed}.",
                           {"content_type": f"declared {declared_type}, content is {sniffed}"})
