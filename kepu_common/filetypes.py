"""What a file really is, from its first bytes (never from its name or the declared type)."""

HEAD_BYTES = 16
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def sniff(head):
    """The content type the first bytes show, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    return None


class PrefixedStream:
    """A stream whose first bytes were already read to sniff it: serves them again, then the rest."""

    def __init__(self, head, rest):
        self._head = head
        self._rest = rest

    def read(self, size=-1):
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._rest.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size:
                data += self._rest.read(size - len(data))
            return data
        return self._rest.read(size)
