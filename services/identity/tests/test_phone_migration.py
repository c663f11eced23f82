"""Migration 0009 seals the phones an earlier version stored in clear (users, organization contacts, SMS codes)
and drops the rate-limit windows that named a phone; accounts made before it still sign in."""
import os
import shutil
import uuid

import psycopg2

from kepu_common.cli import ROOT
from kepu_common.data.migrations import apply_migrations
from kepu_common.devtools.testing import DATABASE_SERVER, drop_database
from services.identity import accounts, passwords, sms
from services.identity.dependencies import read_secret
from services.identity.phone_vault import PhoneVault

MIGRATIONS = ROOT / "services" / "identity" / "migrations"


def test_phones_stored_in_clear_are_sealed_and_their_accounts_still_sign_in(tmp_path, jwt_keys):
    before = tmp_path / "before"
    before.mkdir()
    for path in MIGRATIONS.iterdir():  # the migrations of the version before this one
        if path.name[:4] < "0009" and path.suffix in (".sql", ".py"):
            shutil.copy(path, before / path.name)
    name = f"kepu_mig_{uuid.uuid4().hex[:8]}"
    url = f"{DATABASE_SERVER}/{name}"
    vault = PhoneVault(read_secret(os.environ["IDENTITY_SECRET_KEY_FILE"]))  # conftest: the services' secret
    user_id, org_id = uuid.uuid4(), uuid.uuid4()
    try:
        apply_migrations(url, before)
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("INSERT INTO users (id, phone, password_hash) VALUES (%s, '13800170001', %s)",
                        (str(user_id), passwords.hash_password("kepu2026science")))
            cur.execute("INSERT INTO organizations (id, name, name_key, category, region_code, region_path, "
                        "licence_key, contact_name, contact_phone, registrant_id, status) VALUES (%s, '朝阳区科协', "
                        "'朝阳区科协', 'county_cast', '110105', ARRAY['110000','110100','110105'], 'licences/x', '李联络', "
                        "'010-65000000', %s, 'pending')", (str(org_id), str(user_id)))
            cur.execute("INSERT INTO sms_codes (phone, purpose, code_hmac, expires_at) VALUES "
                        "('13800170001', 'login', %s, now() + interval '5 minutes')",
                        (sms.code_hmac(b"secret", "13800170001", "123456"),))
            cur.execute("INSERT INTO rate_limits (key, window_start, hits) VALUES ('sms:13800170001', now(), 1), "
                        "('sms-ip:10.0.0.1', now(), 1)")

        assert apply_migrations(url, MIGRATIONS) == ["0009_phones_sealed", "0010_known_sources"]

        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            assert accounts.user_id_of(cur, vault, "13800170001") == user_id
            assert accounts.authenticate(cur, vault, "13800170001", "kepu2026science") == user_id
            assert accounts.profile(cur, vault, user_id)["phone"] == "13800170001"
            cur.execute("SELECT contact_phone_masked, contact_phone_sealed FROM organizations")
            masked, sealed = cur.fetchone()
            assert masked == "010****0000" and vault.open(sealed, org_id) == "010-65000000"
            cur.execute("SELECT count(*) FROM sms_codes WHERE phone_lookup = %s", (vault.lookup_key("13800170001"),))
            assert cur.fetchone() == (1,)
            cur.execute("SELECT key FROM rate_limits")
            assert cur.fetchall() == [("sms-ip:10.0.0.1",)]
            # no column keeps a phone in clear
            cur.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                        "AND column_name IN ('phone', 'contact_phone')")
            assert cur.fetchall() == []
    finally:
        drop_database(name)
