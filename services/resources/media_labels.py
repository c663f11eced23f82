"""How a resource's media facts read for people (no I/O, no FFmpeg): used by the API's schemas and by
the review snapshot, so both say the same."""


def duration_label(seconds):
    """A video's length as players show it: 3:05, 1:02:07; None when unknown."""
    if seconds is None:
        return None
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
