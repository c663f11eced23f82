"""Areas: the division lookup every frontend uses (GET /regions), and district and street admins' lists of
the communicators of their area (identity's schemas), with each one's counted shares from metrics."""
import csv
import io
import logging
from datetime import datetime, timezone

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import require_auth
from kepu_common.domain import regions
from kepu_common.interfaces.clock import SHANGHAI
from kepu_common.interfaces.errors import InvalidInput
from kepu_common.interfaces.messages import label, negotiate, text
from kepu_common.bus.rpc_client import RpcError
from services.identity.schemas import AreaCommunicatorPageSchema, AreaQuery, RegionEntrySchema, RegionQuery

log = logging.getLogger(__name__)

bp = Blueprint("regions", __name__, description="Divisions (province → city → county → township), and areas' "
                                                "communicators")


@bp.route("")
class Divisions(MethodView):
    @bp.arguments(RegionQuery, location="query")
    @bp.response(200, RegionEntrySchema(many=True))
    @bp.alt_response(400, description="`parent` is not a current division (`parent`: `region_unknown`)")
    def get(self, query):
        """The division list the platform validates against (GB/T 2260 and the townships, 乡镇街道): without
        arguments the provinces; `parent` the divisions directly under it (a city without counties, such as
        东莞 441900, has its townships directly under it); `q` the divisions whose name contains it (within
        `parent` when given), exact names first."""
        parent = query["parent"]
        if parent and regions.any_lookup(parent) is None:
            as_of = regions.data_as_of()
            raise InvalidInput("region_unknown", {"parent": ("region_unknown", {"as_of": as_of})}, as_of=as_of)
        if query["q"]:
            found = regions.find(query["q"], parent, query["limit"])
        else:
            found = regions.children(parent or "")[:query["limit"]]
        return [regions.entry(d) for d in found]


def _listed(code, query):
    """The area's page as identity lists it, sorted by shares when asked (metrics counts them)."""
    if query["sort"] in ("shares", "-shares"):
        ids = rpc.call("identity", "region_communicator_ids", g.claims["sub"], code, _call(query))
        shares = _shares(ids)
        ids.sort(key=lambda i: (shares.get(i) or 0) * (-1 if query["sort"] == "-shares" else 1))
        start = (query["page"] - 1) * query["page_size"]
        listed = rpc.call("identity", "region_communicators", g.claims["sub"], code,
                          {**_call(query), "user_ids": ids[start:start + query["page_size"]]})
        return dict(listed, items=[dict(c, shares=shares.get(str(c["user_id"]))) for c in listed["items"]])
    listed = rpc.call("identity", "region_communicators", g.claims["sub"], code, _call(query))
    return dict(listed, items=with_shares(listed["items"]))


def _call(query):
    return {**query, "registered_from": query["registered_from"] and query["registered_from"].isoformat(),
            "registered_to": query["registered_to"] and query["registered_to"].isoformat()}


@bp.route("/<code>/communicators")
class AreaCommunicators(MethodView):
    @require_auth("district_admin", "street_admin", "platform_admin")
    @bp.arguments(AreaQuery, location="query")
    @bp.response(200, AreaCommunicatorPageSchema)
    @bp.alt_response(400, description="not a current division or township code (`code`: `region_unknown`)")
    @bp.alt_response(403, description="the area is not inside the admin's own (`area_admins_only`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query, code):
        """Verified communicators whose region lies inside the area: a county (6 digits, or a city without
        counties such as 东莞 441900) or a township (9 digits), the admin's own area or one inside it; with the
        total, sorted by registration date or counted shares, filtered by registration period. A district or
        street admin gets the role, scoped to the division they were verified for, when their verification is
        approved."""
        return _listed(code, query)


CSV_COLUMNS = ("real_name", "phone", "communicator_type", "region", "organization", "registered_at", "verified_at",
               "shares")


def cell(value):
    """A CSV cell a spreadsheet shows as text: one starting = + - @, a tab or a carriage return is not run."""
    value = "" if value is None else str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _local(moment):
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@bp.route("/<code>/communicators.csv")
class AreaCommunicatorsCsv(MethodView):
    @require_auth("district_admin", "street_admin", "platform_admin")
    @bp.arguments(AreaQuery, location="query")
    @bp.response(200, description="text/csv (UTF-8 with BOM): one header row, then one row per communicator")
    @bp.alt_response(403, description="the area is not inside the admin's own (`area_admins_only`)")
    @bp.doc(security=[{"bearerAuth": []}])
    def get(self, query, code):
        """The area's communicators as a table (the same filter and sort as the list, every row, up to 50,000):
        real name, masked phone, type, region, organization, registration and verification time (Beijing
        time), counted shares."""
        ids = rpc.call("identity", "region_communicator_ids", g.claims["sub"], code, _call(query))
        shares = _shares(ids)
        if query["sort"] in ("shares", "-shares"):
            ids.sort(key=lambda i: (shares.get(i) or 0) * (-1 if query["sort"] == "-shares" else 1))
        rows = rpc.call("identity", "region_communicators", g.claims["sub"], code,
                        {**_call(query), "user_ids": ids})["items"] if ids else []
        if query["sort"] == "-registered_at":
            rows.reverse()
        locale = negotiate(request.headers.get("Accept-Language"))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([text(f"area_column.{c}", locale) for c in CSV_COLUMNS])
        for row in rows:
            writer.writerow([cell(v) for v in (
                row["real_name"], row["phone"], label("communicator_type", row["communicator_type"], locale),
                row.get("region", ""), row.get("organization") or "", _local(row["registered_at"]),
                _local(row.get("verified_at")), shares.get(str(row["user_id"])) if shares else "")])
        stamp = datetime.now(timezone.utc).astimezone(SHANGHAI).strftime("%Y%m%d")
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="communicators-{code}-{stamp}.csv"'})


def _shares(ids):
    if not ids:
        return {}
    try:
        return rpc.call("metrics", "shares_of_users", ids) or {}
    except RpcError as exc:
        log.warning("area view without share counts: %s", exc)
        return {}


def with_shares(communicators):
    """Each communicator's counted shares, from metrics; null (as before) while metrics cannot answer."""
    if not communicators:
        return communicators
    try:
        shares = rpc.call("metrics", "shares_of_users", [c["user_id"] for c in communicators])
    except RpcError as exc:
        log.warning("area view without share counts: %s", exc)
        return communicators
    return [dict(c, shares=shares.get(str(c["user_id"]))) for c in communicators]
