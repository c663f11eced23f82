"""Pings: the smallest state change that is announced as an event (proves the outbox end to end)."""
import uuid


def record(cur, message):
    ping_id = uuid.uuid4()
    cur.execute(
        "INSERT INTO pings (id, message) VALUES (%s, %s) RETURNING id, message, created_at",
        (ping_id, message),
    )
    row = cur.fetchone()
    return {"id": row[0], "message": row[1], "created_at": row[2]}
