"""Download requests recorded and counted (the rules are in services/resources/downloads.py): every
request becomes a row of download_events; a counted one also moves resources.downloads.

Requests of one visitor for one resource are taken one at a time (a transaction-scoped advisory lock on
the pair; for a visitor who is not signed in, on the resource and the address's network, so the address
caps see every request of the network), so 200 requests arriving together see each other and count once;
other visitors and other resources do not wait. Times are the database's clock, the one every replica
shares. After downloads.RAW_RETENTION an event keeps its network, not its address or user agent
(truncate_old).
"""
from kepu_common.interfaces.errors import NotFound
from services.resources import downloads

_RESOURCE = ("id", "org_id", "type", "file_key", "filename")
TRUNCATE_BATCH = 10_000


def record(cur, resource_id, user_id, client_address, user_agent):
    """(the resource's link fields, outcome, when) for one download request of a published resource, or NotFound."""
    cur.execute("SELECT id, org_id, type, file_key, filename FROM resources WHERE id = %s AND status = 'published'",
                (resource_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("resource_not_found", {"resource_id": "resource_unknown"})
    resource = dict(zip(_RESOURCE, row))
    visitor = downloads.visitor_key(user_id, client_address, user_agent)
    network = downloads.network_of(client_address)
    anonymous = not user_id and bool(network)
    lock = f"download:{resource['id']}:net:{network}" if anonymous else f"download:{resource['id']}:{visitor}"
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock,))
    cur.execute("SELECT clock_timestamp(), (SELECT at FROM download_events WHERE resource_id = %s AND visitor = %s "
                "ORDER BY at DESC LIMIT 1)", (resource["id"], visitor))
    now, previous_at = cur.fetchone()
    from_address = from_network = 0
    if anonymous:
        cur.execute("SELECT count(*) FILTER (WHERE client_address = %s), count(*) FROM download_events "
                    "WHERE resource_id = %s AND network = %s AND user_id IS NULL AND outcome = 'counted' AND at > %s",
                    (client_address, resource["id"], network, now - downloads.CAP_WINDOW))
        from_address, from_network = cur.fetchone()
    outcome = downloads.outcome(user_agent, previous_at, now, from_address, from_network)
    agent = user_agent[:downloads.USER_AGENT_MAX] if user_agent is not None else None
    cur.execute("INSERT INTO download_events (resource_id, at, user_id, client_address, network, user_agent, visitor, "
                "outcome) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (resource["id"], now, str(user_id) if user_id else None, client_address or "", network, agent, visitor,
                 outcome))
    if outcome == downloads.COUNTED:
        cur.execute("UPDATE resources SET downloads = downloads + 1 WHERE id = %s", (resource["id"],))
    return resource, outcome, now


def truncate_old(cur, batch=TRUNCATE_BATCH):
    """Events older than downloads.RAW_RETENTION lose their full address (it becomes its network) and their
    user agent (the outcome already says whether it was a robot); at most `batch` at a time. Returns how
    many were truncated."""
    cur.execute("UPDATE download_events SET client_address = network, user_agent = NULL, raw = false "
                "WHERE id IN (SELECT id FROM download_events WHERE raw AND at < clock_timestamp() - %s "
                "ORDER BY at LIMIT %s)", (downloads.RAW_RETENTION, batch))
    return cur.rowcount
