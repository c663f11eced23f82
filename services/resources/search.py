"""Search over published resources: keyword (Chinese-aware, see search_text), type, topic, organization;
newest or most downloaded first; pages in a total order (ties broken by id), so paging is stable."""
from services.resources import catalogue, search_plan, search_text, topics
from services.resources.constants import SEARCH_ORDERS

ORDERS = {
    "newest": "r.published_at DESC, r.id DESC",
    "downloads": "r.downloads DESC, r.id DESC",
}
# the same orders in a form no index provides, so the planner fetches the matches from the GIN index
# and sorts them instead of walking an order index (see search_plan)
SORTED_AFTER = {
    "newest": "r.published_at + interval '0 s' DESC, r.id DESC",
    "downloads": "r.downloads + 0 DESC, r.id DESC",
}
assert tuple(ORDERS) == tuple(SORTED_AFTER) == SEARCH_ORDERS, "an order the schema offers has no SQL here"


def search(cur, q=None, type=None, topic=None, org=None, sort="newest", page=1, page_size=20):
    """(resources on the page, whether more follow). A query with no searchable word finds nothing.

    Run it in a transaction of its own (as the service does): it steers the planner with SET LOCAL.
    """
    filters, args = ["r.status = 'published'"], []
    by_order = None
    if q:
        terms = search_text.query(q)
        if terms is None:
            return [], False
        if type:
            terms = f"({terms}) & {search_text.type_term(type)}"
        filters.append("r.search @@ %s::tsquery")
        args.append(terms)
        stats = search_plan.lexeme_stats(cur)
        if stats and not (topic or org):  # those filters have their own statistics: the planner decides
            by_order = search_plan.read_by_order(stats, search_text.query_parts(q),
                                                 search_text.type_term(type) if type else None, page * page_size + 1)
    if type:
        filters.append("r.type = %s")
        args.append(type)
    if topic:  # 科学 防疫 finds 科学防疫: topics match by their normalized key
        filters.append("r.topic_keys @> ARRAY[%s]::text[]")
        args.append(topics.key(topic))
    if org:
        filters.append("r.org_id = %s")
        args.append(org)
    search_plan.steer(cur, by_order)
    cur.execute(
        f"SELECT {catalogue.COLUMNS_SQL}, o.name FROM resources r LEFT JOIN organizations o ON o.id = r.org_id "
        f"WHERE {' AND '.join(filters)} ORDER BY {(SORTED_AFTER if by_order is False else ORDERS)[sort]} "
        f"LIMIT %s OFFSET %s",
        args + [page_size + 1, (page - 1) * page_size])
    rows = [catalogue.from_row(row) for row in cur.fetchall()]
    return rows[:page_size], len(rows) > page_size
