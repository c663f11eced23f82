"""Calendars name the host organization at its published contact as ORGANIZER (services/activities/ical.py)
instead of a placeholder address: every stored VEVENT is rendered again by the code that writes them. Each
row records when it was rendered (`rendered_at`): a listing feed's Last-Modified is the newest of them."""
from yoyo import step

__depends__ = {"0006_poster_checks"}


def render_again(conn):
    from services.activities.catalogue import _render_calendar

    cur = conn.cursor()
    cur.execute("ALTER TABLE activity_calendar ADD COLUMN rendered_at timestamptz NOT NULL DEFAULT now()")
    cur.execute("CREATE INDEX activity_calendar_rendered_at ON activity_calendar (rendered_at)")
    cur.execute("SELECT activity_id FROM activity_calendar ORDER BY activity_id")
    for (activity_id,) in cur.fetchall():
        _render_calendar(cur, activity_id)


steps = [step(render_again)]
