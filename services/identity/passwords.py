"""Passwords: a policy users can meet, stored only as argon2id hashes."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kepu_common.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
_COMMON = frozenset({
    "12345678", "123456789", "1234567890", "87654321", "11111111", "88888888", "00000000",
    "password", "password1", "qwerty123", "abc12345", "a1234567", "iloveyou", "woaini1314",
    "qwertyui", "asdfghjk", "1qaz2wsx", "zxcvbnm1", "aa123456", "abcd1234",
})

# argon2-cffi's defaults: argon2id, RFC 9106's second recommended profile (t=3, 64 MiB, p=4)
_hasher = PasswordHasher()


def check_policy(password, phone=None):
    problems = []
    if not isinstance(password, str) or not (MIN_LENGTH <= len(password) <= MAX_LENGTH):
        problems.append(f"use {MIN_LENGTH} to {MAX_LENGTH} characters")
    else:
        if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
            problems.append("mix letters and digits")
        if password.lower() in _COMMON or (phone and phone in password) or len(set(password)) < 4:
            problems.append("too easy to guess")
    if problems:
        raise InvalidInput("The password is too weak: " + "; ".join(problems) + ".", {"password": problems})


def hash_password(password):
    return _hasher.hash(password)


def verify(password_hash, password):
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return _hasher.check_needs_rehash(password_hash)
