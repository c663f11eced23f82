"""Mainland China mobile numbers: 11 digits starting 13-19, optionally written with +86."""
import re

from kepu_common.errors import InvalidInput

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize(raw):
    phone = re.sub(r"[\s-]", "", str(raw or ""))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if not _MOBILE.match(phone):
        raise InvalidInput("Enter an 11-digit mainland mobile number.", {"phone": "not a mainland mobile number"})
    return phone


def masked(phone):
    return f"{phone[:3]}****{phone[-4:]}"
