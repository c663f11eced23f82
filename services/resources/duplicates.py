"""Duplicate uploads: a file whose content (SHA-256, checked on completion) is already a resource's is
flagged, never refused. The uploader sees the resources with that content they may see (their
organization's, and published ones of others); the reviewer sees every other resource with it, in the
review snapshot, with a link to each.

Plain code over a cursor; the look-up uses resources_sha256 (migration 0006).
"""
from kepu_common.interfaces.messages import label

LIMIT = 5  # a few are enough to judge; more only repeat it
_COLUMNS = ("id", "title", "status", "org_id", "org_name")
_SELECT = ("SELECT r.id, r.title, r.status, r.org_id, coalesce(o.name, '') FROM resources r "
           "LEFT JOIN organizations o ON o.id = r.org_id WHERE r.sha256 = %s ")


def link(resource_id):
    """Where the existing resource is read (the gateway's GET; the uploader's own and published ones)."""
    return f"/api/v1/resources/{resource_id}"


def _found(cur):
    return [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]


def for_uploader(cur, sha256, org_id, upload_id):
    """Resources with this content the uploader may know of: any of their organization's, published ones
    of other organizations; not one made from this very upload."""
    cur.execute(_SELECT + "AND (r.org_id = %s OR r.status = 'published') AND r.file_upload_id <> %s "
                          "ORDER BY r.created_at, r.id LIMIT %s", (sha256.lower(), org_id, upload_id, LIMIT))
    return _found(cur)


def for_reviewer(cur, sha256, resource_id):
    """Every other resource with this content, whatever its organization or status."""
    cur.execute(_SELECT + "AND r.id <> %s ORDER BY r.created_at, r.id LIMIT %s", (sha256.lower(), resource_id, LIMIT))
    return _found(cur)


def described(found):
    """As clients get them: [{resource_id, title, status, org_id, org_name, link}]."""
    return [{"resource_id": str(r["id"]), "title": r["title"], "status": r["status"], "org_id": str(r["org_id"]),
             "org_name": r["org_name"], "link": link(r["id"])} for r in found]


def snapshot_fields(found):
    """What the review snapshot gains when the content is not new: the resources' ids (duplicate_of) and,
    as the reviewer reads them, 《title》（status, organization） link for each (duplicate_of_label)."""
    if not found:
        return {}
    text = "；".join(f"《{r['title']}》（{label('resource_status', r['status'])}，{r['org_name'] or '—'}）{link(r['id'])}"
                    for r in found)
    return {"duplicate_of": [str(r["id"]) for r in found], "duplicate_of_label": text}
