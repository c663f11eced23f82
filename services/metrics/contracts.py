"""Code the metrics service and the gateway share across the boundary (the import boundary,
kepu_common/tests/test_import_contracts.py): signed share ids, stdlib only.

Share ids the gateway verifies by itself: the share's uuid, its return deadline and an HMAC over them and
the sharer's user id, with a key the gateway and the metrics service share (var/keys/share-secret.key).
A return then needs no RPC: the gateway proves the share exists, belongs to the caller and is inside its
window, and publishes the return. Pure apart from reading and creating the key file (load_key).
"""
import base64
import hashlib
import hmac
import os
import secrets
import uuid
from datetime import datetime, timezone
from pathlib import Path

SHARE_KEY_NAME = "share-secret.key"
_MAC_BYTES = 16


class UnknownShare(Exception):
    """Malformed, forged, or someone else's: all look the same from outside (404)."""


class ShareExpired(Exception):
    def __init__(self, share_uuid, expires_at):
        super().__init__(f"share {share_uuid} could be returned until {expires_at.isoformat()}")
        self.share_uuid = share_uuid
        self.expires_at = expires_at


def _mac(key, share_uuid, user_id, expires):
    message = f"{share_uuid.hex}.{user_id}.{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def make_share_id(key, share_uuid, user_id, expires_at):
    expires = int(expires_at.timestamp())
    mac = base64.urlsafe_b64encode(_mac(key, share_uuid, str(user_id), expires)).rstrip(b"=").decode()
    return f"{share_uuid.hex}.{expires}.{mac}"


def verify_share_id(key, share_id, user_id, now):
    """The share's uuid when share_id is the caller's and still open; raises UnknownShare or ShareExpired."""
    try:
        hex_uuid, expires_text, mac_text = share_id.split(".")
        share_uuid = uuid.UUID(hex=hex_uuid)
        expires = int(expires_text)
        mac = base64.urlsafe_b64decode(mac_text + "=" * (-len(mac_text) % 4))
    except (ValueError, AttributeError):
        raise UnknownShare(share_id) from None
    if not hmac.compare_digest(mac, _mac(key, share_uuid, str(user_id), expires)):
        raise UnknownShare(share_id)
    expires_at = datetime.fromtimestamp(expires, timezone.utc)
    if now > expires_at:
        raise ShareExpired(share_uuid, expires_at)
    return share_uuid


def load_key(path):
    """The shared key, made (once, atomically) when absent: gateway and metrics on one machine meet at it.

    In a cluster the file is a mounted secret (deploy/k8s)."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # fails if another process made it first: theirs wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = base64.b64decode(path.read_text().strip())
    if len(key) < 32:
        raise ValueError(f"{path}: the share key must hold at least 32 bytes (base64)")
    return key
