"""The social half's two costs (issue 27), same-run baselines:

1. The sensitive-word check per comment with a 10,000-word list: services.resources.sensitive_words (NFKC,
   OpenCC t2s, invisible and punctuation characters dropped, one pyahocorasick pass) beside a plain Python
   `word in text` scan of the same list over the raw text (which finds none of the disguised words).
2. A comment page and a community feed with 1,000,000 comments: the production queries (comments.page,
   communities.posts, communities.highlights) called directly over psycopg2, so the figures are the
   database's and the query code's (the RPC and gateway overhead is the gateway benchmark's). 1,000,000
   comments: 600,000 on one post (the worst page), the rest spread over 2,000 other posts; 200,000 posts in
   one community (its feed) and 100 other communities.

The data lives in its own database (kepu_bench_social, or BENCH_SOCIAL_DATABASE), dropped at the end unless
BENCH_SOCIAL_KEEP=1. Run: .venv/bin/python bench/social.py
"""
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402

from kepu_common.data.migrations import apply_migrations  # noqa: E402
from kepu_common.devtools.testing import DATABASE_SERVER, drop_database  # noqa: E402
from services.resources import comments, communities  # noqa: E402
from services.resources.sensitive_words import WordList  # noqa: E402

DATABASE = os.environ.get("BENCH_SOCIAL_DATABASE", "kepu_bench_social")
MIGRATIONS = ROOT / "services" / "resources" / "migrations"
SEED = 27
COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可也你说年着能下过子天"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def word_check(rng):
    cjk = [chr(c) for c in range(0x4E00, 0x9FA5)]
    words = list({"".join(rng.choice(cjk) for _ in range(rng.randint(2, 4))) for _ in range(10_400)})[:10_000]
    listed = WordList(words)
    texts = []
    for n in range(2000):
        text = "".join(rng.choice(COMMON) for _ in range(rng.randint(20, 140)))
        if n % 10 == 0:  # one comment in ten carries a listed word, half of them disguised with a zero-width space
            word = rng.choice(words)
            word = word[0] + "\u200b" + word[1:] if n % 20 == 0 else word
            cut = rng.randint(0, len(text))
            text = text[:cut] + word + text[cut:]
        texts.append(text)

    def per_comment(check, rounds=3):
        best = None
        for _ in range(rounds):
            start = time.perf_counter()
            for text in texts:
                check(text)
            elapsed = (time.perf_counter() - start) / len(texts) * 1e6
            best = elapsed if best is None else min(best, elapsed)
        return best

    ac = per_comment(listed.hits)
    plain = per_comment(lambda text: [w for w in words if w in text])
    found_ac = sum(1 for t in texts if listed.hits(t))
    found_plain = sum(1 for t in texts if any(w in t for w in words))
    print(f"word check, 10,000 words, {len(texts)} comments of 20-140 characters (best of 3):")
    print(f"  normalized + Aho-Corasick: {ac:.1f} µs per comment, {found_ac} comments held")
    print(f"  plain `in` scan, raw text: {plain:.1f} µs per comment, {found_plain} comments found "
          f"(misses the zero-width-disguised ones)")


def load(cur, rng):
    community = uuid.uuid4()
    creator = uuid.uuid4()
    cur.execute("INSERT INTO communities (id, name, name_key, intro, rules, region_code, topic, creator_id, status) "
                "SELECT CASE WHEN n = 0 THEN %s::uuid ELSE gen_random_uuid() END, '社团' || n, 'st' || n, '简介', '规则', "
                "'110105', '科学防疫', %s, 'approved' FROM generate_series(0, 100) n", (str(community), str(creator)))
    cur.execute("INSERT INTO community_members (community_id, user_id, name, role) "
                "SELECT %s, gen_random_uuid(), '王*明', 'member' FROM generate_series(1, 5000)", (str(community),))
    # 200,000 posts in the measured community, 100,000 in the others; a few pinned, likes skewed
    cur.execute("INSERT INTO community_posts (id, community_id, author_id, author_name, body, status, likes, "
                "pinned_at, created_at, published_at) "
                "SELECT gen_random_uuid(), CASE WHEN n <= 200000 THEN %s::uuid ELSE (SELECT id FROM communities "
                "WHERE name = '社团' || (1 + n %% 100)) END, gen_random_uuid(), '李*红', '动态内容' || n, "
                "'published', (random() ^ 4 * 500)::int, CASE WHEN n %% 50000 = 0 THEN now() END, "
                "now() - n * interval '1 minute', now() - n * interval '1 minute' FROM generate_series(1, 300000) n",
                (str(community),))
    cur.execute("SELECT id FROM community_posts WHERE community_id = %s ORDER BY published_at DESC LIMIT 2001",
                (str(community),))
    posts = [r[0] for r in cur.fetchall()]
    hot, others = posts[0], posts[1:]
    cur.execute("CREATE TEMP TABLE targets (n int, id uuid)")
    cur.execute("INSERT INTO targets SELECT ordinality::int - 1, id FROM unnest(%s::uuid[]) WITH ORDINALITY AS t(id)",
                (others,))
    cur.execute("INSERT INTO comments (id, target_type, target_id, author_id, author_name, body, status, likes, "
                "created_at) SELECT gen_random_uuid(), 'post', %s, gen_random_uuid(), '张*', '评论' || n, "
                "'published', (random() ^ 6 * 1000)::int, now() - n * interval '1 second' "
                "FROM generate_series(1, 600000) n", (str(hot),))
    cur.execute("INSERT INTO comments (id, target_type, target_id, author_id, author_name, body, status, likes, "
                "created_at) SELECT gen_random_uuid(), 'post', t.id, gen_random_uuid(), '张*', '评论' || g.i, "
                "'published', (random() ^ 6 * 1000)::int, now() - g.i * interval '1 second' "
                "FROM generate_series(1, 400000) g(i) JOIN targets t ON t.n = g.i %% 2000", ())
    # replies under the first page's comments, so the page's reply look-up has work to do
    cur.execute("INSERT INTO comments (id, target_type, target_id, parent_id, author_id, author_name, body, status, "
                "created_at) SELECT gen_random_uuid(), 'post', %s, c.id, gen_random_uuid(), '王*', '回复', 'published', "
                "now() FROM (SELECT id FROM comments WHERE target_id = %s ORDER BY created_at DESC LIMIT 100) c, "
                "generate_series(1, 5)", (str(hot), str(hot)))
    cur.execute("UPDATE comments SET replies = 5 WHERE id IN (SELECT parent_id FROM comments WHERE parent_id IS NOT NULL)")
    cur.execute("ANALYZE")
    return community, hot


def timed(cur, label, call, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    print(f"  {label}: p50 {statistics.median(times):.2f} ms, p95 {percentile(times, 95):.2f} ms, "
          f"max {max(times):.2f} ms ({runs} runs)")


def pages():
    url = f"{DATABASE_SERVER}/{DATABASE}"
    drop_database(DATABASE)
    apply_migrations(url, MIGRATIONS)
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            started = time.perf_counter()
            community, hot = load(cur, random.Random(SEED))
            cur.execute("SELECT count(*) FROM comments")
            total = cur.fetchone()[0]
            print(f"loaded {total:,} comments, 300,000 posts in {time.perf_counter() - started:.0f} s")
        with conn, conn.cursor() as cur:
            print("comment page (20 top-level comments with their 3 oldest replies), one post with 600,000 comments:")
            timed(cur, "newest, page 1", lambda: comments.page(cur, "post", hot, "newest", 20, 0), 300)
            timed(cur, "hottest, page 1", lambda: comments.page(cur, "post", hot, "hottest", 20, 0), 300)
            timed(cur, "newest, page 50", lambda: comments.page(cur, "post", hot, "newest", 20, 980), 300)
            print("community feed, a community with 200,000 posts:")
            timed(cur, "posts newest first, page 1", lambda: communities.posts(cur, community, 20, 0), 300)
            timed(cur, "posts newest first, page 50", lambda: communities.posts(cur, community, 20, 980), 300)
            timed(cur, "pinned", lambda: communities.pinned(cur, community), 300)
            timed(cur, "社团精彩 (all communities), page 1", lambda: communities.highlights(cur, 20, 0), 300)
            timed(cur, "社团精彩, page 20", lambda: communities.highlights(cur, 20, 380), 300)
            timed(cur, "member ranking, this week (5,000 members)",
                  lambda: communities.ranking_rows(cur, community, datetime.now(timezone.utc) - timedelta(days=3)), 20)
            timed(cur, "member ranking, total (5,000 members)",
                  lambda: communities.ranking_rows(cur, community, None), 20)
    finally:
        conn.close()
        if os.environ.get("BENCH_SOCIAL_KEEP", "") in ("", "0"):
            drop_database(DATABASE)


if __name__ == "__main__":
    if "--pages-only" not in sys.argv:
        word_check(random.Random(SEED))
    if "--words-only" not in sys.argv:
        pages()
