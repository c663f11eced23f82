"""Accounts: registration by phone + SMS code + password, sign-in, profiles. Plain functions over a cursor."""
import uuid

from kepu_common.interfaces.errors import Conflict, NotFound, Unauthorized
from services.identity import passwords, phones, roles

# a hash of a random password, so that an unknown phone costs as much time as a wrong password
_DUMMY_HASH = passwords.hash_password(uuid.uuid4().hex)


def phone_taken():
    return Conflict("phone_registered", {"phone": "phone_taken"})


def set_password(cur, user_id, password):
    cur.execute("UPDATE users SET password_hash = %s, updated_at = now() WHERE id = %s",
                (passwords.hash_password(password), user_id))


def user_id_of(cur, vault, phone):
    """The account's id for a (normalized) phone, or None (found by the phone's keyed HMAC: phone_vault)."""
    cur.execute("SELECT id FROM users WHERE phone_lookup = %s", (vault.lookup_key(phone),))
    row = cur.fetchone()
    return row[0] if row else None


def create(cur, vault, phone, password):
    if user_id_of(cur, vault, phone) is not None:
        raise phone_taken()
    user_id = uuid.uuid4()
    cur.execute("INSERT INTO users (id, phone_lookup, phone_sealed, phone_masked, password_hash) "
                "VALUES (%s, %s, %s, %s, %s)", (user_id, *vault.columns(phone, user_id), passwords.hash_password(password)))
    return user_id


def authenticate(cur, vault, phone, password):
    cur.execute("SELECT id, password_hash FROM users WHERE phone_lookup = %s", (vault.lookup_key(phone),))
    row = cur.fetchone()
    if row is None:
        passwords.verify(_DUMMY_HASH, password)
        raise Unauthorized("login_failed")
    user_id, password_hash = row
    if not passwords.verify(password_hash, password):
        raise Unauthorized("login_failed")
    if passwords.needs_rehash(password_hash):
        cur.execute("UPDATE users SET password_hash = %s, updated_at = now() WHERE id = %s",
                    (passwords.hash_password(password), user_id))
    return user_id


KNOWN_SOURCE_DAYS = 90


def remember_source(cur, user_id, source_key):
    """The account signed in by password from this source: its password is always checked from there."""
    cur.execute("INSERT INTO known_sources (user_id, source_key) VALUES (%s, %s) ON CONFLICT (user_id, source_key) "
                "DO UPDATE SET last_seen = now()", (user_id, source_key))


def is_known_source(cur, user_id, source_key):
    if user_id is None:
        return False
    cur.execute("SELECT 1 FROM known_sources WHERE user_id = %s AND source_key = %s AND "
                "last_seen > now() - %s * interval '1 day'", (user_id, source_key, KNOWN_SOURCE_DAYS))
    return cur.fetchone() is not None


def purge_sources(cur):
    cur.execute("DELETE FROM known_sources WHERE last_seen < now() - %s * interval '1 day'", (KNOWN_SOURCE_DAYS,))


def profile(cur, vault, user_id):
    """The account as its owner sees it: the phone in full (opened from its ciphertext)."""
    cur.execute("SELECT id, phone_sealed, created_at FROM users WHERE id = %s", (user_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("user_not_found", {"user_id": "user_unknown"})
    return {"id": row[0], "phone": vault.open(row[1], row[0]), "created_at": row[2], "roles": roles.of(cur, row[0])}


def masked_name(name):
    """王*明, 王*, 欧**明: the first and last characters of a real name, the rest hidden."""
    if not name:
        return None
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def find_by_phone(cur, vault, phone):
    """The account with exactly this (normalized) phone, as an admin picks it: masked phone and name,
    whether real-name verified, roles; [] when none."""
    cur.execute("SELECT u.id, u.created_at, (SELECT real_name FROM verifications v WHERE v.user_id = u.id AND "
                "v.status = 'approved' LIMIT 1) FROM users u WHERE u.phone_lookup = %s", (vault.lookup_key(phone),))
    found = []
    for user_id, created_at, real_name in cur.fetchall():
        found.append({"id": user_id, "phone": phones.masked(phone), "real_name": masked_name(real_name),
                      "verified": real_name is not None, "roles": roles.of(cur, user_id), "created_at": created_at})
    return found


def org_applications(cur, user_id):
    """The organizations the user registered, newest first, with their status and the reviewer's reason."""
    from kepu_common.interfaces.messages import label

    cur.execute("SELECT id, name, status, review_comment, created_at, decided_at FROM organizations "
                "WHERE registrant_id = %s ORDER BY created_at DESC", (user_id,))
    keys = ("id", "name", "status", "review_comment", "created_at", "decided_at")
    rows = [dict(zip(keys, row)) for row in cur.fetchall()]
    for row in rows:
        row["status_label"] = label("org_status", row["status"])
    return rows
