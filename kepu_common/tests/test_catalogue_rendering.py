"""Every message a person can be shown renders whole in both languages: each catalogue entry a raise site
uses, rendered with exactly the params that raise site passes (found by reading the code), leaves no
unfilled {placeholder}; Chinese text holds no raw code or English word (a MIME type, a header, a field
name); enumeration params (a status, a field's choices) show their labels, never the codes."""
import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from marshmallow import Schema, validate

from kepu_common.interfaces.messages import ENUM_PARAMS, LOCALES, catalogue, text

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for d in ("services", "gateway", "kepu_common") for p in (ROOT / d).rglob("*.py")
           if "tests" not in p.parts]
ERRORS = {"KepuError", "InvalidInput", "Unauthorized", "Forbidden", "NotFound", "Conflict", "TooLarge",
          "UnsupportedMediaType", "RuleBroken", "RateLimited", "Unavailable", "LengthRequired", "UploadInterrupted",
          "Busy", "Gone", "PreconditionFailed", "BadRequest"}
# words a Chinese reader meets as they are: acronyms and names of formats, and the web's URL schemes
ALLOWED_WORDS = {"JSON", "PDF", "PNG", "JPEG", "WebP", "GIF", "MB", "KB", "GB", "ID", "IP", "ISO", "UUID", "UTF-8",
                 "SHA-256", "GB/T", "NUL", "X", "Unicode", "Word", "docx", "http", "https", "CSV", "URL", "MP4",
                 "MOV", "WebM", "MP3", "APP", "T09", "QQ"}


def _name(func):
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _field_codes(node):
    """(code, {param names}) of each field of a literal {field: code or (code, {params})} dict."""
    if not isinstance(node, ast.Dict):
        return []
    found = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.append((value.value, set()))
        elif isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[0], ast.Constant):
            params = value.elts[1] if len(value.elts) > 1 else None
            keys = {k.value for k in params.keys if isinstance(k, ast.Constant)} if isinstance(params, ast.Dict) else set()
            found.append((value.elts[0].value, keys))
    return found


def raise_sites():
    """[(file:line, code, {param names})] of every error built with a literal message or field code."""
    sites = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node.func) in ERRORS):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            keywords = {k.arg for k in node.keywords if k.arg and k.arg not in ("fields", "details", "message")}
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                sites.append((where, node.args[0].value, keywords))
            fields_node = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "fields"), None)
            sites.extend((where, code, params) for code, params in _field_codes(fields_node))
    return sites


SITES = raise_sites()


def test_the_code_reading_finds_the_raise_sites():
    codes = {code for _, code, _ in SITES}
    assert len(SITES) > 250 and {"not_enough_points", "out_of_stock", "township_outside_region"} <= codes


@pytest.mark.parametrize("locale", LOCALES)
def test_every_raise_site_renders_its_message_whole(locale):
    unfilled = []
    for where, code, params in SITES:
        if code not in catalogue(locale):
            continue  # a code that is not a catalogue key (a value passed through): nothing to render
        rendered = text(code, locale, **{name: "7" for name in params})
        if re.search(r"\{[A-Za-z_][A-Za-z0-9_]*\}", rendered):
            unfilled.append((where, code, sorted(params), rendered))
    assert unfilled == []


def test_no_raise_site_passes_a_param_text_itself_takes():
    """text(code, locale, fallback, **params): a param named code, locale or fallback cannot be rendered
    (a 500 where a 400 was meant)."""
    reserved = [(where, code, sorted(params & {"code", "locale", "fallback"})) for where, code, params in SITES
                if params & {"code", "locale", "fallback"}]
    assert reserved == []


def english_words(string):
    return [word for word in re.findall(r"[A-Za-z][A-Za-z0-9_./\-<>]*", re.sub(r"\{[^}]*\}", "", string))
            if word not in ALLOWED_WORDS]


def one_of_fields():
    """(schema, field, choices) of every field with a fixed set of choices, in every service's contract."""
    found = []
    for service in ("identity", "resources", "activities", "review", "metrics"):
        module = importlib.import_module(f"services.{service}.schemas")
        for name, schema in vars(module).items():
            if inspect.isclass(schema) and issubclass(schema, Schema) and schema.__module__ == module.__name__:
                for field_name, field in schema._declared_fields.items():
                    found.extend((f"{service}.{name}", field_name, v.choices) for v in field.validators
                                 if isinstance(v, validate.OneOf))
    return found


def test_every_fields_choices_read_as_labels_in_chinese():
    """「须为以下之一：线上、线下、线上线下」, never 「online, offline, both」: each field's choices have labels of one kind."""
    fields = one_of_fields()
    assert len(fields) > 20
    raw = {(schema, name): text("not_one_of", "zh_CN", choices="、".join(map(str, choices)))
           for schema, name, choices in fields}
    assert {key: rendered for key, rendered in raw.items() if english_words(rendered)} == {}


def test_chinese_text_holds_no_raw_code_or_english_word():
    raw = {}
    for code, string in catalogue("zh_CN").items():
        if code.startswith(("ui.", "snapshot.")) or not re.search(r"[\u4e00-\u9fff]", string):
            continue
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_./\-<>]*", re.sub(r"\{[^}]*\}", "", string)):
            word = word.rstrip(".:")
            if word not in ALLOWED_WORDS:
                raw.setdefault(code, []).append(word)
    assert raw == {}


@pytest.mark.parametrize("params,absent", [
    ({"choices": "online、offline、both"}, ("online", "offline", "both")),
    ({"status": "fulfilled"}, ("fulfilled",)),
    ({"role": "reviewer"}, ("reviewer",)),
])
def test_enumeration_params_show_their_labels(params, absent):
    for code, string in catalogue("zh_CN").items():
        if "{" + next(iter(params)) + "}" in string:
            rendered = text(code, "zh_CN", **params)
            assert not any(word in rendered for word in absent), (code, rendered)
    assert set(params) <= set(ENUM_PARAMS)


def test_the_issues_examples_render_whole():
    assert text("not_enough_points", "zh_CN", balance=49, needed=50) == "积分不足：现有 49 分，需要 50 分。"
    assert "Bearer" not in text("sign_in_first") and "application/json" not in text("json_required")
    assert "修改" not in text("activity_not_yours").split("查看")[0]  # reading is refused as reading too
