"""Real small media made in memory, so the resources service's probes (image decoding, PDF parsing, video and
audio containers read for their duration) accept them: Pillow images, a minimal valid PDF, a 2-second video
and a 2-second audio clip encoded with PyAV. Each returns (bytes, content type)."""
import hashlib
import io
import math

from PIL import Image, ImageDraw

from kepu_common.devtools import text_pictures

COLOURS = [(32, 96, 160), (200, 80, 60), (60, 150, 90), (220, 160, 40), (120, 80, 170)]


def _seed(title):
    return int(hashlib.md5(title.encode()).hexdigest()[:8], 16)


def picture(title, size=(1200, 800), kind="PNG"):
    """A poster-like picture: bars and a title hash (the default font has no Chinese glyphs)."""
    colour = COLOURS[_seed(title) % len(COLOURS)]
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    for n in range(0, size[0], 80):
        draw.rectangle([n, size[1] - 160 - (n * 7 + _seed(title)) % 300, n + 60, size[1] - 100], fill=(255, 255, 255))
    draw.text((50, 50), f"KEPU {hashlib.md5(title.encode()).hexdigest()[:12]}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, kind, **({"quality": 85} if kind == "JPEG" else {}))
    return out.getvalue(), "image/jpeg" if kind == "JPEG" else "image/png"


def poster(lines, size=(1080, 1920)):
    """An activity's poster as JPEG with lines [(text, point size)], so the poster pre-check has text to read;
    without a CJK font installed, a picture without text."""
    if text_pictures.cjk_font() is None:
        return picture(lines[0][0] if lines else "poster", size, "JPEG")
    return text_pictures.poster(lines, size), "image/jpeg"


def pdf(title):
    """A one-page PDF with a valid cross-reference table (the platform parses it)."""
    text = f"Kepu demo {hashlib.md5(title.encode()).hexdigest()[:8]}"
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue(), "application/pdf"


def video(title, seconds=2, fps=12, size=(160, 90)):
    """An MP4 (MPEG-4 part 2) of moving colour bars, a few KB."""
    import av

    base = _seed(title)
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as muxer:
        stream = muxer.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for index in range(seconds * fps):
            image = Image.new("RGB", size, COLOURS[base % len(COLOURS)])
            left = index * 4 % size[0]
            ImageDraw.Draw(image).rectangle([left, 20, left + 30, 70], fill=(255, 255, 255))
            for packet in stream.encode(av.VideoFrame.from_image(image).reformat(format="yuv420p")):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)
    return out.getvalue(), "video/mp4"


def audio(title, seconds=2.0, rate=16000):
    """An M4A (AAC) tone whose pitch depends on the title."""
    import av

    pitch = 330 + _seed(title) % 330
    out = io.BytesIO()
    with av.open(out, "w", format="ipod") as muxer:  # the M4A brand: sniffed as audio, not video
        stream = muxer.add_stream("aac", rate=rate)
        stream.layout = "mono"
        samples = int(seconds * rate)
        for start in range(0, samples, 1024):
            count = min(1024, samples - start)
            frame = av.AudioFrame(format="s16", layout="mono", samples=count)
            tone = b"".join(int(8000 * math.sin(2 * math.pi * pitch * (start + i) / rate))
                            .to_bytes(2, "little", signed=True) for i in range(count))
            frame.planes[0].update(tone + bytes(frame.planes[0].buffer_size - len(tone)))
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode(None):
            muxer.mux(packet)
    return out.getvalue(), "audio/mp4"
