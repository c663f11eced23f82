"""Identity's admin commands.

    python -m services.identity.cli create-admin --phone 13800138000      # asks for the password
    echo "$PASSWORD" | python -m services.identity.cli create-admin --phone 13800138000 --password-stdin

Makes the account if the phone is new (the password must pass the usual policy) and grants it
platform_admin, audited as done by the command line. Run it where the identity service's config and
database are reachable; it applies identity's migrations first.
"""
import argparse
import getpass
import sys

import psycopg2

from kepu_common.cli import ROOT, service_config
from kepu_common.interfaces.errors import KepuError, problem_of, render
from kepu_common.data.migrations import apply_migrations
from kepu_common.bus.outbox import OutboxWriter
from services.identity import accounts, passwords, phones, roles
from services.identity.dependencies import read_secret
from services.identity.phone_vault import PhoneVault


def create_admin(database_url, phone, password, secret_key_file=None):
    """secret_key_file: identity's secret (phones are found by its keyed HMAC); by default the service's own,
    IDENTITY_SECRET_KEY_FILE or the config's default."""
    phone = phones.normalize(phone)
    vault = PhoneVault(read_secret(secret_key_file or service_config("identity")["IDENTITY"]["secret_key_file"]))
    apply_migrations(database_url, ROOT / "services" / "identity" / "migrations")
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        user_id = accounts.user_id_of(cur, vault, phone)
        if user_id is None:
            passwords.check_policy(password, phone)
            user_id = accounts.create(cur, vault, phone, password)
            OutboxWriter("identity").add(cur, "user_registered", user_id=user_id,
                                         registered_at=accounts.profile(cur, vault, user_id)["created_at"].isoformat())
        if roles.grant(cur, user_id, "platform_admin", "", None, "granted by the create-admin command"):
            OutboxWriter("identity").add(cur, "role_granted", user_id=user_id, role="platform_admin", scope="",
                                         actor_id=None)
    return user_id


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.identity.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-admin", help="make (or promote) a platform admin")
    create.add_argument("--phone", required=True)
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv)

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        try:
            if not sys.stdin.isatty():
                raise EOFError
            password = getpass.getpass("Password: ")
        except EOFError:  # no terminal to ask on (a script, a pipe, CI)
            print("no terminal to ask for the password on: send it on standard input with --password-stdin",
                  file=sys.stderr)
            return 2
    try:
        user_id = create_admin(service_config("identity")["DATABASE_URL"], args.phone, password)
    except KepuError as exc:
        problem = render(problem_of(exc), "en")["error"]
        fields = "; ".join(f"{name}: {value['message']}" for name, value in problem["fields"].items())
        print(f"refused: {problem['message']} {fields}".rstrip(), file=sys.stderr)
        return 2
    print(f"platform admin: {user_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
