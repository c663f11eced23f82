"""Every message key and field code the code uses has a Chinese and an English text."""
import ast
from pathlib import Path

import pytest

from kepu_common.interfaces import messages

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for d in ("services", "gateway", "kepu_common") for p in (ROOT / d).rglob("*.py")
           if "tests" not in p.parts]
BASE_ERRORS = {"KepuError", "InvalidInput", "Unauthorized", "Forbidden", "NotFound", "Conflict", "TooLarge",
               "UnsupportedMediaType", "RuleBroken", "RateLimited", "Unavailable"}
CODE_CALLS = {"coded", "field_error", "Coded"}


def _name(node):
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _error_classes(trees):
    names = set(BASE_ERRORS)
    changed = True
    while changed:  # subclasses of subclasses, across modules
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and \
                        any(_name(base) in names for base in node.bases):
                    names.add(node.name)
                    changed = True
    return names


def _field_codes(node):
    if not isinstance(node, ast.Dict):
        return
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            yield value.value
        elif isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[0], ast.Constant):
            yield value.elts[0].value


def used_codes():
    trees = {path: ast.parse(path.read_text(), str(path)) for path in SOURCES}
    errors = _error_classes(trees.values())
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name in CODE_CALLS and node.args and isinstance(node.args[0], ast.Constant):
                found.append((node.args[0].value, where))
            if name in errors:
                if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found.append((node.args[0].value, where))
                fields_arg = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "fields"), None)
                found.extend((code, where) for code in _field_codes(fields_arg))
    return found


def test_the_code_uses_message_keys():
    assert len(used_codes()) > 20  # the scan finds the raise sites; an empty scan would prove nothing


@pytest.mark.parametrize("locale", messages.LOCALES)
def test_every_key_in_use_has_a_text(locale):
    missing = sorted({f"{code} ({where})" for code, where in used_codes() if not messages.has(code, locale)})
    assert not missing, f"missing from the {locale} catalogues: " + ", ".join(missing)


def test_both_languages_have_the_same_keys():
    zh, en = set(messages.catalogue("zh_CN")), set(messages.catalogue("en"))
    assert zh - en == set() and en - zh == set()


def test_chinese_is_the_default_and_params_are_filled():
    assert messages.text("too_long", max=50) == "长度不能超过 50。"
    assert messages.text("too_long", "en", max=50) == "Longer than the maximum length 50."
    assert messages.text("no_such_code_anywhere", fallback="invalid") == "格式不正确。"
    assert messages.negotiate("en-US,en;q=0.9") == "en"
    assert messages.negotiate("zh-TW,zh;q=0.9,en;q=0.5") == "zh_CN"
    assert messages.negotiate("fr-FR") == "zh_CN"
    assert messages.negotiate(None) == "zh_CN"
