"""Shares: today's through the API (share, then the return to the app that counts it), and the past 30 days
seeded beside the metrics service by scripts.demo.metrics_history (the return path only counts "now"),
through the same domain code, then rolled up so that leaderboards, organization statistics and
recognition lists have their history."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import psycopg2

from scripts.demo.api import eventually
from scripts.demo import metrics_history as demo_history

CHANNELS = ("wechat_group", "wechat_moments", "qq_group", "qq", "weibo", "link")


def today(api, people, contents, per_person=2, workers=6):
    """Each communicator shares per_person contents today and comes back (once: a second run sees them)."""
    def share(entry):
        n, person = entry
        token = person["token"]
        if api.call("GET", "/me/stats", token)["shares_today"] >= per_person:
            return 0
        for k in range(per_person):
            content_type, content_id = contents[(n + k) % len(contents)]
            body = {"content_type": content_type, "content_id": content_id, "channel": CHANNELS[(n + k) % 6]}
            started = eventually(lambda: api.attempt("POST", "/shares", token, json=body, retry_on=(404,)),
                                 what="metrics to learn the shared content")
            api.call("POST", f"/shares/{started['share_id']}/return", token)
        eventually(lambda: api.call("GET", "/me/stats", token)["shares_today"] >= per_person,
                   what="today's returns to be counted")
        return per_person

    with ThreadPoolExecutor(workers) as pool:
        return sum(pool.map(share, enumerate(people)))


def daily_means(people, stars):
    """Shares a day per communicator: `stars` of them, spread over the organizations, share about a dozen a
    day (enough for the individual recognition threshold of 300 over a month), the others from 1 to 4."""
    step = max(1, len(people) // max(stars, 1))
    return {p["user_id"]: (12 if n % step == 0 and n // step < stars else 1 + n * 7 % 4) for n, p in enumerate(people)}


def history(database_url, people, contents, stars, days=30):
    """Seed the past days (waits until metrics has heard of every communicator)."""
    means = daily_means(people, stars)
    conn = psycopg2.connect(database_url)
    try:
        def known():
            with conn, conn.cursor() as cur:
                return not demo_history.unknown_users(cur, list(means))

        eventually(known, what="metrics to learn every communicator and their organization")
        return demo_history.seed(conn, means, contents, datetime.now(timezone.utc), days=days)
    finally:
        conn.close()
