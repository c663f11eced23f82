"""Phones no longer in clear (issue 29): users and organizations keep a keyed HMAC (look-up), an AES-GCM
ciphertext bound to the row and the masked form; SMS codes keep the HMAC only; rate-limit windows that named a
phone are dropped (they last an hour at most, and new ones name the HMAC).

A Python step because the keys come from identity's secret (IDENTITY.secret_key_file, the file the service
reads): existing rows are converted here, before the clear columns are dropped. An empty database (a fresh
install, the tests' template) needs no secret.
"""
import base64
from pathlib import Path

from yoyo import step

__depends__ = {"0008_area_evidence_and_changes", "0008_notifications"}


def _vault():
    from kepu_common.cli import service_config
    from services.identity.phone_vault import PhoneVault

    secret_file = service_config("identity")["IDENTITY"]["secret_key_file"]
    return PhoneVault(base64.b64decode(Path(secret_file).read_text().strip()))


def seal_phones(conn):
    cur = conn.cursor()
    cur.execute("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM organizations) + "
                "(SELECT count(*) FROM sms_codes)")
    vault = _vault() if cur.fetchone()[0] else None

    cur.execute("ALTER TABLE users ADD COLUMN phone_lookup bytea, ADD COLUMN phone_sealed bytea, "
                "ADD COLUMN phone_masked text")
    cur.execute("SELECT id, phone FROM users")
    cur.executemany("UPDATE users SET phone_lookup = %s, phone_sealed = %s, phone_masked = %s WHERE id = %s",
                    [(*vault.columns(phone, user_id), user_id) for user_id, phone in cur.fetchall()])
    cur.execute("ALTER TABLE users DROP COLUMN phone")
    cur.execute("ALTER TABLE users ALTER COLUMN phone_lookup SET NOT NULL, ALTER COLUMN phone_sealed SET NOT NULL, "
                "ALTER COLUMN phone_masked SET NOT NULL")
    cur.execute("CREATE UNIQUE INDEX users_phone_lookup ON users (phone_lookup)")

    cur.execute("ALTER TABLE organizations ADD COLUMN contact_phone_sealed bytea, "
                "ADD COLUMN contact_phone_masked text")
    cur.execute("SELECT id, contact_phone FROM organizations")
    cur.executemany("UPDATE organizations SET contact_phone_sealed = %s, contact_phone_masked = %s WHERE id = %s",
                    [(*vault.columns(phone, org_id)[1:], org_id) for org_id, phone in cur.fetchall()])
    cur.execute("ALTER TABLE organizations DROP COLUMN contact_phone")
    cur.execute("ALTER TABLE organizations ALTER COLUMN contact_phone_sealed SET NOT NULL, "
                "ALTER COLUMN contact_phone_masked SET NOT NULL")

    cur.execute("ALTER TABLE sms_codes ADD COLUMN phone_lookup bytea")
    cur.execute("SELECT DISTINCT phone FROM sms_codes")
    cur.executemany("UPDATE sms_codes SET phone_lookup = %s WHERE phone = %s",
                    [(vault.lookup_key(phone), phone) for (phone,) in cur.fetchall()])
    cur.execute("DROP INDEX sms_codes_live")
    cur.execute("ALTER TABLE sms_codes DROP COLUMN phone")
    cur.execute("ALTER TABLE sms_codes ALTER COLUMN phone_lookup SET NOT NULL")
    cur.execute("CREATE INDEX sms_codes_live ON sms_codes (phone_lookup, purpose, id DESC) WHERE consumed_at IS NULL")

    cur.execute(r"DELETE FROM rate_limits WHERE key ~ '1[3-9][0-9]{9}'")


steps = [step(seal_phones)]
