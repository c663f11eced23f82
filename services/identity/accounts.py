"""Accounts: registration by phone + SMS code + password, sign-in, profiles. Plain functions over a cursor."""
import uuid

from kepu_common.errors import Conflict, NotFound, Unauthorized
from services.identity import passwords, roles

# a hash of a random password, so that an unknown phone costs as much time as a wrong password
_DUMMY_HASH = passwords.hash_password(uuid.uuid4().hex)


def create(cur, phone, password):
    cur.execute("SELECT 1 FROM users WHERE phone = %s", (phone,))
    if cur.fetchone():
        raise Conflict("This phone number is already registered: sign in instead.", {"phone": "already registered"})
    user_id = uuid.uuid4()
    cur.execute("INSERT INTO users (id, phone, password_hash) VALUES (%s, %s, %s)",
                (user_id, phone, passwords.hash_password(password)))
    return user_id


def authenticate(cur, phone, password):
    cur.execute("SELECT id, password_hash FROM users WHERE phone = %s", (phone,))
    row = cur.fetchone()
    if row is None:
        passwords.verify(_DUMMY_HASH, password)
        raise Unauthorized("Wrong phone number or password.", {})
    user_id, password_hash = row
    if not passwords.verify(password_hash, password):
        raise Unauthorized("Wrong phone number or password.", {})
    if passwords.needs_rehash(password_hash):
        cur.execute("UPDATE users SET password_hash = %s, updated_at = now() WHERE id = %s",
                    (passwords.hash_password(password), user_id))
    return user_id


def profile(cur, user_id):
    cur.execute("SELECT id, phone, created_at FROM users WHERE id = %s", (user_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("No such user.", {"user_id": "unknown"})
    return {"id": row[0], "phone": row[1], "created_at": row[2], "roles": roles.of(cur, row[0])}
