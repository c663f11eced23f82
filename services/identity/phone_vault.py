"""Phones at rest, as ID numbers are kept (idcards.IdVault): a keyed HMAC to find an account by its phone, an
AES-GCM ciphertext bound to its row for the few readers that need the number (the owner, the SMS sender), and
the masked form (138****8000) for everyone else. A mobile number has about 10^9 values, so a plain hash would be
reversed by enumeration: both keys come from identity's secret through HKDF, with their own labels.

Rate-limit keys use `rate_key` (the HMAC's first 16 bytes in hex): counters name no phone either.
"""
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.identity.phones import masked


class PhoneVault:
    def __init__(self, secret):
        def derive(purpose):
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)

        self._hmac_key = derive(b"kepu phone hmac")
        self._aead = AESGCM(derive(b"kepu phone encryption"))

    def lookup_key(self, phone):
        return hmac.new(self._hmac_key, phone.encode(), hashlib.sha256).digest()

    def rate_key(self, phone):
        return self.lookup_key(phone)[:16].hex()

    def source_key(self, address):
        """A client's address as the sign-in policy remembers it (known_sources): keyed, not in clear."""
        return hmac.new(self._hmac_key, f"source:{address}".encode(), hashlib.sha256).digest()[:16]

    def seal(self, phone, row_id):
        nonce = os.urandom(12)
        # bound to its row (a user's or an organization's id): a ciphertext copied to another row does not open
        return nonce + self._aead.encrypt(nonce, phone.encode(), str(row_id).encode())

    def open(self, sealed, row_id):
        sealed = bytes(sealed)
        return self._aead.decrypt(sealed[:12], sealed[12:], str(row_id).encode()).decode()

    def columns(self, phone, row_id):
        """(lookup, sealed, masked) for a row's three phone columns."""
        return self.lookup_key(phone), self.seal(phone, row_id), masked(phone)
