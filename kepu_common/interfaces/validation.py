"""marshmallow's own messages as stable codes, so every field error can be shown in the reader's language.

marshmallow formats its messages from class attributes (Field.default_error_messages, the validators'
message templates), which it documents as the place to customise them. Here each template becomes a
Coded string: a str whose value is a stable code and which keeps the format() arguments as params,
so a ValidationError's messages carry codes instead of English prose. The catalogues
(kepu_common/locale) turn a code and its params into text.
"""
import math
import re
from importlib.metadata import version

from marshmallow import Schema, ValidationError, fields, validate

SUPPORTED_MARSHMALLOW = "4."
_DROPPED_PARAMS = {"input", "labels", "min_op", "max_op"}  # never echo hostile input back


class Coded(str):
    """A message that is a code: str(coded) == code; format() keeps its arguments as params."""

    def __new__(cls, code, **params):
        obj = super().__new__(cls, code)
        obj.code = code
        obj.params = params
        return obj

    def format(self, *args, **kwargs):
        return Coded(self.code, **{**self.params, **kwargs})

    def __reduce__(self):
        return (str, (str(self),))


def coded(code, **params):
    """A field error message with a stable code: ValidationError(coded("sms_code_format"))."""
    return Coded(code, **params)


# CR, LF and the other control characters (C0, DEL, C1, the Unicode line and paragraph separators) have no
# place in a name or a one-line field: they break listings, exports (CSV, iCalendar), review screens and the SMS
# templates a name is put into. A service refuses them itself: it does not trust its RPC callers.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# a multi-line text (a comment, a description) keeps its line breaks and tabs, and refuses the rest
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(value):
    """A marshmallow validator: no control character at all."""
    if CONTROL.search(value):
        raise ValidationError(coded("control_character_refused"))


def plain_text(value):
    """A marshmallow validator: line breaks and tabs, no other control character."""
    if CONTROL_IN_TEXT.search(value):
        raise ValidationError(coded("control_character_refused"))


def field_error(code, field=None, **params):
    message = Coded(code, **params)
    return ValidationError({field: [message]} if field else message)


# field class -> {marshmallow key: code}; keys not listed use _BY_KEY, then "invalid"
_BY_FIELD = {
    fields.String: {"invalid": "not_a_string", "invalid_utf8": "not_a_string"},
    fields.Number: {"invalid": "not_a_number", "too_large": "number_too_large"},
    fields.Integer: {"invalid": "not_an_integer", "too_large": "number_too_large"},
    fields.Float: {"special": "number_not_finite"},
    fields.Decimal: {"special": "number_not_finite"},
    fields.Boolean: {"invalid": "not_a_boolean"},
    fields.UUID: {"invalid_uuid": "not_a_uuid"},
    fields.DateTime: {"invalid": "not_a_datetime", "format": "not_a_datetime",
                      "invalid_awareness": "datetime_needs_timezone"},
    fields.Date: {"invalid": "not_a_date", "format": "not_a_date"},
    fields.Time: {"invalid": "not_a_time", "format": "not_a_time"},
    fields.TimeDelta: {"invalid": "not_a_duration", "format": "not_a_duration"},
    fields.List: {"invalid": "not_a_list"},
    fields.Tuple: {"invalid": "not_a_list"},
    fields.Mapping: {"invalid": "not_an_object"},
    fields.Nested: {"type": "not_an_object"},
    fields.Url: {"invalid": "not_a_url"},
    fields.Email: {"invalid": "not_an_email"},
    fields.IP: {"invalid_ip": "not_an_ip"},
    fields.Enum: {"unknown": "not_one_of"},
}
_BY_KEY = {"required": "required", "null": "null", "validator_failed": "invalid", "type": "not_an_object"}

_VALIDATORS = {
    validate.Length: {"message_min": "too_short", "message_max": "too_long", "message_all": "length_between",
                      "message_equal": "length_equal"},
    validate.Range: {"message_min": "too_small", "message_max": "too_big", "message_all": "out_of_range"},
    validate.OneOf: {"default_message": "not_one_of"},
    validate.NoneOf: {"default_message": "invalid_choice"},
    validate.ContainsOnly: {"default_message": "not_one_of"},
    validate.ContainsNoneOf: {"default_message": "invalid_choice"},
    validate.Regexp: {"default_message": "invalid_format"},
    validate.URL: {"default_message": "not_a_url"},
    validate.Email: {"default_message": "not_an_email"},
    validate.Equal: {"default_message": "not_equal"},
    validate.Predicate: {"default_message": "invalid"},
}


def _field_classes():
    for name in dir(fields):
        value = getattr(fields, name)
        if isinstance(value, type) and issubclass(value, fields.Field):
            yield value


def install():
    """Replace marshmallow's English templates with codes. Fails loudly on a marshmallow it was not made for."""
    installed = version("marshmallow")
    if not installed.startswith(SUPPORTED_MARSHMALLOW):
        raise RuntimeError(f"kepu_common.interfaces.validation codes marshmallow {SUPPORTED_MARSHMALLOW}x messages; "
                           f"marshmallow {installed} is installed: check its message attributes and update _BY_FIELD")
    for cls in _field_classes():
        # every class gets its own coded dict: an inherited template (Date's "Not a valid {obj_type}.") must
        # become the code of the class that uses it (not_a_date), not of the class that defined it
        keys, codes = set(), {}
        for klass in cls.__mro__:
            keys |= set(klass.__dict__.get("default_error_messages") or ())
            codes = {**_BY_FIELD.get(klass, {}), **codes}
        if keys:
            cls.default_error_messages = {key: Coded(codes.get(key) or _BY_KEY.get(key, "invalid")) for key in keys}
    for cls, attributes in _VALIDATORS.items():
        for attribute, code in attributes.items():
            if not isinstance(getattr(cls, attribute, None), str):
                raise RuntimeError(f"marshmallow {installed}: {cls.__name__}.{attribute} is gone; "
                                   "kepu_common.interfaces.validation must be updated")
            setattr(cls, attribute, Coded(code))
    if set(Schema._default_error_messages) != {"type", "unknown"}:
        raise RuntimeError(f"marshmallow {installed}: Schema._default_error_messages changed; update kepu_common.interfaces.validation")
    Schema._default_error_messages = {"type": Coded("not_an_object"), "unknown": Coded("unknown_field")}


def _safe(value):
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(item) for item in value)
    return str(value)[:200]


def message_code(message):
    """(code, params) of one message: a Coded, a {"code", "params"} dict, or plain text (code "invalid")."""
    if isinstance(message, Coded):
        return message.code, {k: _safe(v) for k, v in message.params.items()
                              if k not in _DROPPED_PARAMS and v is not None}
    if isinstance(message, dict) and "code" in message:
        return message["code"], dict(message.get("params") or {})
    if isinstance(message, (tuple, list)) and len(message) == 2 and isinstance(message[1], dict):
        return str(message[0]), {k: _safe(v) for k, v in message[1].items()}
    return str(message), {}


def field_errors(messages, prefix=""):
    """marshmallow's nested messages -> {"a.b.0": {"code", "params"}} (the first error of each field)."""
    flat = {}
    if not isinstance(messages, dict):
        code, params = message_code(messages[0] if isinstance(messages, list) and messages else messages)
        flat[prefix or "_schema"] = {"code": code, "params": params}
        return flat
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and not ("code" in value and set(value) <= {"code", "params"}):
            flat.update(field_errors(value, path))
        elif isinstance(value, list) and value and isinstance(value[0], dict) and "code" not in value[0]:
            flat.update(field_errors(value[0], path))
        else:
            code, params = message_code(value[0] if isinstance(value, list) and value else value)
            flat[path] = {"code": code, "params": params}
    return flat


install()


# Links people type in (an activity's reservation page, follow-up media links): http(s) only, no control
# characters (a CR/LF would split a header or a CSV row wherever the link travels), no credentials, and no
# host that names this machine or its network (loopback, link-local such as the cloud metadata address
# 169.254.169.254, private, unspecified, multicast, including the legacy forms 127.1 and 2130706433), so
# nothing that ever fetches a stored link can be pointed inward (server-side request forgery).
_LINK_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")


def _inward_address(host):
    import ipaddress
    import socket

    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        if not re.fullmatch(r"[0-9a-fx.]+", candidate) or not any(c.isdigit() for c in candidate):
            return False  # a name: refused below only when it is a local one
        try:  # what a browser or libc makes of 127.1, 0x7f.0.0.1, 2130706433
            address = ipaddress.IPv4Address(socket.inet_aton(candidate))
        except (OSError, ValueError):
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def web_link(value):
    """The link normalized (scheme and host in lower case, no surrounding space), or None when it is not
    an http(s) link to a public host."""
    from urllib.parse import urlsplit, urlunsplit

    if not isinstance(value, str):
        return None
    value = value.strip(" ")
    if not value or _LINK_CONTROL.search(value):
        return None
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username is not None or "@" in parts.netloc:
        return None
    if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES) or "." not in host and ":" not in host:
        return None  # a bare name resolves inside the network it is fetched from
    if _inward_address(f"[{host}]" if ":" in host else host):
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
