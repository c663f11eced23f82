"""The points mall: items with a cost and a stock; redemptions as records with a status.

A redemption takes stock and points with conditional updates in one transaction (CHECK constraints on
stock and balance are the last line), so concurrent redemptions never overdraw either. The client's key
makes it idempotent: the same key returns the first redemption.
"""
import uuid

from kepu_common.errors import Conflict, NotFound, RuleBroken
from services.metrics import ledger

ITEM_COLUMNS = ("id", "name", "description", "cost", "stock", "active", "created_at")
REDEMPTION_COLUMNS = ("id", "user_id", "item_id", "quantity", "points", "status", "client_key", "created_at",
                      "decided_at", "decided_by")


def create_item(cur, data):
    item_id = uuid.uuid4()
    cur.execute("INSERT INTO mall_items (id, name, description, cost, stock, active) VALUES (%s, %s, %s, %s, %s, %s)",
                (item_id, data["name"], data.get("description", ""), data["cost"], data["stock"],
                 data.get("active", True)))
    return item(cur, item_id)


def update_item(cur, item_id, changes):
    item(cur, item_id)
    values = {k: changes[k] for k in ("name", "description", "cost", "stock", "active") if k in changes}
    if values:
        assignments = ", ".join(f"{k} = %({k})s" for k in values)
        cur.execute(f"UPDATE mall_items SET {assignments} WHERE id = %(item_id)s", {**values, "item_id": item_id})
    return item(cur, item_id)


def item(cur, item_id, lock=False):
    cur.execute(f"SELECT {', '.join(ITEM_COLUMNS)} FROM mall_items WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                (item_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("mall_item_not_found", item_id=str(item_id))
    return dict(zip(ITEM_COLUMNS, row))


def items(cur, include_inactive, page, page_size):
    where = "" if include_inactive else "WHERE active"
    cur.execute(f"SELECT {', '.join(ITEM_COLUMNS)} FROM mall_items {where} ORDER BY created_at DESC, id "
                "LIMIT %s OFFSET %s", (page_size + 1, (page - 1) * page_size))
    rows = [dict(zip(ITEM_COLUMNS, r)) for r in cur.fetchall()]
    return rows[:page_size], len(rows) > page_size


def _by_key(cur, user_id, client_key):
    cur.execute(f"SELECT {', '.join(REDEMPTION_COLUMNS)} FROM redemptions WHERE user_id = %s AND client_key = %s",
                (user_id, client_key))
    row = cur.fetchone()
    return None if row is None else dict(zip(REDEMPTION_COLUMNS, row))


def redeem(cur, user_id, data):
    """Returns (redemption, created). The caller's transaction must be fresh: it is rolled back to a
    savepoint when another request with the same key won the race."""
    earlier = _by_key(cur, user_id, data["client_key"])
    if earlier is not None:
        _same_request(earlier, data)
        return earlier, False
    found = item(cur, data["item_id"])
    if not found["active"]:
        raise NotFound("mall_item_not_found", item_id=str(data["item_id"]))
    quantity = data["quantity"]
    cost = found["cost"] * quantity
    redemption_id = uuid.uuid4()
    cur.execute("SAVEPOINT redeem")
    cur.execute("INSERT INTO redemptions (id, user_id, item_id, quantity, points, status, client_key) "
                "VALUES (%s, %s, %s, %s, %s, 'pending', %s) ON CONFLICT (user_id, client_key) DO NOTHING RETURNING id",
                (redemption_id, user_id, data["item_id"], quantity, cost, data["client_key"]))
    if cur.fetchone() is None:  # the same key, committed by a concurrent request meanwhile
        cur.execute("ROLLBACK TO SAVEPOINT redeem")
        earlier = _by_key(cur, user_id, data["client_key"])
        _same_request(earlier, data)
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


def _same_request(earlier, data):
    if earlier["item_id"] != data["item_id"] or earlier["quantity"] != data["quantity"]:
        raise Conflict("client_key_reused", {"client_key": "client_key_reused"})


def redemption(cur, redemption_id, lock=False):
    cur.execute(f"SELECT {', '.join(REDEMPTION_COLUMNS)} FROM redemptions WHERE id = %s"
                + (" FOR UPDATE" if lock else ""), (redemption_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("redemption_not_found", redemption_id=str(redemption_id))
    return dict(zip(REDEMPTION_COLUMNS, row))


def redemptions(cur, user_id, status, page, page_size):
    """A user's own (user_id set), or everyone's for the admin (user_id None)."""
    clauses, params = [], []
    if user_id is not None:
        clauses.append("user_id = %s")
        params.append(user_id)
    if status:
        clauses.append("status = %s")
        params.append(status)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    cur.execute(f"SELECT {', '.join(REDEMPTION_COLUMNS)} FROM redemptions {where} ORDER BY created_at DESC, id "
                "LIMIT %s OFFSET %s", (*params, page_size + 1, (page - 1) * page_size))
    rows = [dict(zip(REDEMPTION_COLUMNS, r)) for r in cur.fetchall()]
    return rows[:page_size], len(rows) > page_size


def decide(cur, redemption_id, action, admin_id):
    """fulfil or cancel a pending redemption; cancelling returns its points and stock. Asking again for
    what is already done answers the same; the other decision is a conflict."""
    found = redemption(cur, redemption_id, lock=True)
    target = "fulfilled" if action == "fulfil" else "cancelled"
    if found["status"] == target:
        return found
    if found["status"] != "pending":
        raise Conflict("redemption_already_decided", {"status": "already_decided"},
                       details={"status": found["status"]}, status=found["status"])
    cur.execute("UPDATE redemptions SET status = %s, decided_at = now(), decided_by = %s WHERE id = %s",
                (target, admin_id, redemption_id))
    if target == "cancelled":
        cur.execute("UPDATE mall_items SET stock = stock + %s WHERE id = %s", (found["quantity"], found["item_id"]))
        ledger.append(cur, [(found["user_id"], found["points"], "redemption_cancelled", str(redemption_id))])
    return redemption(cur, redemption_id)
