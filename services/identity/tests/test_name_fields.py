"""Names refuse control characters at the schema (issue 29): real names, units, organizations, communities."""
import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.validation import install
from services.identity.schemas import OrgRequest, VerificationChangeRequest, VerificationRequest
from services.resources.social_schemas import CommunityRequest

install()

ORG = {"name": "朝阳区科学技术协会", "category": "county_cast", "region_code": "110105", "licence_key": "licences/x",
       "contact_name": "李联络", "contact_phone": "010-65000000"}
PERSON = {"real_name": "王小明", "id_number": "11010519491231002X", "unit_name": "朝阳区科协",
          "unit_address": "北京市朝阳区", "communicator_type": "individual", "region_code": "110105"}
COMMUNITY = {"name": "科学防疫社", "intro": "简介", "rules": "规则", "region_code": "110105", "topic": "科学防疫"}


@pytest.mark.parametrize("bad", ["王\x00明", "王\n明", "王\r明", "王\t明", "王\x7f明", "王\x85明", "王\u2028明"])
@pytest.mark.parametrize("schema,data,field", [
    (VerificationRequest, PERSON, "real_name"), (VerificationRequest, PERSON, "unit_name"),
    (OrgRequest, ORG, "name"), (OrgRequest, ORG, "contact_name"), (VerificationChangeRequest, {}, "unit_name"),
    (CommunityRequest, COMMUNITY, "name"),
])
def test_a_name_with_a_control_character_is_refused(schema, data, field, bad):
    with pytest.raises(ValidationError) as error:
        schema().load({**data, field: bad})
    assert [str(m) for m in error.value.messages[field]] == ["control_character_refused"]


def test_names_as_people_write_them_pass():
    assert VerificationRequest().load({**PERSON, "real_name": "欧阳·娜娜"})["real_name"] == "欧阳·娜娜"
    assert OrgRequest().load(ORG)["name"] == ORG["name"]
    assert CommunityRequest().load(COMMUNITY)["name"] == "科学防疫社"
