"""The points ledger: append-only entries with their reason; a balance moves only with an entry beside it."""
from kepu_common.interfaces.errors import RuleBroken

ENTRY_COLUMNS = ("id", "delta", "reason", "reference", "created_at")


def append(cur, entries):
    """entries: [(user_id, delta, reason, reference)]. Positive entries only (earned points); spending goes
    through spend(), which refuses to overdraw."""
    if not entries:
        return
    cur.execute("INSERT INTO ledger (user_id, delta, reason, reference) "
                "SELECT * FROM unnest(%s::uuid[], %s::int[], %s::text[], %s::text[])",
                tuple(list(column) for column in zip(*[(str(u), d, r, ref) for u, d, r, ref in entries])))
    totals = {}
    for user_id, delta, _, _ in entries:
        totals[user_id] = totals.get(user_id, 0) + delta
    ordered = sorted((str(user), total) for user, total in totals.items())  # one lock order for every writer
    cur.execute("INSERT INTO balances (user_id, balance) SELECT * FROM unnest(%s::uuid[], %s::bigint[]) "
                "ON CONFLICT (user_id) DO UPDATE SET balance = balances.balance + EXCLUDED.balance",
                ([u for u, _ in ordered], [t for _, t in ordered]))


def spend(cur, user_id, amount, reason, reference):
    """Take amount points, only if the balance holds them (a conditional update: concurrent spenders
    queue on the row and each sees the other's result)."""
    cur.execute("UPDATE balances SET balance = balance - %s WHERE user_id = %s AND balance >= %s RETURNING balance",
                (amount, user_id, amount))
    row = cur.fetchone()
    if row is None:
        have = balance(cur, user_id)
        raise RuleBroken("not_enough_points", {"quantity": ("not_enough_points", {"balance": have, "needed": amount})},
                         details={"balance": have, "needed": amount}, balance=have, needed=amount)
    cur.execute("INSERT INTO ledger (user_id, delta, reason, reference) VALUES (%s, %s, %s, %s)",
                (user_id, -amount, reason, reference))
    return row[0]


def balance(cur, user_id):
    cur.execute("SELECT balance FROM balances WHERE user_id = %s", (user_id,))
    row = cur.fetchone()
    return row[0] if row else 0


def entries(cur, user_id, page, page_size):
    cur.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM ledger WHERE user_id = %s ORDER BY id DESC "
                "LIMIT %s OFFSET %s", (user_id, page_size + 1, (page - 1) * page_size))
    rows = [dict(zip(ENTRY_COLUMNS, r)) for r in cur.fetchall()]
    return rows[:page_size], len(rows) > page_size


def mismatches(cur):
    """Users whose balance is not the sum of their ledger (both directions: a balance without entries too)."""
    cur.execute(
        "SELECT coalesce(b.user_id, l.user_id), coalesce(b.balance, 0), coalesce(l.total, 0) FROM balances b "
        "FULL JOIN (SELECT user_id, sum(delta) AS total FROM ledger GROUP BY user_id) l ON l.user_id = b.user_id "
        "WHERE coalesce(b.balance, 0) <> coalesce(l.total, 0)")
    return [{"user_id": r[0], "balance": r[1], "ledger_sum": r[2]} for r in cur.fetchall()]
