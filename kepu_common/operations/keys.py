"""Token signing keys: Ed25519, private key for identity (which issues tokens), public key for the gateway."""
import base64
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRIVATE_NAME = "jwt-private.pem"
PUBLIC_NAME = "jwt-public.pem"
SECRET_NAME = "identity-secret.key"  # HMAC key for SMS codes and ID numbers, base64
REVIEW_UI_SECRET_NAME = "review-ui-secret.key"  # signs the review UI's session cookies
SHARE_SECRET_NAME = "share-secret.key"  # signs share ids, for the gateway and metrics (services/metrics/contracts.py)
MALL_SECRET_NAME = "mall-secret.key"  # seals the mall's delivery details, metrics only (services/metrics/mall_vault.py)


def generate_pair():
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


def ensure_pair(directory):
    """Write a key pair (and identity's secret key) into directory unless there; returns (private, public) paths."""
    directory = Path(directory)
    private_path, public_path = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    directory.mkdir(parents=True, exist_ok=True)
    if not private_path.exists():
        private, public = generate_pair()
        private_path.write_text(private)
        private_path.chmod(0o600)
        public_path.write_text(public)
    for name in (SECRET_NAME, REVIEW_UI_SECRET_NAME, SHARE_SECRET_NAME, MALL_SECRET_NAME):
        secret_path = directory / name
        if not secret_path.exists():
            secret_path.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
            secret_path.chmod(0o600)
    return private_path, public_path
