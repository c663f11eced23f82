"""Search in Chinese against a real PostgreSQL: what must match, what must not, filters, order, pages."""
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest

from kepu_common.devtools.testing import DATABASE_SERVER, drop_database, run_admin
from services.resources import catalogue, search_plan, search_text
from services.resources import topics as topic_names
from services.resources.search import search

ORG_A, ORG_B = uuid.uuid4(), uuid.uuid4()
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
CATALOGUE = [
    # title, type, keywords, description, topics, org, days after T0, downloads, status
    ("冬季雾霾天气如何做好个人防护", "video", ["空气污染"], "出门戴口罩，回家勤洗手。", ["健康"], ORG_A, 1, 5, "published"),
    ("新冠肺炎防控指南", "article", ["防疫", "健康"], "科学防疫，守护健康。", ["科学防疫"], ORG_A, 2, 50, "published"),
    ("地震来了怎么办", "wallchart", ["应急"], "学会避险，雾天也要注意出行安全。", [], ORG_B, 3, 20, "published"),
    ("谣言：吃大蒜能预防新冠", "debunk", ["辟谣"], "大蒜不能预防病毒感染。", ["辟谣"], ORG_B, 4, 1, "published"),
    ("雾霾与健康：尚在初审", "video", ["雾霾"], "未发布的资源不可见。", ["健康"], ORG_A, 5, 0, "pending_initial"),
    ("COVID-19 疫苗常识", "article", ["疫苗"], "ＣＯＶＩＤ疫苗接种须知。", ["科学 防疫"], ORG_B, 6, 9, "published"),
]


@pytest.fixture(scope="module")
def cur(database_templates, worker_tag):
    name = f"kepu_t_{worker_tag}_resources_search"
    run_admin(f'CREATE DATABASE "{name}" TEMPLATE "{database_templates("resources")}"')
    conn = psycopg2.connect(f"{DATABASE_SERVER}/{name}")
    cursor = conn.cursor()
    for title, kind, keywords, description, topics, org, days, downloads, status in CATALOGUE:
        upload_id, resource_id = uuid.uuid4(), uuid.uuid4()
        cursor.execute(
            "INSERT INTO uploads (id, org_id, uploader_id, purpose, filename, declared_type, size, sha256, method, "
            "object_key, part_size, status, expires_at) VALUES (%s, %s, %s, %s, 'f', 'video/mp4', 1, %s, 'stream', "
            "%s, 1, 'complete', now())", (upload_id, org, uuid.uuid4(), kind, "0" * 64, f"k/{upload_id}"))
        cursor.execute(
            "INSERT INTO resources (id, org_id, uploader_id, type, title, keywords, description, topics, topic_keys, "
            "file_upload_id, file_key, filename, file_size, content_type, sha256, status, downloads, search, "
            "published_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'f', 1, 'video/mp4', %s, %s, %s, "
            "%s::tsvector, %s)",
            (resource_id, org, uuid.uuid4(), kind, title, keywords, description, topics, topic_names.keys(topics),
             upload_id, f"k/{upload_id}",
             "0" * 64, status, downloads, search_text.document_vector(title, keywords, description, kind),
             T0 + timedelta(days=days)))
    yield cursor
    conn.close()
    drop_database(name)


def titles(cur, **query):
    return [r["title"] for r in search(cur, **query)[0]]


@pytest.mark.parametrize("q,expected", [
    ("雾霾", ["冬季雾霾天气如何做好个人防护"]),              # 2 characters, in a title
    ("健康", ["新冠肺炎防控指南"]),                          # in keywords and description, not of unpublished ones
    ("口罩", ["冬季雾霾天气如何做好个人防护"]),              # in a description
    ("新冠肺炎", ["新冠肺炎防控指南"]),                      # a longer word matches as written
    ("雾", ["地震来了怎么办", "冬季雾霾天气如何做好个人防护"]),  # one character: anywhere
    ("covid", ["COVID-19 疫苗常识"]),                        # Latin words ignore case
    ("ＣＯＶＩＤ", ["COVID-19 疫苗常识"]),                  # full-width letters too
    ("新冠 大蒜", ["谣言：吃大蒜能预防新冠"]),               # several words: all must match
])
def test_chinese_keywords_match(cur, q, expected):
    assert titles(cur, q=q) == expected


@pytest.mark.parametrize("q", [
    "肺炎新冠",   # the characters are there, but not in this order
    "霾天气如何防护",
    "护出",       # across a field boundary (title / keywords / description) a phrase does not match
    "尚在初审",   # only in an unpublished resource
    "台风",
    "！！",       # nothing searchable
])
def test_misses(cur, q):
    assert titles(cur, q=q) == []


def test_filters_and_orders(cur):
    assert titles(cur, q="健康", type="article") == ["新冠肺炎防控指南"]
    assert titles(cur, q="健康", type="video") == []
    assert titles(cur, q="雾", type="wallchart") == ["地震来了怎么办"]
    assert titles(cur, type="article") == ["COVID-19 疫苗常识", "新冠肺炎防控指南"]
    assert titles(cur, topic="科学防疫", sort="downloads") == ["新冠肺炎防控指南", "COVID-19 疫苗常识"]
    assert titles(cur, org=ORG_B, q="新冠") == ["谣言：吃大蒜能预防新冠"]
    # however the topic was typed, here or in the filter: spaces, full-width spaces, letters' case
    assert titles(cur, topic="科学　防疫 ") == ["COVID-19 疫苗常识", "新冠肺炎防控指南"]
    assert titles(cur, topic="辟谣") == ["谣言：吃大蒜能预防新冠"]
    assert titles(cur, topic="防疫") == []
    assert titles(cur, sort="downloads")[:2] == ["新冠肺炎防控指南", "地震来了怎么办"]


@pytest.mark.parametrize("by_order", [True, False])
def test_either_way_of_reading_finds_the_same(cur, monkeypatch, by_order):
    cur.execute("ANALYZE resources")
    search_plan._cache.clear()  # statistics exist from now on
    monkeypatch.setattr(search_plan, "read_by_order", lambda *args: by_order)
    assert search_plan.lexeme_stats(cur) is not None
    assert titles(cur, q="新冠") == ["谣言：吃大蒜能预防新冠", "新冠肺炎防控指南"]
    assert titles(cur, q="新冠", sort="downloads") == ["新冠肺炎防控指南", "谣言：吃大蒜能预防新冠"]
    assert titles(cur, q="健康", type="article") == ["新冠肺炎防控指南"]
    assert titles(cur, q="肺炎新冠") == []


def test_pages_are_stable_even_with_ties(cur):
    cur.execute("UPDATE resources SET published_at = %s", (T0,))  # every row ties on the sort key
    pages, more, page = [], True, 1
    while more:
        found, more = search(cur, page=page, page_size=2)
        pages.append([r["id"] for r in found])
        page += 1
    flat = [i for p in pages for i in p]
    assert len(flat) == len(set(flat)) == 5 and [len(p) for p in pages] == [2, 2, 1]
    assert flat == [r["id"] for r in search(cur, page_size=5)[0]]


def test_topics_are_listed_with_their_published_resources_counted_once_per_spelling(cur):
    listed, total = catalogue.topic_counts(cur)
    assert total == 3
    first = listed[0]
    assert (first["key"], first["count"]) == ("科学防疫", 2) and first["name"] in ("科学防疫", "科学 防疫")
    # the unpublished video's 健康 is not counted: only the published one
    assert {t["key"]: t["count"] for t in listed} == {"科学防疫": 2, "健康": 1, "辟谣": 1}
    page, total = catalogue.topic_counts(cur, limit=1, offset=2)
    assert len(page) == 1 and total == 3
