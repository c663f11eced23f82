"""Accounts: registration by phone + SMS code + password, sign-in, profiles. Plain functions over a cursor."""
import uuid

from kepu_common.errors import Conflict, NotFound, Unauthorized
from services.identity import passwords, roles

# a hash of a random password, so that an unknown phone costs as much time as a wrong password
_DUMMY_HASH = passwords.hash_password(uuid.uuid4().hex)


def phone_taken():
    return Conflict("phone_registered", {"phone": "phone_taken"})


def phone_unknown():
    return NotFound("phone_not_registered", {"phone": "phone_not_registered"})


def existing_user_id(cur, phone):
    user_id = user_id_of(cur, phone)
    if user_id is None:
        raise phone_unknown()
    return user_id


def set_password(cur, user_id, password):
    cur.execute("UPDATE users SET password_hash = %s, updated_at = now() WHERE id = %s",
                (passwords.hash_password(password), user_id))


def user_id_of(cur, phone):
    """The account's id for a (normalized) phone, or None."""
    cur.execute("SELECT id FROM users WHERE phone = %s", (phone,))
    row = cur.fetchone()
    return row[0] if row else None


def create(cur, phone, password):
    if user_id_of(cur, phone) is not None:
        raise phone_taken()
    user_id = uuid.uuid4()
    cur.execute("INSERT INTO users (id, phone, password_hash) VALUES (%s, %s, %s)",
                (user_id, phone, passwords.hash_password(password)))
    return user_id


def authenticate(cur, phone, password):
    cur.execute("SELECT id, password_hash FROM users WHERE phone = %s", (phone,))
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


def profile(cur, user_id):
    cur.execute("SELECT id, phone, created_at FROM users WHERE id = %s", (user_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("user_not_found", {"user_id": "user_unknown"})
    return {"id": row[0], "phone": row[1], "created_at": row[2], "roles": roles.of(cur, row[0])}
