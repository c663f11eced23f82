"""Token signing keys: Ed25519, private key for identity (which issues tokens), public key for the gateway."""
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRIVATE_NAME = "jwt-private.pem"
PUBLIC_NAME = "jwt-public.pem"


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
    """Write a key pair into directory unless one is there; returns (private_path, public_path)."""
    directory = Path(directory)
    private_path, public_path = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    if not private_path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        private, public = generate_pair()
        private_path.write_text(private)
        private_path.chmod(0o600)
        public_path.write_text(public)
    return private_path, public_path
