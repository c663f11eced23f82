"""A resources service against real RabbitMQ, PostgreSQL and the local S3 endpoint, with two organizations
whose admins arrive the way they do in production: identity's role and organization events."""
import hashlib
import io
import uuid

import psycopg2
import pytest
import requests
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from PIL import Image

from kepu_common.interfaces.contracts import make_event
from kepu_common.data.storage import Storage
from kepu_common.devtools.testing import publish_events
from services.resources.service import ResourcesService

MB = 1024 * 1024
ORG_A, ORG_B = str(uuid.uuid4()), str(uuid.uuid4())
ADMIN_A, ADMIN_B, PLATFORM_ADMIN, NOBODY = (str(uuid.uuid4()) for _ in range(4))
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42"


def png_bytes(width=1200, height=800):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def video_bytes(seconds=2, fps=10, container="mp4", codec="mpeg4", size=(64, 48)):
    """A real, tiny video of `seconds`, encoded with PyAV (a few KB)."""
    import av

    out = io.BytesIO()
    with av.open(out, "w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for index in range(seconds * fps):
            frame = av.VideoFrame(size[0], size[1], "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([index * 10 % 256]) * plane.buffer_size)
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)
    return out.getvalue()


def video_of_size(size, seconds=2):
    """A real tiny video grown to exactly `size` bytes with an MP4 `free` box (players and FFmpeg skip it):
    for uploads that need several parts or a given size."""
    data = video_bytes(seconds=seconds)
    padding = size - len(data)
    assert padding >= 8, "too small for a real video"
    return data + padding.to_bytes(4, "big") + b"free" + bytes(padding - 8)


def pdf_bytes(pages=1, size=(595, 842)):
    """A real PDF (A4 by default), made with PDFium."""
    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        document.new_page(*size)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_bytes(extra=(), without=()):
    """A minimal Word document (the parts Word needs), with extra (name, bytes) entries."""
    import zipfile

    parts = {"[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                    b'package/2006/content-types"/>',
             "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
             "word/document.xml": '<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>雾霾的成因</w:t>'
                                  '</w:r></w:p></w:body></w:document>'.encode()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in list(parts.items()) + list(extra):
            if name not in without:
                archive.writestr(name, content)
    return out.getvalue()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def publish(container, amqp_uri, event_type, handler, **fields):
    with entrypoint_waiter(container, handler):
        publish_events(amqp_uri, [make_event(event_type, "identity", **fields)])


def sql(container, statement, args=()):
    with psycopg2.connect(container.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(statement, args)
        return cur.fetchall() if cur.description else None


@pytest.fixture
def resources(start_service, amqp_uri):
    container = start_service(ResourcesService, RESOURCES={"part_size_mb": 5, "size_limits_mb": {"image": 2}})
    for org_id, name in ((ORG_A, "中国气象局气象宣传与科普中心"), (ORG_B, "北京市朝阳区科学技术协会")):
        publish(container, amqp_uri, "org_registered", "on_org_registered", org_id=org_id, registrant_id=ADMIN_A,
                name=name, category="ministry", region_code="110105")
    for user_id, role, scope in ((ADMIN_A, "org_admin", ORG_A), (ADMIN_B, "org_admin", ORG_B),
                                 (PLATFORM_ADMIN, "platform_admin", "")):
        publish(container, amqp_uri, "role_granted", "on_role_granted", user_id=user_id, role=role, scope=scope,
                actor_id=None)
    return container


@pytest.fixture
def storage(resources):
    return Storage.from_config(resources.config["STORAGE"])


def objects(storage, prefix=""):
    return [o.object_name for o in storage.client.list_objects(storage.bucket("resources"), prefix=prefix,
                                                               recursive=True)]


def upload_form(data, purpose="video", content_type="video/mp4", filename="雾霾的成因.mp4", **changes):
    form = {"purpose": purpose, "filename": filename, "size": len(data), "content_type": content_type,
            "sha256": sha256(data)}
    form.update(changes)
    return form


def send_parts(upload, data, only=None):
    """PUT each part to its presigned URL, as a browser or app would."""
    offset = 0
    for part in upload["parts"]:
        chunk = data[offset:offset + part["size"]]
        offset += part["size"]
        if only is None or part["part_number"] in only:
            response = requests.put(part["url"], data=chunk, timeout=30)
            assert response.status_code == 200, response.text


def uploaded(container, data, user=ADMIN_A, **form):
    """A finished multipart upload."""
    upload = call(container, "start_upload", user, upload_form(data, **form))
    send_parts(upload, data)
    return call(container, "complete_upload", user, upload["id"])


def streamed(container, storage, data, user=ADMIN_A, **form):
    """A finished upload the way the gateway streams one."""
    upload = call(container, "start_upload", user, upload_form(data, method="stream", **form))
    target = call(container, "stream_target", user, upload["id"])
    storage.put_stream(target["bucket"], target["key"], io.BytesIO(data), len(data))
    received = {"size": len(data), "sha256": sha256(data), "object_key": target["key"]}
    return call(container, "complete_upload", user, upload["id"], {"received": received})
