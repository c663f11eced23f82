"""Every notification kind reads in both languages with nothing left unfilled, and its SMS is one a carrier
accepts (signature, registered variables, one 70-character message)."""
import re

import pytest

from kepu_common.interfaces.messages import catalogue
from services.identity.notifications import kinds, sms_templates, texts

PLACEHOLDER = re.compile(r"\{\w*\}|\$\{")
LOCALES = ("zh_CN", "en")


def sample(kind, value="样例"):
    params = {name: f"{value}{i}" for i, name in enumerate(kind.params)}
    params[kind.target_param or "unused"] = "0b9f7c3e-1111-4222-8333-444455556666"
    if "role_label" in kind.params:
        params["role"] = "street_admin"
    return params


@pytest.mark.parametrize("name", kinds.NAMES)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_renders_in_both_languages_with_no_unfilled_placeholder(name, locale):
    kind = kinds.KINDS[name]
    assert texts.has_texts(name, locale), f"{name} has no {locale} text"
    rendered = texts.render(name, sample(kind), locale)
    for part in ("title", "body"):
        assert rendered[part].strip()
        assert not PLACEHOLDER.search(rendered[part]), rendered[part]
    for i, param in enumerate(kind.params):  # every parameter is shown somewhere
        if param != "role_label":
            assert f"样例{i}" in rendered["title"] + rendered["body"], (name, param)


@pytest.mark.parametrize("name", kinds.NAMES)
def test_the_english_text_is_english_and_the_chinese_text_chinese(name):
    kind = kinds.KINDS[name]
    zh = texts.render(name, sample(kind, "x"), "zh_CN")["body"]
    en = texts.render(name, sample(kind, "x"), "en")["body"]
    assert re.search(r"[\u4e00-\u9fff]", zh)
    assert not re.search(r"[\u4e00-\u9fff]", en)


def test_a_derived_parameter_reads_in_the_readers_language():
    params = {"role": "district_admin", "area_name": "海淀区", "area_code": "110108"}
    assert "区县科普管理员" in texts.render("area_admin_granted", params, "zh_CN")["body"]
    assert "district administrator" in texts.render("area_admin_granted", params, "en")["body"]


def test_a_missing_reason_or_title_reads_as_its_fallback_and_another_missing_parameter_fails():
    rendered = texts.render("resource_initial_rejected", {"resource_id": "r", "title": "", "reason": None}, "zh_CN")
    assert "（未命名）" in rendered["body"] and "原因：未填写" in rendered["body"]
    assert "none given" in texts.render("verification_rejected", {"reason": ""}, "en")["body"]
    with pytest.raises(ValueError):
        texts.render("redemption_fulfilled_pickup", {"item": "书", "pickup_place": "科技馆", "pickup_code": ""}, "zh_CN")


@pytest.mark.parametrize("name", kinds.NAMES)
def test_exactly_the_kinds_that_need_action_have_an_sms_template(name):
    assert sms_templates.has_sms(name) == kinds.KINDS[name].sms


@pytest.mark.parametrize("name", kinds.SMS_KINDS)
def test_every_sms_fits_one_message_with_its_longest_variables(name):
    kind = kinds.KINDS[name]
    longest = {param: "长" * 200 for param in kind.params}
    code, values, text = sms_templates.render(name, longest)
    assert code == f"KEPU_{name.upper()}"
    assert text.startswith("【科普中国】")
    assert len(text) <= sms_templates.SMS_LIMIT, (len(text), text)
    assert not PLACEHOLDER.search(text)
    assert "http" not in text  # carriers refuse links that were not registered with the template
    assert set(values) == set(sms_templates.variables(name))
    for value in values.values():
        assert len(value) <= max(sms_templates.VARIABLE_MAX.values())


def test_provider_templates_use_the_providers_variable_form():
    templates = sms_templates.provider_templates()
    assert set(templates) == {sms_templates.template_code(name) for name in kinds.SMS_KINDS}
    assert "${title}" in templates["KEPU_RESOURCE_INITIAL_REJECTED"]
    assert all("{" not in t.replace("${", "") for t in templates.values())
    # the signature is registered beside the template, never inside it
    assert not any("科普中国】" in t for t in templates.values())


def test_every_catalogue_entry_belongs_to_a_kind():
    known = {f"notification.{name}.{part}" for name in kinds.NAMES for part in ("title", "body", "sms")}
    for locale in LOCALES:
        ours = {key for key in catalogue(locale) if key.startswith("notification.")
                and not key.startswith(("notification.param.", "notification.role."))}
        assert ours <= known, sorted(ours - known)

@pytest.mark.parametrize("name", kinds.SMS_KINDS)
def test_the_english_sms_texts_are_translations_for_translators_only(name):
    # carriers in mainland China take registered Chinese templates: SMS always go in Chinese (sms_templates)
    sample_params = sample(kinds.KINDS[name], "x")
    _, _, sent = sms_templates.render(name, sample_params)
    assert re.search(r"[\u4e00-\u9fff]", sent.removeprefix(sms_templates.SIGNATURE))
    assert f"notification.{name}.sms" in catalogue("en")


def test_links_point_at_the_thing():
    link = kinds.link(kinds.KINDS["activity_provincial_rejected"], {"activity_id": "a-1", "title": "t"})
    assert link == {"target": "activity", "id": "a-1", "path": "/my/activities/a-1"}
    assert kinds.link(kinds.KINDS["verification_rejected"], {"reason": "r"}) == {
        "target": "verification", "id": None, "path": "/me/verification"}


def test_an_unknown_kind_is_a_clear_error():
    from kepu_common.interfaces.errors import InvalidInput

    with pytest.raises(InvalidInput) as raised:
        kinds.get("no_such_kind")
    assert raised.value.message == "notification_kind_unknown"
    assert raised.value.fields["kind"]["code"] == "notification_kind_unknown"
