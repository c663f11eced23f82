"""Mainland China mobile numbers: 11 digits starting 13-19, optionally written with +86 (any digits)."""
import re

from kepu_common.interfaces.errors import InvalidInput
from services.identity.contracts import ascii_digits

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def normalize(raw, field="phone"):
    phone = re.sub(r"[\s\-()]", "", ascii_digits(raw))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if not _MOBILE.match(phone):
        raise InvalidInput("phone_invalid", {field: "phone_invalid"})
    return phone


def masked(phone):
    return f"{phone[:3]}****{phone[-4:]}"
