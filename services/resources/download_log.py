"""Download requests recorded and counted (the rules are in services/resources/downloads.py): every
request becomes a row of download_events; a counted one also moves resources.downloads.

Requests of one visitor for one resource are taken one at a time (a transaction-scoped advisory lock on
the pair), so 200 requests arriving together see each other and count once; other visitors and other
resources do not wait. Times are the database's clock, the one every replica shares.
"""
from kepu_common.errors import NotFound
from services.resources import downloads

_RESOURCE = ("id", "org_id", "type", "file_key", "filename")


def record(cur, resource_id, user_id, client_address, user_agent):
    """(the resource's link fields, outcome, when) for one download request of a published resource, or NotFound."""
    cur.execute("SELECT id, org_id, type, file_key, filename FROM resources WHERE id = %s AND status = 'published'",
                (resource_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("resource_not_found", {"resource_id": "resource_unknown"})
    resource = dict(zip(_RESOURCE, row))
    visitor = downloads.visitor_key(user_id, client_address, user_agent)
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"download:{resource['id']}:{visitor}",))
    cur.execute("SELECT clock_timestamp(), (SELECT at FROM download_events WHERE resource_id = %s AND visitor = %s "
                "ORDER BY at DESC LIMIT 1)", (resource["id"], visitor))
    now, previous_at = cur.fetchone()
    outcome = downloads.outcome(user_agent, previous_at, now)
    agent = user_agent[:downloads.USER_AGENT_MAX] if user_agent is not None else None
    cur.execute("INSERT INTO download_events (resource_id, at, user_id, client_address, user_agent, visitor, outcome) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (resource["id"], now, str(user_id) if user_id else None, client_address or "", agent, visitor, outcome))
    if outcome == downloads.COUNTED:
        cur.execute("UPDATE resources SET downloads = downloads + 1 WHERE id = %s", (resource["id"],))
    return resource, outcome, now
