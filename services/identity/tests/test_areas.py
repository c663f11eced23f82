"""Divisions down to townships (乡镇街道), from the maintained MCA dataset; each rule broken alone."""
import pytest

from kepu_common.interfaces.errors import InvalidInput
from services.identity import areas


def test_townships_come_from_the_dataset_complete():
    assert len(areas._townships()) > 38000  # MCA counts about 38,700 township-level divisions
    assert areas.township("110105001").name == "建外街道"


def test_a_township_is_described_under_its_county():
    place = areas.describe("１１０１０５００１")
    assert (place["level"], place["full_name"], place["county"], place["province"]) == (
        "township", "北京市朝阳区建外街道", "110105", "110000")
    assert place["path"] == ["110000", "110105", "110105001"]
    assert areas.is_within("110105001", "110105") and not areas.is_within("110105", "110105001")


def test_a_street_admin_names_a_township():
    assert areas.for_communicator("street_admin", "110105001")["code"] == "110105001"
    for not_a_township in ("110105", "110000"):
        with pytest.raises(InvalidInput) as error:
            areas.for_communicator("street_admin", not_a_township)
        assert error.value.message == "street_admin_needs_township"
        assert error.value.fields["region_code"]["code"] == "not_a_township"


def test_an_unknown_nine_digit_code_is_unknown():
    with pytest.raises(InvalidInput) as error:
        areas.for_communicator("street_admin", "110105999")
    assert error.value.fields["region_code"]["code"] == "region_unknown"


def test_a_district_admin_names_a_county():
    assert areas.for_communicator("district_admin", "110105")["level"] == "county"
    for not_a_county in ("110105001", "110000"):
        with pytest.raises(InvalidInput) as error:
            areas.for_communicator("district_admin", not_a_county)
        assert error.value.fields["region_code"]["code"] == "not_a_county"


def test_anyone_else_names_any_current_division():
    assert areas.for_communicator("individual", "110105001")["level"] == "township"
    assert areas.for_communicator("individual", "110000")["level"] == "province"


def test_area_admin_scopes_match_their_level():
    assert areas.check_scope("street_admin", "110105001") == "110105001"
    assert areas.check_scope("district_admin", "110105") == "110105"
    for role, scope in (("street_admin", "110105"), ("district_admin", "110105001"), ("district_admin", "999999")):
        with pytest.raises(InvalidInput) as error:
            areas.check_scope(role, scope)
        assert error.value.fields["scope"]["code"] == "area_scope_invalid"
