"""The points mall (积分商城): items for everyone signed in, redemptions, the admin's items and decisions."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from services.metrics.schemas import (
    ItemListRequest, ItemPageSchema, ItemRequest, ItemSchema, ItemUpdateRequest, RedemptionListRequest, RedemptionPageSchema,
    RedemptionRequest, RedemptionSchema,
)

bp = Blueprint("mall", __name__, description="The points mall: items, redemptions")
ADMIN = "platform_admin"


def _is_admin():
    return ADMIN in g.claims.get("roles", [])


@bp.route("/items")
class Items(MethodView):
    @require_auth()
    @bp.arguments(ItemListRequest, location="query")
    @bp.response(200, ItemPageSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Items on offer, newest first (admins may include inactive ones)."""
        return rpc.call("metrics", "items", ItemListRequest().dump(query), admin=_is_admin())

    @require_auth(ADMIN)
    @bp.arguments(ItemRequest)
    @bp.response(201, ItemSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, item):
        """Add an item with its cost in points and its stock (platform admin)."""
        return rpc.call("metrics", "create_item", ItemRequest().dump(item))


@bp.route("/items/<uuid:item_id>")
class Item(MethodView):
    @require_auth(ADMIN)
    @bp.arguments(ItemUpdateRequest())
    @bp.response(200, ItemSchema)
    @bp.alt_response(404, description="no such item")
    @bp.doc(security=[{"bearerAuth": []}])
    def patch(self, changes, item_id):
        """Change an item's name, cost, stock or whether it is on offer (platform admin)."""
        return rpc.call("metrics", "update_item", str(item_id), ItemUpdateRequest().dump(changes))


@bp.route("/redemptions")
class Redemptions(MethodView):
    @require_auth()
    @bp.arguments(RedemptionRequest)
    @bp.response(201, RedemptionSchema)
    @bp.alt_response(200, schema=RedemptionSchema, description="the same client_key again: the first redemption")
    @bp.alt_response(404, description="no such item on offer")
    @bp.alt_response(409, description="this client_key was used for another item or quantity")
    @bp.alt_response(422, description="not enough points (`quantity`: `not_enough_points`) or stock "
                                      "(`quantity`: `out_of_stock`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, redemption):
        """Redeem points for an item; send the same client_key when retrying."""
        result = rpc.call("metrics", "redeem", g.claims["sub"], RedemptionRequest().dump(redemption))
        return result["redemption"], 201 if result["created"] else 200

    @require_auth()
    @bp.arguments(RedemptionListRequest, location="query")
    @bp.response(200, RedemptionPageSchema)
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query):
        """Your redemptions; a platform admin asks for everyone's with everyone=true."""
        return rpc.call("metrics", "redemptions", g.claims["sub"], RedemptionListRequest().dump(query),
                        admin=_is_admin())


def _decide(action):
    @require_auth(ADMIN)
    @bp.response(200, RedemptionSchema)
    @bp.alt_response(404, description="no such redemption")
    @bp.alt_response(409, description="already decided the other way")
    @bp.doc(security=[{"bearerAuth": []}])
    def post(self, redemption_id):
        return rpc.call("metrics", "decide_redemption", g.claims["sub"], str(redemption_id), action)

    return post


@bp.route("/redemptions/<uuid:redemption_id>/fulfil")
class Fulfil(MethodView):
    post = _decide("fulfil")
    post.__doc__ = "Mark a pending redemption fulfilled (platform admin)."


@bp.route("/redemptions/<uuid:redemption_id>/cancel")
class Cancel(MethodView):
    post = _decide("cancel")
    post.__doc__ = "Cancel a pending redemption: its points and stock return (platform admin)."
