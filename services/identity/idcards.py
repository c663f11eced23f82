"""Resident ID numbers (GB 11643-1999): checked, then kept only as a keyed HMAC (for uniqueness), an
AES-GCM ciphertext (recoverable by the service alone) and a masked form for display.

The key space is small (a region, a birth date, a sequence number), so a plain hash would be reversed
by enumeration: both keys are derived from identity's secret with HKDF.
"""
import hashlib
import hmac
import os
from datetime import date, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kepu_common.interfaces.clock import SHANGHAI
from kepu_common.interfaces.errors import InvalidInput
from services.identity.contracts import ascii_digits, is_ascii_digits

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# the first two digits: provinces as numbered by GB/T 2260 (regions 11-65, Taiwan 71, HK 81, Macao 82)
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53,
              54, 61, 62, 63, 64, 65, 71, 81, 82}


def _invalid(code):
    return InvalidInput("id_number_invalid", {"id_number": code})


def normalize(raw, today=None):
    """The 18-character number with an upper-case X (whatever digits it was typed with), or InvalidInput
    naming what is wrong: id_format, id_province, id_birth_date, id_birth_implausible, id_checksum."""
    number = ascii_digits(raw).strip().upper()
    if len(number) != 18 or not is_ascii_digits(number[:17]) or not (is_ascii_digits(number[17]) or number[17] == "X"):
        raise _invalid("id_format")
    if int(number[:2]) not in _PROVINCES:
        raise _invalid("id_province")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _invalid("id_birth_date") from None
    today = today or datetime.now(SHANGHAI).date()  # a birth date is a date in China
    if not (date(1900, 1, 1) <= born <= today):
        raise _invalid("id_birth_implausible")
    if _CHECK[sum(int(d) * w for d, w in zip(number, _WEIGHTS)) % 11] != number[17]:
        raise _invalid("id_checksum")
    return number


def mask(number):
    return f"{number[:4]}{'*' * 10}{number[-4:]}"


class IdVault:
    def __init__(self, secret):
        def derive(purpose):
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)

        self._hmac_key = derive(b"kepu id-number hmac")
        self._aead = AESGCM(derive(b"kepu id-number encryption"))

    def lookup_key(self, number):
        return hmac.new(self._hmac_key, number.encode(), hashlib.sha256).digest()

    def seal(self, number, user_id):
        nonce = os.urandom(12)
        # bound to the user: a ciphertext copied to another row does not decrypt
        return nonce + self._aead.encrypt(nonce, number.encode(), str(user_id).encode())

    def open(self, sealed, user_id):
        sealed = bytes(sealed)
        return self._aead.decrypt(sealed[:12], sealed[12:], str(user_id).encode()).decode()
