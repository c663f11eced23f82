"""What each resource type accepts: the real formats (from the bytes) and the size limit."""
from kepu_common.errors import InvalidInput, TooLarge

MB = 1024 * 1024
TYPES = {
    "article": ("图文", ("application/pdf", "application/zip", "image/jpeg", "image/png"), 200 * MB),
    "image": ("图片", ("image/jpeg", "image/png", "image/webp", "image/gif"), 50 * MB),
    "video": ("视频", ("video/mp4", "video/quicktime", "video/webm"), 4096 * MB),
    "wallchart": ("挂图", ("image/jpeg", "image/png", "application/pdf"), 300 * MB),
    "audio": ("音频", ("audio/mpeg", "audio/mp4", "audio/wav", "audio/ogg"), 500 * MB),
    "debunk": ("辟谣", ("application/pdf", "application/zip", "image/jpeg", "image/png", "video/mp4"), 1024 * MB),
}
THUMBNAILED = ("image", "wallchart")


def label(resource_type):
    return TYPES[resource_type][0]


def check_size(resource_type, size, limits=None):
    limit = (limits or {}).get(resource_type, TYPES[resource_type][2])
    if size > limit:
        raise TooLarge(f"A {resource_type} file may be at most {limit // MB} MB.", {"size": f"over {limit // MB} MB"})


def check_content(resource_type, sniffed):
    if sniffed == "application/x-executable":
        raise InvalidInput("Executable files are not accepted, whatever their name.", {"file": "an executable"})
    allowed = TYPES[resource_type][1]
    if sniffed not in allowed:
        raise InvalidInput(f"The file's content is not a {resource_type} format ({', '.join(allowed)}).",
                           {"file": f"content is {sniffed or 'unrecognized'}, not a {resource_type}"})
