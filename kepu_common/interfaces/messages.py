"""Every text a user sees, in their language: gettext catalogues read with Babel, keyed by code.

Catalogues live in kepu_common/locale/<locale>/LC_MESSAGES/<domain>.po, one domain per area (common,
identity, resources, review, activities, metrics), so translators work with the usual tools (Poedit,
Weblate) and each area keeps its own file. The msgid is a stable code ("phone_registered"), never
English text; the msgstr may hold {name} placeholders filled from the error's params. zh_CN is the
default; a reader who asks for English (Accept-Language: en) gets English. A code missing from a
catalogue falls back to zh_CN, then to the fallback code's text, so a reader never sees a bare code.
"""
import logging
from functools import lru_cache
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"

log = logging.getLogger(__name__)


@lru_cache(maxsize=None)
def catalogue(locale):
    messages = {}
    for path in sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and message.string:
                    if message.id in messages:
                        raise RuntimeError(f"{path}: message {message.id!r} is defined in two catalogues")
                    messages[message.id] = message.string
    return messages


def negotiate(accept_language):
    """The best of our locales for an Accept-Language header; zh_CN when nothing matches."""
    if not accept_language:
        return DEFAULT_LOCALE
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    best = parse_accept_header(accept_language, LanguageAccept).best_match(("zh-CN", "zh", "en"), default="zh-CN")
    return "en" if best.startswith("en") else DEFAULT_LOCALE


class _Params(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def has(code, locale=DEFAULT_LOCALE):
    return code in catalogue(locale)


# params that carry enumeration values (a status, the choices of a field): a reader sees their labels
# (线上、线下、线上线下), never the codes (online, offline, both); the codes stay in the error's params
ENUM_PARAMS = ("choices", "status", "role", "stages", "stage", "channel", "mode")


@lru_cache(maxsize=None)
def _labels_by_value(locale):
    """{value: [(kind, label)]} of every "<kind>.<value>" entry of the locale's catalogue."""
    found = {}
    for key, string in catalogue(locale).items():
        kind, dot, value = key.partition(".")
        if dot and value and kind not in ("ui", "snapshot"):
            found.setdefault(value, []).append((kind, string))
    return found


def readable(name, value, locale=DEFAULT_LOCALE):
    """An enumeration param as a reader reads it: each value ("a、b" or "a, b" for several) by its label.
    Several values take their labels from one kind that labels them all (the choices of one field); one
    value prefers a kind named like the param (role -> role.*, status -> *_status). Values no kind labels
    stay as they are (kepu_common/tests/test_catalogue_rendering.py makes sure every field's choices have one)."""
    if not isinstance(value, str) or not value:
        return value
    separator = "、" if "、" in value else (", " if ", " in value else None)
    items = [item.strip() for item in (value.split(separator) if separator else [value])]
    labels = _labels_by_value(locale)
    kinds = [{kind: string for kind, string in labels.get(item, ())} for item in items]
    common = set(kinds[0]).intersection(*kinds[1:]) if kinds else set()
    if common:
        kind = sorted(common, key=lambda k: (name not in k, k))[0]
        shown = [by_kind[kind] for by_kind in kinds]
    elif len(items) == 1:
        return value
    else:
        shown = items
    return "、".join(shown) if locale == DEFAULT_LOCALE else ", ".join(shown)


def text(code, locale=DEFAULT_LOCALE, fallback=None, **params):
    params = {name: readable(name, value, locale) if name in ENUM_PARAMS else value for name, value in params.items()}
    template = catalogue(locale).get(code) or catalogue(DEFAULT_LOCALE).get(code)
    if template is None:
        log.warning("no catalogue text for %r", code)
        template = catalogue(locale).get(fallback) or catalogue(DEFAULT_LOCALE).get(fallback) if fallback else None
        if template is None:
            return code
    try:
        return Formatter().vformat(template, (), _Params(params))
    except (ValueError, IndexError, KeyError, AttributeError):
        return template


def _no_locale():
    return None


_locale_source = _no_locale


def use_locale_source(source):
    """kepu_common.operations.log_context registers where a service worker keeps its reader's language (messages
    imports nothing of the platform: errors -> messages -> log_context would be a cycle)."""
    global _locale_source
    _locale_source = source


def label(kind, value, locale=None):
    """A display label for an enumeration value: label("org_category", "ministry") -> 有关部委.

    Without a locale, the language of the reader the current service worker answers (the gateway
    passes Accept-Language along), else zh_CN."""
    if locale is None:
        locale = _locale_source() or DEFAULT_LOCALE
    key = f"{kind}.{value}"
    return text(key, locale) if has(key) or has(key, locale) else value
