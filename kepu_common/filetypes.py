"""What a file really is, from its first bytes (never from its name or the declared type)."""

HEAD_BYTES = 16
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
EXECUTABLE = "application/x-executable"
_MP4_BRANDS = (b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"qt  ", b"3gp4", b"3gp5", b"MSNV")


def sniff(head):
    """The content type the first bytes show, or None. Executables are named, so they can be refused."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        if head[8:12] in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4" if head[8:12] in _MP4_BRANDS else None
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"  # docx, pptx: zip containers
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"#!")):
        return EXECUTABLE
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


_PILLOW_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
SMALL_IMAGE_PIXELS = 60_000_000  # a licence scanned at 600 dpi on A3 is about 70 MP… at A4, 35 MP


def image_by_structure(data, max_pixels=SMALL_IMAGE_PIXELS):
    """The content type of a small in-memory image (a licence) checked by its structure, or None.

    The first bytes are not enough: a PNG signature followed by HTML passes them. Pillow parses the
    header (format, size, pixel cap), PNG and WebP are verified chunk by chunk without decoding the
    pixels, and a JPEG is decoded at a reduced scale (draft), which reads every scan cheaply."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            content_type = _PILLOW_TYPES.get(image.format)
            if content_type is None or image.width * image.height > max_pixels:
                return None
            if content_type == "image/jpeg":
                image.draft("RGB", (256, 256))
                image.load()
            else:
                image.verify()
            return content_type
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError):
        return None
