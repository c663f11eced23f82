"""The resource catalogue: submission, revision, withdrawal and review decisions (plain functions over a
cursor; the state rules are review_flow's)."""
import uuid

from kepu_common.interfaces.errors import Conflict, Forbidden, InvalidInput, NotFound
from kepu_common.interfaces.messages import label
from services.resources import formats, review_flow, search_text, topics, uploads
from services.resources.contracts import duration_label
from kepu_common.domain.org_admins import acting_org, is_platform_admin, orgs_of  # noqa: F401 (used by service.py)

SUBJECT_TYPE = "resource"
_COLUMNS = ("id", "org_id", "uploader_id", "type", "title", "keywords", "description", "topics", "file_upload_id",
            "file_key", "filename", "file_size", "content_type", "sha256", "thumbnail_key", "thumbnail_upload_id",
            "status", "review_comment", "downloads", "created_at", "updated_at", "published_at", "duration_seconds")
COLUMNS_SQL = ", ".join(f"r.{c}" for c in _COLUMNS)


def from_row(row):
    """A row of COLUMNS_SQL followed by the organization's name."""
    resource = dict(zip(_COLUMNS, row))
    resource["org_name"] = row[len(_COLUMNS)]
    return resource


def remember_organization(cur, org_id, name):
    """identity's org_registered: the name resources show beside an organization's resources."""
    cur.execute("INSERT INTO organizations (id, name) VALUES (%s, %s) "
                "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name", (org_id, name))


def get(cur, resource_id, lock=False):
    cur.execute(f"SELECT {COLUMNS_SQL}, o.name FROM resources r LEFT JOIN organizations o ON o.id = r.org_id "
                f"WHERE r.id = %s" + (" FOR UPDATE OF r" if lock else ""), (resource_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("resource_not_found", {"resource_id": "resource_unknown"})
    return from_row(row)


def can_manage(cur, resource, user_id):
    if user_id is None:
        return False
    return resource["org_id"] in orgs_of(cur, user_id) or is_platform_admin(cur, user_id)


def visible(cur, resource_id, user_id=None):
    """Published resources are public; others only to their organization's admins and platform admins."""
    resource = get(cur, resource_id)
    if resource["status"] != "published" and not can_manage(cur, resource, user_id):
        raise NotFound("resource_not_found", {"resource_id": "resource_unknown"})
    return resource


def _usable_upload(cur, upload_id, org_id, purpose, field):
    upload = uploads.get(cur, upload_id, lock=True)
    if upload["org_id"] != org_id:
        raise Forbidden("upload_not_yours", {field: "upload_of_another_org"})
    if upload["status"] != "complete":
        raise Conflict("upload_not_complete", {field: "upload_not_complete"}, details={"status": upload["status"]})
    if upload["purpose"] != purpose:
        raise InvalidInput("upload_of_another_purpose", {field: "upload_of_another_purpose"},
                           details={"purpose": upload["purpose"], "expected": purpose})
    cur.execute("SELECT id FROM resources WHERE (file_upload_id = %s OR thumbnail_upload_id = %s)",
                (upload_id, upload_id))
    taken = cur.fetchone()
    return upload, taken[0] if taken else None


def _files(cur, org_id, data, current=None):
    """Resolve upload ids in a submission to the file and thumbnail columns."""
    files = {}
    if data.get("upload_id") or current is None:
        upload, taken_by = _usable_upload(cur, data["upload_id"], org_id, data["type"], "upload_id")
        if taken_by and (current is None or taken_by != current["id"]):
            raise Conflict("upload_already_used", {"upload_id": "upload_already_used"})
        files.update(file_upload_id=upload["id"], file_key=upload["object_key"], filename=upload["filename"],
                     file_size=upload["size"], content_type=upload["content_type"], sha256=upload["sha256"],
                     duration_seconds=upload["duration_seconds"])
        # an image's or wall chart's own thumbnail, a video's poster frame; an owner's cover replaces the latter
        if data["type"] in formats.THUMBNAILED or upload["thumbnail_key"]:
            files.update(thumbnail_key=upload["thumbnail_key"], thumbnail_upload_id=None)
    elif current["type"] != data["type"]:
        raise InvalidInput("type_change_needs_file", {"upload_id": "required"})
    if data.get("thumbnail_upload_id"):
        if data["type"] in formats.THUMBNAILED:
            raise InvalidInput("thumbnail_from_file", {"thumbnail_upload_id": "thumbnail_from_file"})
        thumb, taken_by = _usable_upload(cur, data["thumbnail_upload_id"], org_id, "thumbnail", "thumbnail_upload_id")
        if taken_by and (current is None or taken_by != current["id"]):
            raise Conflict("upload_already_used", {"thumbnail_upload_id": "upload_already_used"})
        files.update(thumbnail_key=thumb["thumbnail_key"], thumbnail_upload_id=thumb["id"])
    return files


def submit(cur, user_id, data):
    org_id = acting_org(cur, user_id, data.get("org_id"))
    files = _files(cur, org_id, data)
    files.setdefault("thumbnail_key", None)
    files.setdefault("thumbnail_upload_id", None)
    resource_id = uuid.uuid4()
    cur.execute(
        "INSERT INTO resources (id, org_id, uploader_id, type, title, keywords, description, topics, topic_keys, "
        "file_upload_id, file_key, filename, file_size, content_type, sha256, duration_seconds, thumbnail_key, "
        "thumbnail_upload_id, status, search) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
        "%s, %s, %s, 'pending_initial', %s::tsvector)",
        (resource_id, org_id, user_id, data["type"], data["title"], data["keywords"], data["description"],
         data["topics"], topics.keys(data["topics"]), files["file_upload_id"], files["file_key"], files["filename"],
         files["file_size"], files["content_type"], files["sha256"], files["duration_seconds"],
         files["thumbnail_key"], files["thumbnail_upload_id"],
         search_text.document_vector(data["title"], data["keywords"], data["description"], data["type"])))
    return get(cur, resource_id)


def _require_manager(cur, resource, user_id, admins_too=False):
    if resource["org_id"] in orgs_of(cur, user_id):
        return
    if admins_too and is_platform_admin(cur, user_id):
        return
    raise Forbidden("resource_not_yours", {"resource_id": "resource_not_yours"})


REVISED = ("type", "title", "keywords", "description", "topics")


def revise(cur, user_id, resource_id, data):
    """New content for a resource: back to initial review (a rejected one is thereby resubmitted, a
    withdrawn one comes back). A field `data` leaves out keeps its value (PATCH); PUT's schema requires
    them all, so nothing is erased unless the request says so."""
    resource = get(cur, resource_id, lock=True)
    _require_manager(cur, resource, user_id)
    status = review_flow.after_revision(resource["status"])
    data = {**{name: resource[name] for name in REVISED}, "upload_id": None, "thumbnail_upload_id": None, **data}
    data["keywords"], data["topics"] = list(data["keywords"]), list(data["topics"])
    changes = dict(type=data["type"], title=data["title"], keywords=data["keywords"],
                   description=data["description"], topics=data["topics"], topic_keys=topics.keys(data["topics"]),
                   status=status, review_comment="")
    changes.update(_files(cur, resource["org_id"], data, current=resource))
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    changes.update(id=resource_id, search=search_text.document_vector(data["title"], data["keywords"],
                                                                       data["description"], data["type"]))
    cur.execute(f"UPDATE resources SET {assignments}, search = %(search)s::tsvector, updated_at = now() "
                f"WHERE id = %(id)s", changes)
    return resource["status"], get(cur, resource_id)


def withdraw(cur, user_id, resource_id, reason):
    resource = get(cur, resource_id, lock=True)
    _require_manager(cur, resource, user_id, admins_too=True)
    status = review_flow.after_withdrawal(resource["status"])
    cur.execute("UPDATE resources SET status = %s, review_comment = %s, withdrawn_by = %s, updated_at = now() "
                "WHERE id = %s", (status, reason, user_id, resource_id))
    return get(cur, resource_id)


def apply_decision(cur, event):
    """A review decision on a resource: (previous status, resource) or None if it no longer applies."""
    try:
        resource = get(cur, event["subject_id"], lock=True)
    except NotFound:
        return None
    status = review_flow.after_decision(resource["status"], event["stage"], event["decision"])
    if status is None:
        return None
    cur.execute("UPDATE resources SET status = %s, review_comment = %s, updated_at = now(), "
                "published_at = CASE WHEN %s = 'published' THEN now() ELSE published_at END WHERE id = %s",
                (status, event["comment"] or "", status, resource["id"]))
    return resource["status"], get(cur, resource["id"])


def preview_kind(content_type):
    """How the review UI previews a file: image, video, pdf, or None (a download link only)."""
    if content_type in ("image/jpeg", "image/png", "image/webp", "image/gif"):
        return "image"
    if content_type.startswith("video/"):
        return "video"
    return "pdf" if content_type == "application/pdf" else None


def review_snapshot(resource):
    """What a reviewer sees: the fields and the files to preview (by bucket purpose and key, never a URL)."""
    files = [{"label": "资源文件", "purpose": uploads.BUCKET, "key": resource["file_key"],
              "content_type": resource["content_type"], "kind": preview_kind(resource["content_type"])}]
    if resource["thumbnail_key"]:
        files.append({"label": "缩略图", "purpose": uploads.BUCKET, "key": resource["thumbnail_key"],
                      "content_type": "image/jpeg", "kind": "image"})
    return {"title": resource["title"], "type": resource["type"],
            "type_label": label("resource_type", resource["type"]),
            "keywords": list(resource["keywords"]), "description": resource["description"],
            "topics": list(resource["topics"]), "org_id": str(resource["org_id"]),
            "org_name": resource["org_name"] or "", "filename": resource["filename"],
            "file_size": resource["file_size"], "file_key": resource["file_key"],
            "content_type": resource["content_type"], "duration_seconds": resource["duration_seconds"],
            "duration_seconds_label": duration_label(resource["duration_seconds"]),
            "updated_at": resource["updated_at"].isoformat() if resource["updated_at"] else None,
            "thumbnail_key": resource["thumbnail_key"] or "", "files": files}


def owned(cur, org_ids, status=None, limit=20, offset=0):
    """(an organization's resources on the page, whether more follow, how many in all): an organization
    has hundreds, not millions, so the count is cheap (resources_owner index)."""
    filters, args = ["r.org_id = ANY(%s)"], [list(org_ids)]
    if status:
        filters.append("r.status = %s")
        args.append(status)
    cur.execute(f"SELECT {COLUMNS_SQL}, o.name FROM resources r LEFT JOIN organizations o ON o.id = r.org_id "
                f"WHERE {' AND '.join(filters)} ORDER BY r.updated_at DESC, r.id DESC LIMIT %s OFFSET %s",
                args + [limit + 1, offset])
    rows = [from_row(row) for row in cur.fetchall()]
    cur.execute(f"SELECT count(*) FROM resources r WHERE {' AND '.join(filters)}", args)
    return rows[:limit], len(rows) > limit, cur.fetchone()[0]


def topic_counts(cur, limit=50, offset=0):
    """(topics of published resources, each {name, key, count} with the spelling most used, most used
    first; how many topics in all)."""
    cur.execute(
        "WITH t AS (SELECT r.id, topic, topics_key FROM resources r, unnest(r.topics) AS topic, "
        "LATERAL (SELECT lower(regexp_replace(normalize(topic, NFKC), '\\s', '', 'g')) AS topics_key) k "
        "WHERE r.status = 'published'), "
        "grouped AS (SELECT topics_key, mode() WITHIN GROUP (ORDER BY topic) AS name, count(DISTINCT id) AS n "
        "FROM t "
        "WHERE topics_key <> '' GROUP BY topics_key) "
        "SELECT name, topics_key, n, count(*) OVER () FROM grouped ORDER BY n DESC, topics_key LIMIT %s OFFSET %s",
        (limit, offset))
    rows = cur.fetchall()
    total = rows[0][3] if rows else _topic_total(cur)
    return [{"name": name, "key": key, "count": count} for name, key, count, _ in rows], total


def _topic_total(cur):
    cur.execute("SELECT count(DISTINCT k) FROM resources r, unnest(r.topic_keys) AS k WHERE r.status = 'published'")
    return cur.fetchone()[0]
