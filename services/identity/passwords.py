"""Passwords: a policy users can meet, stored only as argon2id hashes."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from kepu_common.interfaces.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
_COMMON = frozenset({
    "12345678", "123456789", "1234567890", "87654321", "11111111", "88888888", "00000000",
    "password", "password1", "qwerty123", "abc12345", "a1234567", "iloveyou", "woaini1314",
    "qwertyui", "asdfghjk", "1qaz2wsx", "zxcvbnm1", "aa123456", "abcd1234",
})

# argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane): ~20 ms a hash here, ~70 sign-ins/s on
# 2 cores. argon2-cffi's default (RFC 9106 low-memory: 64 MiB, t=3, p=4) costs ~114 ms and caps the
# machine near 11 sign-ins/s. Stored hashes carry their parameters; needs_rehash upgrades them at sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def policy_problems(password, phone=None):
    """The codes of the rules the password breaks, in the order a user fixes them (empty: it is fine)."""
    if not isinstance(password, str) or not (MIN_LENGTH <= len(password) <= MAX_LENGTH):
        return ["password_length"]
    problems = []
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("password_letters_and_digits")
    if password.lower() in _COMMON or (phone and phone in password) or len(set(password)) < 4:
        problems.append("password_too_easy")
    return problems


def check_policy(password, phone=None):
    problems = policy_problems(password, phone)
    if problems:
        raise InvalidInput("password_too_weak", {"password": (problems[0], {"min": MIN_LENGTH, "max": MAX_LENGTH})},
                           details={"password_rules_broken": problems})


# argon2 releases the GIL: run it on a real thread, or each hash would stall every green thread of the service
def hash_password(password):
    return tpool.execute(_hasher.hash, password)


def verify(password_hash, password):
    try:
        return tpool.execute(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return _hasher.check_needs_rehash(password_hash)
