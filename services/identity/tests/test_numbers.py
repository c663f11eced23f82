"""Numbers typed with any digits give one ID number, one phone, one code, one division (issue 11)."""
from datetime import date

import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.errors import InvalidInput
from services.identity import idcards, passwords, phones
from services.identity.contracts import ascii_digits
from services.identity.schemas import OrgSearchRequest, RegisterRequest, RoleChange, VerificationRequest

ID_NUMBER = "11010519491231002X"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


@pytest.mark.parametrize("table", [FULL_WIDTH, ARABIC_INDIC, DEVANAGARI])
def test_id_numbers_in_other_digits_are_the_same_number(table):
    assert idcards.normalize(ID_NUMBER.translate(table)) == ID_NUMBER
    assert idcards.normalize(ID_NUMBER.lower().translate(table)) == ID_NUMBER


def test_mixed_digits_are_one_number_too():
    assert idcards.normalize("１1０105१९४९1231002x") == ID_NUMBER


@pytest.mark.parametrize("table", [FULL_WIDTH, ARABIC_INDIC, DEVANAGARI])
def test_phones_in_other_digits_are_the_same_phone(table):
    assert phones.normalize("+86 138-0013-8000".translate(table)) == "13800138000"


@pytest.mark.parametrize("raw", ["1380013800", "138001380000", "12800138000", "138OO138000", "１３８００１３８０００٠"])
def test_what_is_not_a_mobile_number_stays_refused(raw):
    with pytest.raises(InvalidInput):
        phones.normalize(raw)


def test_letters_that_look_like_digits_are_not_digits():
    assert ascii_digits("ⅠⅡ") != "12" and ascii_digits("O") == "O"


@pytest.mark.parametrize("number,code", [
    ("1101051949123100", "id_format"), ("11010519491231002Y", "id_format"), ("99010519491231002X", "id_province"),
    ("11010519491332002X", "id_birth_date"), ("11010521491231002X", "id_birth_implausible"),
    ("11010519491231003X", "id_checksum"),
])
def test_each_id_rule_broken_alone_has_its_code(number, code):
    with pytest.raises(InvalidInput) as error:
        idcards.normalize(number, today=date(2026, 11, 26))
    assert error.value.fields == {"id_number": {"code": code, "params": {}}}


def test_sms_codes_and_division_codes_load_as_ascii():
    loaded = RegisterRequest().load({"phone": "x", "code": "１２３４５６", "password": "p"})
    assert loaded["code"] == "123456"
    form = {"real_name": "张科普", "id_number": ID_NUMBER, "unit_name": "朝阳区科协", "unit_address": "北京市朝阳区",
            "communicator_type": "individual", "region_code": "११०१०५"}
    assert VerificationRequest().load(form)["region_code"] == "110105"
    assert OrgSearchRequest().load({"region": "١١٠٠٠٠"})["region"] == "110000"
    assert RoleChange().load({"role": "reviewer", "scope": "provincial:１１００００"})["scope"] == "provincial:110000"


def test_a_code_that_is_not_six_digits_has_its_code():
    with pytest.raises(ValidationError) as error:
        RegisterRequest().load({"phone": "x", "code": "12345", "password": "p"})
    assert error.value.messages["code"][0].code == "sms_code_format"


@pytest.mark.parametrize("password,problems", [
    ("short1", ["password_length"]), ("onlyletters", ["password_letters_and_digits"]),
    ("abcd1234", ["password_too_easy"]), ("a138001380001", ["password_too_easy"]),
    ("aaaa1111", ["password_too_easy"]), ("kepu2026science", []),
])
def test_each_password_rule_broken_alone(password, problems):
    assert passwords.policy_problems(password, "13800138000") == problems
