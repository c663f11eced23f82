"""Receipts of identity's ping events; a receipt counts how many times its event was applied."""
import uuid

import psycopg2.extras


def record(cur, events):
    if not events:
        return
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO ping_receipts (ping_id, event_id, message, sent_at) VALUES %s "
        "ON CONFLICT (ping_id) DO UPDATE SET applied = ping_receipts.applied + 1",
        [(e["ping_id"], e["event_id"], e["message"], e["occurred_at"]) for e in events],
        page_size=1000,
    )


def find(cur, ping_id):
    try:
        ping_id = uuid.UUID(str(ping_id))
    except ValueError:
        return None
    cur.execute(
        "SELECT ping_id, event_id, message, sent_at, received_at, applied FROM ping_receipts WHERE ping_id = %s",
        (ping_id,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    keys = ("ping_id", "event_id", "message", "sent_at", "received_at", "applied")
    return dict(zip(keys, row))
