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
            if trailing_bytes(io.BytesIO(data)):
                return None  # a polyglot: HTML or a ZIP after the picture
            if content_type == "image/jpeg":
                image.draft("RGB", (256, 256))
                image.load()
            else:
                image.verify()
            return content_type
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError):
        return None  # NotAnImage is a ValueError


# --- where an image ends: a PNG, JPEG, WebP or GIF followed by HTML or a ZIP is a polyglot -------------
# Browsers, archive tools and scanners read such a file as something else than the picture shown. It is
# refused rather than re-encoded: the stored file stays the one the uploader checksummed (its sha256 is
# part of the upload's contract), a printed wall chart or a photo keeps its quality and metadata, and a
# refusal with its reason is something the uploader can act on. What a camera legitimately appends after
# a JPEG is further JPEG images (CIPA's Multi-Picture Format: previews, the second eye of a stereo pair):
# those, and padding bytes, are allowed.

class NotAnImage(ValueError):
    """The bytes break the structure of the format their signature names."""


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_READ = 1 << 16


def _exact(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise NotAnImage("truncated")
    return data


def _png_end(stream, start):
    stream.seek(start + len(_PNG_SIGNATURE))
    while True:
        header = _exact(stream, 8)
        length, kind = int.from_bytes(header[:4], "big"), header[4:]
        if length > 0x7FFFFFFF:
            raise NotAnImage("chunk length")
        stream.seek(length + 4, 1)  # the chunk's data and its CRC
        if kind == b"IEND":
            end = stream.tell()
            stream.seek(0, 2)
            if stream.tell() < end:
                raise NotAnImage("truncated")
            return end


_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn: markers without a length


def _jpeg_end(stream, start):
    """The offset just past the EOI closing the JPEG that starts at start: segments are skipped by their
    length, entropy-coded data scanned for the next marker (0xFF followed by neither 0x00 nor RSTn)."""
    stream.seek(start)
    if _exact(stream, 2) != b"\xff\xd8":
        raise NotAnImage("no SOI")
    while True:
        byte = _exact(stream, 1)
        if byte != b"\xff":
            raise NotAnImage("marker expected")
        marker = _exact(stream, 1)[0]
        while marker == 0xFF:  # fill bytes before a marker
            marker = _exact(stream, 1)[0]
        if marker == 0xD9:
            return stream.tell()
        if marker in _STANDALONE:
            continue
        length = int.from_bytes(_exact(stream, 2), "big")
        if length < 2:
            raise NotAnImage("segment length")
        stream.seek(length - 2, 1)
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            _skip_scan(stream)


def _skip_scan(stream):
    carry = b""
    while True:
        here = stream.tell() - len(carry)
        block = carry + stream.read(_READ)
        if len(block) <= len(carry):
            raise NotAnImage("scan not closed")
        at = block.find(b"\xff")
        while at != -1:
            if at + 1 >= len(block):
                break  # the byte after 0xFF is in the next block
            following = block[at + 1]
            if following != 0x00 and not 0xD0 <= following <= 0xD7 and following != 0xFF:
                stream.seek(here + at)
                return
            at = block.find(b"\xff", at + 1)
        carry = block[-1:] if block.endswith(b"\xff") else b""


def _webp_end(stream, start):
    stream.seek(start + 4)
    end = start + 8 + int.from_bytes(_exact(stream, 4), "little")
    end += end & 1  # RIFF pads to an even size
    stream.seek(0, 2)
    if stream.tell() < end - 1:
        raise NotAnImage("truncated")
    return min(end, stream.tell())


def _gif_sub_blocks(stream):
    while True:
        size = _exact(stream, 1)[0]
        if size == 0:
            return
        stream.seek(size, 1)


def _gif_end(stream, start):
    stream.seek(start + 10)
    flags = _exact(stream, 3)[0]
    if flags & 0x80:
        stream.seek(3 * (2 << (flags & 7)), 1)  # global colour table
    while True:
        block = _exact(stream, 1)[0]
        if block == 0x3B:  # trailer
            return stream.tell()
        if block == 0x21:  # extension: its label, then sub-blocks
            _exact(stream, 1)
            _gif_sub_blocks(stream)
        elif block == 0x2C:  # image: descriptor, local colour table, LZW size, sub-blocks
            flags = _exact(stream, 9)[8]
            if flags & 0x80:
                stream.seek(3 * (2 << (flags & 7)), 1)
            _exact(stream, 1)
            _gif_sub_blocks(stream)
        else:
            raise NotAnImage("unknown GIF block")


def image_end(stream):
    """The offset where the image in a seekable binary stream ends by its own structure (a PNG's IEND
    chunk, a JPEG's EOI, a WebP's RIFF size, a GIF's trailer); NotAnImage if the structure breaks or the
    format is none of these."""
    stream.seek(0)
    kind = sniff(stream.read(HEAD_BYTES))
    ends = {"image/png": _png_end, "image/jpeg": _jpeg_end, "image/webp": _webp_end, "image/gif": _gif_end}
    if kind not in ends:
        raise NotAnImage("not an image")
    return ends[kind](stream, 0)


def _appended_pictures_end(stream, end, size):
    """Past further whole JPEG images and padding after a JPEG's end (Multi-Picture Format); where the
    allowed part stops."""
    while end < size:
        stream.seek(end)
        rest = stream.read(min(_READ, size - end))
        if rest.startswith(b"\xff\xd8\xff"):
            try:
                end = _jpeg_end(stream, end)
            except NotAnImage:
                return end
            continue
        padding = len(rest) - len(rest.lstrip(b"\x00\xff"))
        if not padding:
            return end
        end += padding
    return end


def trailing_bytes(stream):
    """How many bytes follow the image in a seekable binary stream (0 for a clean picture; padding and a
    JPEG's further pictures do not count); NotAnImage if its structure breaks."""
    end = image_end(stream)
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    head = stream.read(3)
    if head == b"\xff\xd8\xff":
        end = _appended_pictures_end(stream, end, size)
    stream.seek(0)
    return max(size - end, 0)
