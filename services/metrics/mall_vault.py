"""Delivery details sealed at rest, as identity seals ID numbers (services/identity/idcards.py): AES-GCM with a
key derived by HKDF from the metrics service's own secret (METRICS.mall_key_file, var/keys/mall-secret.key),
each ciphertext bound to its redemption so a sealed value copied to another row does not open."""
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_NAME = "mall-secret.key"


class DeliveryVault:
    def __init__(self, secret):
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"kepu mall delivery encryption").derive(secret)
        self._aead = AESGCM(key)

    def seal(self, details, redemption_id):
        nonce = os.urandom(12)
        plain = json.dumps(details, ensure_ascii=False, sort_keys=True).encode()
        return nonce + self._aead.encrypt(nonce, plain, str(redemption_id).encode())

    def open(self, sealed, redemption_id):
        sealed = bytes(sealed)
        return json.loads(self._aead.decrypt(sealed[:12], sealed[12:], str(redemption_id).encode()))
