"""The points mall against real PostgreSQL: no overdraw of stock or points under concurrency."""
import uuid

import eventlet
import psycopg2
import pytest
from nameko.testing.services import entrypoint_hook

from kepu_common.interfaces.errors import Conflict, NotFound, RuleBroken, problem_of_remote
from kepu_common.bus.rpc_client import RemoteError, RpcClient
from services.metrics import ledger
from services.metrics.tests.conftest import query


def give_points(db, user_id, points):
    with db.cursor() as cur:
        ledger.append(cur, [(user_id, points, "share", str(uuid.uuid4()))])


def call(metrics, method, *args, **kwargs):
    with entrypoint_hook(metrics, method) as hook:
        return hook(*args, **kwargs)


DELIVERY = {"recipient": "王小明", "phone": "13800138000", "region_code": "110105", "address": "朝阳路1号院2楼301"}
TRACKING = {"carrier": "顺丰速运", "tracking_number": "SF1234567890"}


def item(metrics, stock=10, cost=5, **extra):
    return call(metrics, "create_item", {"name": "科普图书《雾霾的成因》", "cost": cost, "stock": stock, **extra})


def redeem(metrics, user, item_id, key=None, quantity=1, **handover):
    return call(metrics, "redeem", str(user), {"item_id": item_id, "quantity": quantity,
                                               "client_key": key or uuid.uuid4().hex,
                                               **(handover or {"delivery": DELIVERY})})


def test_200_concurrent_redemptions_of_stock_10_give_exactly_10(metrics, db, client):
    found = item(metrics, stock=10, cost=5)
    users = [uuid.uuid4() for _ in range(200)]
    for user in users:
        give_points(db, user, 5)
    pool = eventlet.GreenPool(200)
    outcomes = list(pool.imap(lambda u: _attempt(client, u, found["id"]), users))
    assert outcomes.count("ok") == 10
    assert outcomes.count("out_of_stock") == 190
    assert query(db, "SELECT stock FROM mall_items") == [(0,)]
    assert query(db, "SELECT count(*) FROM redemptions") == [(10,)]
    assert query(db, "SELECT count(*) FROM balances WHERE balance < 0") == [(0,)]
    assert query(db, "SELECT count(*) FROM balances WHERE balance = 0") == [(10,)]
    with db.cursor() as cur:
        assert ledger.mismatches(cur) == []


def _attempt(client, user, item_id, key=None):
    """One redemption over real RPC (the gateway's client), as concurrent requests arrive."""
    try:
        client.call("metrics", "redeem", str(user), {"item_id": item_id, "quantity": 1, "delivery": DELIVERY,
                                                     "client_key": key or uuid.uuid4().hex}, timeout=60)
        return "ok"
    except RemoteError as exc:
        return problem_of_remote(exc.exc_type, exc.exc_args, "metrics").message


@pytest.fixture
def client(metrics, amqp_uri):
    rpc = RpcClient(amqp_uri, timeout=60)
    yield rpc
    rpc.close()


def test_one_user_redeeming_at_once_never_goes_below_zero(metrics, db, client):
    found = item(metrics, stock=100, cost=5)
    user = uuid.uuid4()
    give_points(db, user, 17)
    outcomes = list(eventlet.GreenPool(50).imap(lambda _: _attempt(client, user, found["id"]), range(50)))
    assert outcomes.count("ok") == 3 and outcomes.count("not_enough_points") == 47
    assert query(db, "SELECT balance FROM balances WHERE user_id = %s", user) == [(2,)]
    assert query(db, "SELECT stock FROM mall_items") == [(97,)]


def test_a_redemption_is_idempotent_by_client_key(metrics, db):
    found = item(metrics)
    user = uuid.uuid4()
    give_points(db, user, 100)
    first = redeem(metrics, user, found["id"], key="key-1")
    again = redeem(metrics, user, found["id"], key="key-1")
    assert first["created"] and not again["created"]
    assert again["redemption"]["id"] == first["redemption"]["id"]
    assert query(db, "SELECT balance FROM balances") == [(95,)]
    with pytest.raises(Conflict):
        redeem(metrics, user, found["id"], key="key-1", quantity=2)


def test_concurrent_requests_with_the_same_key_make_one_redemption(metrics, db, client):
    found = item(metrics)
    user = uuid.uuid4()
    give_points(db, user, 100)
    outcomes = list(eventlet.GreenPool(20).imap(lambda _: _attempt(client, user, found["id"], "same"), range(20)))
    assert outcomes == ["ok"] * 20
    assert query(db, "SELECT count(*) FROM redemptions") == [(1,)]
    assert query(db, "SELECT balance FROM balances") == [(95,)]


@pytest.mark.parametrize("quantity", [0, -1, 101, 10**12, "3", 1.5])
def test_a_negative_zero_or_huge_quantity_is_refused(metrics, db, client, quantity):
    found = item(metrics)
    user = uuid.uuid4()
    give_points(db, user, 100)
    with pytest.raises(RemoteError) as raised:
        client.call("metrics", "redeem", str(user), {"item_id": found["id"], "quantity": quantity, "client_key": "k",
                                                     "delivery": DELIVERY})
    problem = problem_of_remote(raised.value.exc_type, raised.value.exc_args, "metrics")
    assert problem.status == 400 and "quantity" in problem.fields
    assert query(db, "SELECT balance FROM balances") == [(100,)]


def test_too_few_points_or_no_stock_moves_nothing(metrics, db):
    found = item(metrics, stock=1, cost=50)
    poor, rich = uuid.uuid4(), uuid.uuid4()
    give_points(db, poor, 49)
    give_points(db, rich, 500)
    with pytest.raises(RuleBroken) as raised:
        redeem(metrics, poor, found["id"])
    assert raised.value.message == "not_enough_points" and raised.value.details == {"balance": 49, "needed": 50}
    with pytest.raises(RuleBroken) as raised:
        redeem(metrics, rich, found["id"], quantity=2)
    assert raised.value.message == "out_of_stock"
    assert query(db, "SELECT stock FROM mall_items") == [(1,)]
    assert query(db, "SELECT count(*) FROM redemptions") == [(0,)]
    assert sorted(r[0] for r in query(db, "SELECT balance FROM balances")) == [49, 500]
    with pytest.raises(NotFound):
        redeem(metrics, rich, str(uuid.uuid4()))


def test_cancelling_returns_points_and_stock_and_fulfilling_is_final(metrics, db):
    found = item(metrics, stock=5, cost=10)
    user, admin = uuid.uuid4(), str(uuid.uuid4())
    give_points(db, user, 30)
    one = redeem(metrics, user, found["id"], quantity=2)["redemption"]
    two = redeem(metrics, user, found["id"])["redemption"]
    cancelled = call(metrics, "decide_redemption", admin, one["id"], "cancel")
    assert cancelled["status"] == "cancelled" and cancelled["decided_by"] == admin
    assert call(metrics, "decide_redemption", admin, one["id"], "cancel")["status"] == "cancelled"
    assert query(db, "SELECT balance FROM balances") == [(20,)]
    assert query(db, "SELECT stock FROM mall_items") == [(4,)]
    assert call(metrics, "decide_redemption", admin, two["id"], "fulfil", TRACKING)["status"] == "fulfilled"
    with pytest.raises(Conflict):
        call(metrics, "decide_redemption", admin, two["id"], "cancel")
    reasons = query(db, "SELECT reason, delta FROM ledger WHERE user_id = %s ORDER BY id", user)
    assert reasons == [("share", 30), ("redemption", -20), ("redemption", -10), ("redemption_cancelled", 20)]
    mine = call(metrics, "redemptions", str(user), {"status": "pending"})
    assert mine["items"] == []


def test_the_database_refuses_what_the_code_should_never_do(db):
    """The last line: CHECK constraints and the append-only ledger."""
    user = uuid.uuid4()
    give_points(db, user, 5)
    with pytest.raises(psycopg2.errors.CheckViolation), db.cursor() as cur:
        cur.execute("UPDATE balances SET balance = -1 WHERE user_id = %s", (user,))
    with pytest.raises(psycopg2.errors.RaiseException), db.cursor() as cur:
        cur.execute("DELETE FROM ledger")
    with pytest.raises(psycopg2.errors.CheckViolation), db.cursor() as cur:
        cur.execute("INSERT INTO mall_items (id, name, cost, stock) VALUES (%s, 'x', 1, -1)", (uuid.uuid4(),))


def test_only_the_ledger_sums_make_balances_and_the_check_finds_a_difference(metrics_config, db):
    from services.metrics import cli

    user = uuid.uuid4()
    give_points(db, user, 7)
    assert cli.check_ledger(metrics_config["DATABASE_URL"]) == []
    with db.cursor() as cur:
        cur.execute("UPDATE balances SET balance = 8 WHERE user_id = %s", (user,))
    assert cli.main(["--database", metrics_config["DATABASE_URL"], "check-ledger"]) == 1
