"""The points mall (积分商城): items for everyone signed in, redemptions with how the prize reaches the person
(posted, or collected at a pickup site), the mall admin's items, pictures, fulfilment and cancellations.

Mall admins are platform admins (MALL_ADMINS): the SPEC gives the mall to the platform admin. They alone see a
redemption's delivery details whole (GET /mall/redemptions/{id}/delivery, each read recorded); everyone else,
the person included, sees them masked.
"""
import uuid

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from gateway.image_uploads import image_upload_doc, store_small_image
from services.metrics.constants import MALL_IMAGE_BUCKET, MALL_IMAGE_MAX_BYTES, MALL_IMAGE_PREFIX
from services.metrics.schemas import (
    CancelRequest, DeliveryDetailsSchema, FulfilRequest, ItemListRequest, ItemPageSchema, ItemRequest, ItemSchema,
    ItemUpdateRequest, MallImageSchema, RedemptionListRequest, RedemptionPageSchema, RedemptionRequest,
    RedemptionSchema,
)

bp = Blueprint("mall", __name__, description="The points mall: items, pictures, redemptions, fulfilment")
ADMIN = "platform_admin"
MALL_ADMINS = (ADMIN,)
COMMUNICATOR = "communicator"  # only verified communicators redeem points (SPEC: the mall is theirs)


def _is_admin():
    return bool(set(MALL_ADMINS) & set(g.claims.get("roles", [])))


@bp.route("/items")
class Items(MethodView):
    @require_auth()
    @bp.arguments(ItemListRequest, location="query")
    @bp.response(200, ItemPageSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Items on offer, newest first, with their pictures and pickup sites (admins may include inactive ones)."""
        return rpc.call("metrics", "items", ItemListRequest().dump(query), admin=_is_admin())

    @require_auth(*MALL_ADMINS)
    @bp.arguments(ItemRequest)
    @bp.response(201, ItemSchema)
    @bp.alt_response(400, description="a picture that is not one stored by POST /mall/images or not an image "
                                      "(`image_keys.<n>`: `no_such_upload`, `not_an_image`), a pickup site's unknown "
                                      "division (`region_unknown`), an item neither posted nor with a pickup site "
                                      "(`pickup_sites`: `item_handover_required`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, item):
        """Add an item with its cost in points, its stock, its pictures and how it reaches people: posted
        (`delivery`, the default) and/or collected at one of its `pickup_sites` (mall admin)."""
        return rpc.call("metrics", "create_item", ItemRequest().dump(item))


@bp.route("/items/<uuid:item_id>")
class Item(MethodView):
    @require_auth()
    @bp.response(200, ItemSchema)
    @bp.alt_response(404, description="no such item (or off sale: admins only)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, item_id):
        """One item with its pictures and pickup sites."""
        return rpc.call("metrics", "get_item", str(item_id), admin=_is_admin())

    @require_auth(*MALL_ADMINS)
    @bp.arguments(ItemUpdateRequest())
    @bp.response(200, ItemSchema)
    @bp.alt_response(400, description="as for POST /mall/items")
    @bp.alt_response(404, description="no such item, or a pickup site id not of this item")
    @bp.doc(security=[{"bearerAuth": []}])
    def patch(self, changes, item_id):
        """Change an item: the fields sent change; `image_keys` and `pickup_sites`, when sent, are the whole
        lists (a site sent with its id is kept, one left out is taken off: redemptions naming it keep it)."""
        return rpc.call("metrics", "update_item", str(item_id), ItemUpdateRequest().dump(changes))


@bp.route("/images")
class Images(MethodView):
    streams_body = True  # the picture's bytes are the body; body_rules must not read it as JSON

    @require_auth(*MALL_ADMINS)
    @image_upload_doc(bp, MallImageSchema, max_mb=MALL_IMAGE_MAX_BYTES // 2**20)
    def post(self):
        """Upload an item picture (the raw bytes as the body), then name its `image_key` in the item's
        `image_keys` (mall admin)."""
        key = f"{MALL_IMAGE_PREFIX}{uuid.uuid4().hex}"
        content_type, length = store_small_image(MALL_IMAGE_BUCKET, key, "mall_image", "image", MALL_IMAGE_MAX_BYTES)
        return {"image_key": key, "content_type": content_type, "size": length}


@bp.route("/redemptions")
class Redemptions(MethodView):
    @require_auth(COMMUNICATOR)
    @bp.arguments(RedemptionRequest)
    @bp.response(201, RedemptionSchema)
    @bp.alt_response(200, schema=RedemptionSchema, description="the same client_key again: the first redemption")
    @bp.alt_response(400, description="`delivery_required`: a posted item without `delivery`; "
                                      "`address_division_unknown`: `delivery.region_code` is no current division; "
                                      "`validation_failed`: `delivery.phone` `phone_invalid`, "
                                      "`delivery.region_code` `address_needs_county`, both `delivery` and "
                                      "`pickup_site_id` (`choose_one`), `pickup_site_id` `pickup_site_required`")
    @bp.alt_response(403, description="`role_required`: only communicators (verified real name) redeem")
    @bp.alt_response(404, description="no such item on offer")
    @bp.alt_response(409, description="this client_key was used for another item, quantity or handover")
    @bp.alt_response(422, description="`pickup_site_not_offered`: a pickup site the item does not offer; "
                                      "`rule_broken`: not enough points (`quantity`: `not_enough_points`) or stock "
                                      "(`quantity`: `out_of_stock`), or `delivery` for an item only collected "
                                      "(`delivery_not_offered`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, redemption):
        """Redeem points for an item: give `delivery` (recipient, phone, address: stored encrypted, shown
        masked) for a posted item, or a `pickup_site_id` of the item; send the same client_key when retrying.
        Nothing is stored and no points or stock move when anything is refused."""
        result = rpc.call("metrics", "redeem", g.claims["sub"], RedemptionRequest().dump(redemption))
        return result["redemption"], 201 if result["created"] else 200

    @require_auth()
    @bp.arguments(RedemptionListRequest, location="query")
    @bp.response(200, RedemptionPageSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Your redemptions with the item's name and picture, the handover and the fulfilment (carrier and
        tracking number, or pickup code); a mall admin asks for everyone's with everyone=true."""
        return rpc.call("metrics", "redemptions", g.claims["sub"], RedemptionListRequest().dump(query),
                        admin=_is_admin())


@bp.route("/redemptions/<uuid:redemption_id>")
class Redemption(MethodView):
    @require_auth()
    @bp.response(200, RedemptionSchema)
    @bp.alt_response(404, description="no such redemption of yours")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, redemption_id):
        """One of your redemptions (a mall admin: anyone's), delivery details masked."""
        return rpc.call("metrics", "get_redemption", g.claims["sub"], str(redemption_id), admin=_is_admin())


@bp.route("/redemptions/<uuid:redemption_id>/delivery")
class Delivery(MethodView):
    @require_auth(*MALL_ADMINS)
    @bp.response(200, DeliveryDetailsSchema)
    @bp.alt_response(404, description="no such redemption, or it has no delivery details (a pickup)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, redemption_id):
        """The whole delivery details, to post the prize (mall admin): each read is recorded with who and when."""
        return rpc.call("metrics", "redemption_delivery", g.claims["sub"], str(redemption_id))


@bp.route("/redemptions/<uuid:redemption_id>/fulfil")
class Fulfil(MethodView):
    @require_auth(*MALL_ADMINS)
    @bp.arguments(FulfilRequest)
    @bp.response(200, RedemptionSchema)
    @bp.alt_response(400, description="a posted prize without `carrier` and `tracking_number` (`required`, "
                                      "`tracking_number_invalid`), a tracking number for a pickup (`not_for_pickup`) "
                                      "or a pickup code for a posted prize (`not_for_delivery`)")
    @bp.alt_response(404, description="no such redemption")
    @bp.alt_response(409, description="`redemption_already_fulfilled`: fulfilled already with another tracking "
                                      "number or pickup code; `conflict`: cancelled")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, fulfilment, redemption_id):
        """Fulfil a pending redemption (mall admin): a posted prize with its carrier and tracking number, one to
        collect with a pickup code (made when not given). The same again answers the same."""
        return rpc.call("metrics", "fulfil_redemption", g.claims["sub"], str(redemption_id),
                        FulfilRequest().dump(fulfilment))


@bp.route("/redemptions/<uuid:redemption_id>/cancel")
class Cancel(MethodView):
    @require_auth()
    @bp.arguments(CancelRequest)
    @bp.response(200, RedemptionSchema)
    @bp.alt_response(404, description="no such redemption of yours")
    @bp.alt_response(409, description="`redemption_already_fulfilled`: fulfilled, too late to cancel")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, cancellation, redemption_id):
        """Cancel a pending redemption: your own, or (mall admin) anyone's with a `reason`. Its points and stock
        return exactly once; cancelling again answers the same."""
        return rpc.call("metrics", "cancel_redemption", g.claims["sub"], str(redemption_id),
                        CancelRequest().dump(cancellation), admin=_is_admin())
