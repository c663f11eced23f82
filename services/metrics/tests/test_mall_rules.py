"""The mall's handover, fulfilment and cancel rules, and the sealing of delivery details (no I/O)."""
import uuid

import pytest
from cryptography.exceptions import InvalidTag

from kepu_common.interfaces.errors import Conflict, InvalidInput, NotFound, RuleBroken
from services.metrics import mall_rules
from services.metrics.mall_rules import (
    AddressDivisionUnknown, DeliveryRequired, PickupSiteNotOffered, RedemptionAlreadyFulfilled,
)
from services.metrics.mall_vault import DeliveryVault

SITE = {"id": uuid.uuid4(), "name": "中国科技馆服务台", "region_code": "110105", "address": "北辰东路5号"}
POSTED = {"delivery": True}
PICKUP_ONLY = {"delivery": False}
DETAILS = {"recipient": " 王小明 ", "phone": "+86 138-0013-8000", "region_code": "110105", "address": "朝阳路1号院2楼301"}


def refusal(call):
    with pytest.raises(Exception) as raised:
        call()
    return raised.value


def test_a_posted_item_takes_checked_and_normalized_delivery_details():
    method, details = mall_rules.handover(POSTED, [SITE], {"delivery": DETAILS})
    assert method == "delivery"
    assert details == {"recipient": "王小明", "phone": "13800138000", "region_code": "110105",
                       "address": "朝阳路1号院2楼301"}


@pytest.mark.parametrize("item,sites", [(POSTED, []), (POSTED, [SITE])])
def test_a_posted_item_without_delivery_details_is_its_own_error(item, sites):
    error = refusal(lambda: mall_rules.handover(item, sites, {}))
    assert isinstance(error, DeliveryRequired)
    assert error.payload["code"] == "delivery_required" and error.payload["status"] == 400
    assert error.fields == {"delivery": {"code": "delivery_required", "params": {}}}


@pytest.mark.parametrize("site_id", [uuid.uuid4(), "not-even-a-uuid"])
def test_a_pickup_site_the_item_does_not_offer_is_its_own_error(site_id):
    error = refusal(lambda: mall_rules.handover(PICKUP_ONLY, [SITE], {"pickup_site_id": site_id}))
    assert isinstance(error, PickupSiteNotOffered) and error.payload["status"] == 422
    assert error.payload["code"] == "pickup_site_not_offered"
    assert error.details == {"pickup_site_ids": [str(SITE["id"])]}
    # an item with no sites at all offers none
    assert isinstance(refusal(lambda: mall_rules.handover(POSTED, [], {"pickup_site_id": SITE["id"]})),
                      PickupSiteNotOffered)


def test_an_offered_site_is_chosen():
    assert mall_rules.handover(PICKUP_ONLY, [SITE], {"pickup_site_id": str(SITE["id"])}) == ("pickup", SITE)


def test_a_pickup_site_in_no_current_division_is_refused_as_its_field():
    mall_rules.check_site_regions([SITE, dict(SITE, region_code=" 110105 ")])
    with pytest.raises(InvalidInput) as refused:
        mall_rules.check_site_regions([SITE, dict(SITE, region_code="999999")])
    assert refused.value.payload["code"] == "validation_failed"
    assert list(refused.value.fields) == ["pickup_sites.1.region_code"]
    assert refused.value.fields["pickup_sites.1.region_code"]["code"] == "region_unknown"
    assert "as_of" in refused.value.fields["pickup_sites.1.region_code"]["params"]


@pytest.mark.parametrize("code", ["999999", "110199", "1101051", "", "abc", "１１０１９９"])
def test_an_address_division_that_does_not_exist_is_its_own_error(code):
    error = refusal(lambda: mall_rules.handover(POSTED, [], {"delivery": dict(DETAILS, region_code=code)}))
    assert isinstance(error, AddressDivisionUnknown) and error.payload["code"] == "address_division_unknown"
    assert error.fields["delivery.region_code"]["code"] == "region_unknown"


@pytest.mark.parametrize("code,accepted", [
    ("110105", True), ("１１０１０５", True), ("441900", True),   # a county; full-width digits; 东莞 (no counties)
    ("110000", False), ("440100", False), ("440000", False),  # a province, a city with districts
])
def test_an_address_names_a_county_or_a_city_without_counties(code, accepted):
    call = lambda: mall_rules.handover(POSTED, [], {"delivery": dict(DETAILS, region_code=code)})  # noqa: E731
    if accepted:
        assert call()[1]["region_code"] == code.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    else:
        error = refusal(call)
        assert error.payload["code"] == "validation_failed"
        assert error.fields["delivery.region_code"]["code"] == "address_needs_county"


@pytest.mark.parametrize("phone", ["12345678901", "1380013800", "138001380001", "电话", "", "+1 2025550100"])
def test_a_malformed_recipient_phone_is_refused(phone):
    error = refusal(lambda: mall_rules.handover(POSTED, [], {"delivery": dict(DETAILS, phone=phone)}))
    assert error.fields == {"delivery.phone": {"code": "phone_invalid", "params": {}}}


def test_blank_recipient_or_address_and_both_handovers_are_refused():
    error = refusal(lambda: mall_rules.handover(POSTED, [], {"delivery": dict(DETAILS, recipient=" ", address="\u3000")}))
    assert set(error.fields) == {"delivery.recipient", "delivery.address"}
    error = refusal(lambda: mall_rules.handover(POSTED, [SITE], {"delivery": DETAILS, "pickup_site_id": SITE["id"]}))
    assert set(error.fields) == {"delivery", "pickup_site_id"}
    error = refusal(lambda: mall_rules.handover(PICKUP_ONLY, [SITE], {"delivery": DETAILS}))
    assert isinstance(error, RuleBroken) and error.fields["delivery"]["code"] == "delivery_not_offered"
    error = refusal(lambda: mall_rules.handover(PICKUP_ONLY, [SITE], {}))
    assert error.fields["pickup_site_id"]["code"] == "pickup_site_required"


def test_masking_shows_no_more_than_people_need():
    assert [mall_rules.mask_name(n) for n in ("王小明", "王明", "欧阳小明", "王")] == ["王*明", "王*", "欧**明", "*"]
    _, details = mall_rules.handover(POSTED, [], {"delivery": DETAILS})
    assert mall_rules.masked(details) == {"recipient": "王*明", "phone": "138****8000", "region_code": "110105",
                                          "address": "朝阳****"}


def test_sealed_details_open_only_for_their_redemption_and_with_the_key():
    vault, other = DeliveryVault(b"k" * 32), DeliveryVault(b"j" * 32)
    one, two = uuid.uuid4(), uuid.uuid4()
    sealed = vault.seal({"recipient": "王小明", "phone": "13800138000"}, one)
    assert "王小明".encode() not in sealed and b"13800138000" not in sealed
    assert vault.open(sealed, one) == {"recipient": "王小明", "phone": "13800138000"}
    with pytest.raises(InvalidTag):
        vault.open(sealed, two)
    with pytest.raises(InvalidTag):
        other.open(sealed, one)


def pending(method="delivery", **fields):
    return {"id": uuid.uuid4(), "user_id": uuid.uuid4(), "status": "pending", "method": method, "carrier": None,
            "tracking_number": None, "pickup_code": None, **fields}


def test_fulfilling_a_delivery_records_carrier_and_tracking_number():
    assert mall_rules.fulfilment(pending(), {"carrier": " 顺丰速运 ", "tracking_number": "sf１２３４５６７８９０"}) == \
        {"carrier": "顺丰速运", "tracking_number": "SF1234567890", "pickup_code": None}
    error = refusal(lambda: mall_rules.fulfilment(pending(), {}))
    assert set(error.fields) == {"carrier", "tracking_number"} and error.payload["status"] == 400
    error = refusal(lambda: mall_rules.fulfilment(pending(), {"carrier": "顺丰", "tracking_number": "SF 1"}))
    assert error.fields["tracking_number"]["code"] == "tracking_number_invalid"
    error = refusal(lambda: mall_rules.fulfilment(pending(), {"carrier": "顺丰", "tracking_number": "SF12345678",
                                                              "pickup_code": "1234"}))
    assert error.fields["pickup_code"]["code"] == "not_for_delivery"


def test_fulfilling_a_pickup_records_a_code_given_or_made():
    assert mall_rules.fulfilment(pending("pickup"), {"pickup_code": "ab12"})["pickup_code"] == "AB12"
    made = mall_rules.fulfilment(pending("pickup"), {})["pickup_code"]
    assert len(made) == mall_rules.PICKUP_CODE_DIGITS and made.isdigit()
    error = refusal(lambda: mall_rules.fulfilment(pending("pickup"), {"carrier": "顺丰", "tracking_number": "SF12345678"}))
    assert error.fields["tracking_number"]["code"] == "not_for_pickup"


def test_a_tracking_number_on_a_redemption_already_fulfilled_is_its_own_error():
    done = pending(status="fulfilled", carrier="顺丰速运", tracking_number="SF1234567890")
    for request in ({"carrier": "顺丰速运", "tracking_number": "SF0000000000"},
                    {"carrier": "中通快递", "tracking_number": "SF1234567890"}, {"pickup_code": "1234"}):
        error = refusal(lambda: mall_rules.fulfilment(done, request))
        assert isinstance(error, RedemptionAlreadyFulfilled) and error.payload["status"] == 409
        assert error.payload["code"] == "redemption_already_fulfilled"
        assert error.details == {"tracking_number": "SF1234567890", "carrier": "顺丰速运"}
    # the same fulfilment again (a retry), or asking with nothing, changes nothing and answers the same
    assert mall_rules.fulfilment(done, {"carrier": "顺丰速运", "tracking_number": "sf1234567890"}) is None
    assert mall_rules.fulfilment(done, {}) is None
    collected = pending("pickup", status="fulfilled", pickup_code="12345678")
    assert isinstance(refusal(lambda: mall_rules.fulfilment(collected, {"pickup_code": "87654321"})),
                      RedemptionAlreadyFulfilled)
    assert isinstance(refusal(lambda: mall_rules.fulfilment(pending(status="cancelled"), {})), Conflict)


def test_the_owner_or_an_admin_cancels_a_pending_redemption_once():
    mine = pending()
    assert mall_rules.check_cancel(mine, mine["user_id"], admin=False) is True
    assert mall_rules.check_cancel(mine, uuid.uuid4(), admin=True) is True
    assert isinstance(refusal(lambda: mall_rules.check_cancel(mine, uuid.uuid4(), admin=False)), NotFound)
    assert mall_rules.check_cancel(dict(mine, status="cancelled"), mine["user_id"], admin=False) is False
    error = refusal(lambda: mall_rules.check_cancel(dict(mine, status="fulfilled"), mine["user_id"], admin=False))
    assert isinstance(error, RedemptionAlreadyFulfilled)


def test_an_item_is_posted_or_has_a_pickup_site():
    mall_rules.check_item_handover(True, 0)
    mall_rules.check_item_handover(False, 1)
    assert isinstance(refusal(lambda: mall_rules.check_item_handover(False, 0)), InvalidInput)
