"""Virus scanning through ClamAV's daemon (clamd), where configured (RESOURCES clamd_address: "host:port",
or a Unix socket path; empty: no scanning). A completed upload's object is streamed to clamd (INSTREAM)
before the upload is accepted:

- found infected: refused (FileInfected, 422 file_infected, the signature named), the object moved to
  quarantine/<upload id> in the same bucket for the platform admins, the upload rejected;
- the scanner down or not answering: the upload is held, never passed unscanned: 503
  virus_scanner_unavailable, the upload stays pending and completing it again once the scanner answers
  scans it (until the upload expires).

The protocol is clamd's own (null-terminated commands, INSTREAM chunks with a 4-byte length); no client
library is kept up for it (clamd, pyclamd: last released years ago), and it is these few lines.
"""
import socket
import struct

from kepu_common.interfaces.errors import KepuError, Unavailable
from kepu_common.data.storage import translated

CHUNK = 1024 * 1024
QUARANTINE_PREFIX = "quarantine/"


class FileInfected(KepuError):
    status, code = 422, "file_infected"


def scanner_unavailable(exc):
    return Unavailable("virus_scanner_unavailable", details={"dependency": "virus_scanner", "reason": str(exc)[:300],
                                                             "retry_after": 30})


class Scanner:
    def __init__(self, address, timeout=120.0):
        self.address = address
        self.timeout = timeout

    def _connect(self):
        if ":" in self.address and not self.address.startswith("/"):
            host, port = self.address.rsplit(":", 1)
            return socket.create_connection((host, int(port)), timeout=self.timeout)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.address)
        return sock

    @staticmethod
    def _reply(sock):
        reply = b""
        while not reply.endswith(b"\0"):
            data = sock.recv(4096)
            if not data:
                break
            reply += data
        return reply.rstrip(b"\0").decode("utf-8", "replace")

    def ping(self):
        try:
            with self._connect() as sock:
                sock.sendall(b"zPING\0")
                return self._reply(sock) == "PONG"
        except OSError:
            return False

    def scan(self, chunks):
        """None when clean, else the signature found; Unavailable when the scanner cannot say."""
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                for chunk in chunks:
                    for start in range(0, len(chunk), CHUNK):
                        piece = chunk[start:start + CHUNK]
                        sock.sendall(struct.pack("!L", len(piece)) + piece)
                sock.sendall(struct.pack("!L", 0))
                reply = self._reply(sock)
        except OSError as exc:
            raise scanner_unavailable(exc) from exc
        if reply.endswith(" FOUND"):
            return reply[len("stream: "):-len(" FOUND")] if reply.startswith("stream: ") else reply[:-len(" FOUND")]
        if reply.endswith(" OK"):
            return None
        raise scanner_unavailable(reply or "no answer")  # e.g. "INSTREAM size limit exceeded. ERROR"


def check(scanner, storage, bucket, key, upload_id):
    """Scan the stored object; an infected one is copied to quarantine and FileInfected raised (the
    caller removes the upload's objects and rejects it)."""
    response = storage.open(bucket, key)
    try:
        with translated(bucket):
            found = scanner.scan(response.stream(CHUNK))
    finally:
        response.close()
        response.release_conn()
    if found is None:
        return
    quarantine(storage, bucket, key, upload_id)
    raise FileInfected("file_infected", {"file": "virus_found"}, details={"signature": found}, signature=found)


def quarantine(storage, bucket, key, upload_id):
    from minio.commonconfig import CopySource

    with translated(bucket):
        storage.client.copy_object(bucket, QUARANTINE_PREFIX + str(upload_id), CopySource(bucket, key))
