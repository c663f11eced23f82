"""The directory matches the names people use: each organization keeps its search key (org_names.search_key).

A Python step because the key comes from the division list the service ships, not from anything SQL has.
The character-pair index now covers the name and its key together (a query may be either form).
"""
from yoyo import step

__depends__ = {"0005_refresh_token_families"}


def add_keys(conn):
    from services.identity.org_names import search_key

    cur = conn.cursor()
    cur.execute("ALTER TABLE organizations ADD COLUMN name_key text")
    cur.execute("SELECT id, name FROM organizations")
    rows = [(search_key(name), org_id) for org_id, name in cur.fetchall()]
    cur.executemany("UPDATE organizations SET name_key = %s WHERE id = %s", rows)
    cur.execute("ALTER TABLE organizations ALTER COLUMN name_key SET NOT NULL")
    cur.execute("DROP INDEX organizations_grams")
    cur.execute("CREATE INDEX organizations_grams ON organizations USING gin (cjk_grams(name || ' ' || name_key)) "
                "WHERE status = 'approved'")
    cur.execute("CREATE INDEX organizations_key_prefix ON organizations (name_key text_pattern_ops) "
                "WHERE status = 'approved'")


steps = [step(add_keys)]
