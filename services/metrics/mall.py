"""The points mall: items with a cost, a stock, pictures and a way to the person (posted, or collected at one of
its pickup sites); redemptions as records with a status, their delivery details sealed.

A redemption takes stock and points with conditional updates in one transaction (CHECK constraints on
stock and balance are the last line), so concurrent redemptions never overdraw either. The client's key
makes it idempotent: the same key returns the first redemption. Whatever a request gets wrong is refused
(services/metrics/mall_rules.py) before anything is written.

Cancelling (the owner, or a mall admin) locks the redemption row first: of two cancellations at once the
second finds it cancelled and changes nothing, so points and stock return exactly once (and the ledger's
UNIQUE (reason, reference) is the last line).
"""
import uuid

from psycopg2.extras import Json

from kepu_common.interfaces.errors import Conflict, KepuError, NotFound, RuleBroken
from services.metrics import ledger, mall_rules

ITEM_COLUMNS = ("id", "name", "description", "cost", "stock", "active", "created_at", "delivery", "images")
SITE_COLUMNS = ("id", "item_id", "name", "region_code", "address", "hours", "active")
_REDEMPTION_SQL = ("r.id", "r.user_id", "r.item_id", "r.quantity", "r.points", "r.status", "r.client_key",
                   "r.created_at", "r.decided_at", "r.decided_by", "r.method", "r.pickup_site_id",
                   "r.delivery_masked", "r.carrier", "r.tracking_number", "r.pickup_code", "r.cancelled_by",
                   "r.cancel_reason", "i.name", "i.images", "s.name", "s.region_code", "s.address", "s.hours")
REDEMPTION_COLUMNS = ("id", "user_id", "item_id", "quantity", "points", "status", "client_key", "created_at",
                      "decided_at", "decided_by", "method", "pickup_site_id", "delivery", "carrier", "tracking_number",
                      "pickup_code", "cancelled_by", "cancel_reason", "item_name", "item_images", "site_name",
                      "site_region_code", "site_address", "site_hours")
_FROM = ("FROM redemptions r JOIN mall_items i ON i.id = r.item_id "
         "LEFT JOIN mall_pickup_sites s ON s.id = r.pickup_site_id")


# --- items -----------------------------------------------------------------------------------------
def create_item(cur, data, images):
    sites = data.get("pickup_sites") or []
    mall_rules.check_site_regions(sites)
    mall_rules.check_item_handover(data.get("delivery", True), len(sites))
    item_id = uuid.uuid4()
    cur.execute("INSERT INTO mall_items (id, name, description, cost, stock, active, delivery, images) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (item_id, data["name"], data.get("description", ""), data["cost"], data["stock"],
                 data.get("active", True), data.get("delivery", True), Json(images or [])))
    _put_sites(cur, item_id, sites)
    return item(cur, item_id)


def update_item(cur, item_id, changes, images=None):
    """Only what is sent changes. pickup_sites, when sent, is the item's whole list: a site sent with its id
    is kept (and changed), one without an id is added, one left out is taken off (kept for the redemptions
    that name it)."""
    mall_rules.check_site_regions(changes.get("pickup_sites") or [])
    current = item(cur, item_id, lock=True)
    values = {k: changes[k] for k in ("name", "description", "cost", "stock", "active", "delivery") if k in changes}
    if images is not None:
        values["images"] = Json(images)
    if "pickup_sites" in changes:
        _put_sites(cur, item_id, changes["pickup_sites"])
    site_count = len(sites_of(cur, [current["id"]]).get(current["id"], []))
    mall_rules.check_item_handover(values.get("delivery", current["delivery"]), site_count)
    if values:
        assignments = ", ".join(f"{k} = %({k})s" for k in values)
        cur.execute(f"UPDATE mall_items SET {assignments} WHERE id = %(item_id)s", {**values, "item_id": item_id})
    return item(cur, item_id)


def _put_sites(cur, item_id, sites):
    cur.execute("SELECT id FROM mall_pickup_sites WHERE item_id = %s", (item_id,))
    existing = {str(row[0]) for row in cur.fetchall()}
    kept = set()
    for position, site in enumerate(sites):
        fields = (site["name"], site["region_code"], site["address"], site.get("hours", ""), position)
        if site.get("id") is not None:
            if str(site["id"]) not in existing:
                raise NotFound("pickup_site_not_found", {f"pickup_sites.{position}.id": "pickup_site_unknown"})
            cur.execute("UPDATE mall_pickup_sites SET name = %s, region_code = %s, address = %s, hours = %s, "
                        "position = %s, active = true WHERE id = %s", (*fields, str(site["id"])))
            kept.add(str(site["id"]))
        else:
            cur.execute("INSERT INTO mall_pickup_sites (id, item_id, name, region_code, address, hours, position) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)", (uuid.uuid4(), item_id, *fields))
    gone = list(existing - kept)
    if gone:
        cur.execute("UPDATE mall_pickup_sites SET active = false WHERE id = ANY(%s::uuid[])", (gone,))


def sites_of(cur, item_ids):
    """{item_id: [active site]} in the items' order of sites."""
    if not item_ids:
        return {}
    cur.execute(f"SELECT {', '.join(SITE_COLUMNS)} FROM mall_pickup_sites WHERE item_id = ANY(%s::uuid[]) AND active "
                "ORDER BY position, created_at", ([str(i) for i in item_ids],))
    found = {}
    for row in cur.fetchall():
        site = dict(zip(SITE_COLUMNS, row))
        found.setdefault(site["item_id"], []).append(site)
    return found


def item(cur, item_id, lock=False, visible_only=False):
    cur.execute(f"SELECT {', '.join(ITEM_COLUMNS)} FROM mall_items WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                (item_id,))
    row = cur.fetchone()
    if row is None or (visible_only and not row[ITEM_COLUMNS.index("active")]):
        raise NotFound("mall_item_not_found", item_id=str(item_id))
    found = dict(zip(ITEM_COLUMNS, row))
    found["pickup_sites"] = sites_of(cur, [found["id"]]).get(found["id"], [])
    return found


def items(cur, include_inactive, page, page_size):
    where = "" if include_inactive else "WHERE active"
    cur.execute(f"SELECT {', '.join(ITEM_COLUMNS)} FROM mall_items {where} ORDER BY created_at DESC, id "
                "LIMIT %s OFFSET %s", (page_size + 1, (page - 1) * page_size))
    rows = [dict(zip(ITEM_COLUMNS, r)) for r in cur.fetchall()]
    sites = sites_of(cur, [r["id"] for r in rows[:page_size]])
    for row in rows:
        row["pickup_sites"] = sites.get(row["id"], [])
    return rows[:page_size], len(rows) > page_size


# --- redeeming -------------------------------------------------------------------------------------
def _by_key(cur, user_id, client_key):
    cur.execute(f"SELECT {', '.join(_REDEMPTION_SQL)} {_FROM} WHERE r.user_id = %s AND r.client_key = %s",
                (user_id, client_key))
    row = cur.fetchone()
    return None if row is None else dict(zip(REDEMPTION_COLUMNS, row))


def redeem(cur, user_id, data, vault):
    """Returns (redemption, created). The caller's transaction must be fresh: it is rolled back to a
    savepoint when another request with the same key won the race."""
    earlier = _by_key(cur, user_id, data["client_key"])
    found = item(cur, data["item_id"]) if earlier is None or earlier["item_id"] == data["item_id"] else None
    if earlier is not None:
        _same_request(cur, earlier, data, found, vault)
        return earlier, False
    if not found["active"]:
        raise NotFound("mall_item_not_found", item_id=str(data["item_id"]))
    method, chosen = mall_rules.handover(found, found["pickup_sites"], data)
    quantity = data["quantity"]
    cost = found["cost"] * quantity
    redemption_id = uuid.uuid4()
    sealed = masked = site_id = None
    if method == "delivery":
        sealed, masked = vault.seal(chosen, redemption_id), Json(mall_rules.masked(chosen))
    else:
        site_id = chosen["id"]
    cur.execute("SAVEPOINT redeem")
    cur.execute("INSERT INTO redemptions (id, user_id, item_id, quantity, points, status, client_key, method, "
                "pickup_site_id, delivery_sealed, delivery_masked) "
                "VALUES (%s, %s, %s, %s, %s, 'pending', %s, %s, %s, %s, %s) "
                "ON CONFLICT (user_id, client_key) DO NOTHING RETURNING id",
                (redemption_id, user_id, data["item_id"], quantity, cost, data["client_key"], method, site_id, sealed,
                 masked))
    if cur.fetchone() is None:  # the same key, committed by a concurrent request meanwhile
        cur.execute("ROLLBACK TO SAVEPOINT redeem")
        earlier = _by_key(cur, user_id, data["client_key"])
        _same_request(cur, earlier, data, found, vault)
        return earlier, False
    ledger.spend(cur, user_id, cost, "redemption", str(redemption_id))
    # the item's row is what every redemption of a popular item waits for: lock it last, for the shortest time
    cur.execute("UPDATE mall_items SET stock = stock - %s WHERE id = %s AND stock >= %s AND active RETURNING stock",
                (quantity, data["item_id"], quantity))
    if cur.fetchone() is None:
        left = item(cur, data["item_id"])["stock"]
        raise RuleBroken("out_of_stock", {"quantity": ("out_of_stock", {"stock": left})}, details={"stock": left},
                         stock=left)
    return redemption(cur, redemption_id), True


def _same_request(cur, earlier, data, found, vault):
    """The same key again must be the same request: the same item, quantity and handover."""
    if earlier["item_id"] != data["item_id"] or earlier["quantity"] != data["quantity"]:
        raise Conflict("client_key_reused", {"client_key": "client_key_reused"})
    if earlier["method"] is None:
        return  # made before handovers existed
    sites = found["pickup_sites"] if found else []
    if earlier["method"] == "pickup" and earlier["pickup_site_id"] not in [s["id"] for s in sites]:
        sites = sites + [{"id": earlier["pickup_site_id"]}]  # taken off the item since: the retry still matches
    try:
        method, chosen = mall_rules.handover(found or {"delivery": True}, sites, data)
    except KepuError:
        raise Conflict("client_key_reused", {"client_key": "client_key_reused"}) from None
    details = _sealed_details(cur, vault, earlier["id"]) if earlier["method"] == "delivery" else None
    if not mall_rules.same_handover(earlier, method, chosen, details):
        raise Conflict("client_key_reused", {"client_key": "client_key_reused"})


def _sealed_details(cur, vault, redemption_id):
    cur.execute("SELECT delivery_sealed FROM redemptions WHERE id = %s", (redemption_id,))
    row = cur.fetchone()
    return vault.open(row[0], redemption_id) if row and row[0] is not None else None


def redemption(cur, redemption_id, lock=False):
    cur.execute(f"SELECT {', '.join(_REDEMPTION_SQL)} {_FROM} WHERE r.id = %s" + (" FOR UPDATE OF r" if lock else ""),
                (redemption_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("redemption_not_found", redemption_id=str(redemption_id))
    return dict(zip(REDEMPTION_COLUMNS, row))


def own_redemption(cur, redemption_id, user_id, admin):
    """One redemption for its owner or a mall admin; anyone else finds nothing."""
    found = redemption(cur, redemption_id)
    if not admin and str(found["user_id"]) != str(user_id):
        raise NotFound("redemption_not_found", redemption_id=str(redemption_id))
    return found


def redemptions(cur, user_id, status, page, page_size):
    """A user's own (user_id set), or everyone's for the admin (user_id None)."""
    clauses, params = [], []
    if user_id is not None:
        clauses.append("r.user_id = %s")
        params.append(user_id)
    if status:
        clauses.append("r.status = %s")
        params.append(status)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    cur.execute(f"SELECT {', '.join(_REDEMPTION_SQL)} {_FROM} {where} ORDER BY r.created_at DESC, r.id "
                "LIMIT %s OFFSET %s", (*params, page_size + 1, (page - 1) * page_size))
    rows = [dict(zip(REDEMPTION_COLUMNS, r)) for r in cur.fetchall()]
    return rows[:page_size], len(rows) > page_size


# --- fulfilling, cancelling ------------------------------------------------------------------------
def fulfil(cur, redemption_id, request, admin_id):
    """Returns (redemption, changed): the carrier and tracking number, or the pickup code, recorded once."""
    found = redemption(cur, redemption_id, lock=True)
    recorded = mall_rules.fulfilment(found, request)
    if recorded is None:
        return found, False
    cur.execute("UPDATE redemptions SET status = 'fulfilled', decided_at = now(), decided_by = %s, carrier = %s, "
                "tracking_number = %s, pickup_code = %s WHERE id = %s",
                (admin_id, recorded["carrier"], recorded["tracking_number"], recorded["pickup_code"], redemption_id))
    return redemption(cur, redemption_id), True


def cancel(cur, redemption_id, actor_id, admin, reason=None):
    """Returns (redemption, changed); the points and the stock return with the change, exactly once."""
    found = redemption(cur, redemption_id, lock=True)
    if not mall_rules.check_cancel(found, actor_id, admin):
        return found, False
    by = "owner" if str(found["user_id"]) == str(actor_id) else "admin"
    cur.execute("UPDATE redemptions SET status = 'cancelled', decided_at = now(), decided_by = %s, cancelled_by = %s, "
                "cancel_reason = %s WHERE id = %s AND status = 'pending'",
                (actor_id, by, reason, redemption_id))
    cur.execute("UPDATE mall_items SET stock = stock + %s WHERE id = %s", (found["quantity"], found["item_id"]))
    ledger.append(cur, [(found["user_id"], found["points"], "redemption_cancelled", str(redemption_id))])
    return redemption(cur, redemption_id), True


def delivery_details(cur, vault, redemption_id, admin_id):
    """The full delivery details for the mall admin fulfilling the redemption; every read is recorded."""
    found = redemption(cur, redemption_id)
    details = _sealed_details(cur, vault, redemption_id)
    if details is None:
        raise NotFound("redemption_has_no_delivery", {"redemption_id": "no_delivery_details"})
    cur.execute("INSERT INTO mall_delivery_reads (redemption_id, admin_id) VALUES (%s, %s)", (redemption_id, admin_id))
    return found, details
