"""The public listing searches name, hosts and venue (`q`) with the character-pair terms resources use
(services/resources/search_text.py: a 2-character word is one GIN lookup); the official/local split reads
the supervising category. A Python step: the terms are computed by the same code that writes them.
"""
from yoyo import step

__depends__ = {"0003_followup_evidence_and_nominations"}


def add_search(conn):
    from services.activities.catalogue import listing_search_vector

    cur = conn.cursor()
    cur.execute("ALTER TABLE activity_listing ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector")
    cur.execute("SELECT l.activity_id, v.data FROM activity_listing l "
                "JOIN activity_versions v ON v.activity_id = l.activity_id AND v.revision = l.revision")
    rows = [(listing_search_vector(data), activity_id) for activity_id, data in cur.fetchall()]
    cur.executemany("UPDATE activity_listing SET search = %s::tsvector WHERE activity_id = %s", rows)
    cur.execute("CREATE INDEX listing_search ON activity_listing USING gin (search) WHERE shelf = 'on'")


steps = [step(add_search)]
