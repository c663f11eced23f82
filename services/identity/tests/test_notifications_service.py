"""Notifications against real RabbitMQ and PostgreSQL: events published as their producers' relays publish them
reach identity's consumers; redelivery writes nothing twice; an SMS provider outage delays SMS and loses none;
the inbox pages, marks read, refuses what is not the reader's; preferences refuse unknown kinds."""
import os
import threading
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest
from marshmallow import ValidationError
from nameko.testing.services import entrypoint_hook

from kepu_common.interfaces.contracts import make_event
from kepu_common.interfaces.errors import InvalidInput, NotFound
from kepu_common.bus.rpc import rpc
from kepu_common.devtools.testing import publish_events, wait_for
from services.identity.dependencies import read_secret
from services.identity.notifications import channels, dispatch, rules
from services.identity.phone_vault import PhoneVault
from services.identity.service import IdentityService

FAST = {"quiet_hours": "off", "sms_retry_base_seconds": 0.2, "sms_max_attempts": 4, "sms_daily_limit": 5}


class FlakySender:
    """A provider that fails while `down` is set, and records what it accepted."""

    def __init__(self):
        self.down = False
        self.failures = 0
        self.accepted = []
        self.lock = threading.Lock()

    def send_notice(self, phone, template_code, params, text, out_id):
        with self.lock:
            if self.down:
                self.failures += 1
                raise ConnectionError("provider unreachable")
            self.accepted.append({"phone": phone, "code": template_code, "params": params, "text": text,
                                  "out_id": out_id})


def notifications_of(container):
    return next(d for d in container.extensions if isinstance(d, channels.Notifications))


@pytest.fixture
def identity(start_service):
    container = start_service(IdentityService, NOTIFICATIONS=FAST)
    container.sender = notifications_of(container).config.sender = FlakySender()
    return container


def sql(container, statement, args=()):
    with psycopg2.connect(container.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(statement, args)
        return cur.fetchall() if cur.description else None


def phone_vault():
    """Identity's phone keys under test (conftest's jwt_keys names the secret the services are given)."""
    return PhoneVault(read_secret(os.environ["IDENTITY_SECRET_KEY_FILE"]))


NEW_USER = ("INSERT INTO users (id, phone_lookup, phone_sealed, phone_masked, password_hash) "
            "VALUES (%s, %s, %s, %s, 'x')")


def person(container, phone=None, org_admin_of=None):
    user_id = uuid.uuid4()
    phone = phone or f"139{uuid.uuid4().int % 10**8:08d}"
    sql(container, NEW_USER, (str(user_id), *phone_vault().columns(phone, user_id)))
    if org_admin_of:
        sql(container, "INSERT INTO user_roles (user_id, role, scope) VALUES (%s, 'org_admin', %s)",
            (str(user_id), str(org_admin_of)))
    return str(user_id)


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def inbox(container, user_id, **query):
    return call(container, "list_notifications", user_id, query)


def rejected(user_id, comment="身份证照片不清晰"):
    return make_event("user_verification_rejected", "identity", verification_id=str(uuid.uuid4()), user_id=user_id,
                      comment=comment)


def test_a_redelivered_event_gives_one_notification_and_one_sms(identity, amqp_uri):
    user = person(identity, phone="13912345678")
    event = rejected(user)
    publish_events(amqp_uri, [event, event])  # a copy in the same batch
    wait_for(lambda: identity.sender.accepted, what="the SMS")
    publish_events(amqp_uri, [event])  # and one much later
    other = rejected(person(identity))
    publish_events(amqp_uri, [other])  # proves the redelivery above was consumed before we look
    wait_for(lambda: sql(identity, "SELECT count(*) FROM notifications WHERE event_id = %s",
                         (other["event_id"],))[0][0] == 1)
    listed = inbox(identity, user)
    assert listed["total"] == 1 and listed["unread"] == 1
    [item] = listed["items"]
    assert item["kind"] == "verification_rejected" and "身份证照片不清晰" in item["body"]
    assert item["link"] == {"target": "verification", "id": None, "path": "/me/verification"}
    wait_for(lambda: len(identity.sender.accepted) == 2)
    mine = [sms for sms in identity.sender.accepted if sms["phone"] == "13912345678"]
    assert len(mine) == 1 and mine[0]["text"].startswith("【科普中国】")
    # the log keeps the masked phone only
    assert sql(identity, "SELECT phone_masked, status FROM notification_sms WHERE user_id = %s", (user,)) == [
        ("139****5678", "sent")]


def test_an_sms_outage_delays_every_sms_and_loses_none(identity, amqp_uri):
    identity.sender.down = True
    people = [person(identity) for _ in range(5)]
    publish_events(amqp_uri, [rejected(user) for user in people])
    wait_for(lambda: identity.sender.failures >= 10, what="retries during the outage")
    assert identity.sender.accepted == []
    # the inbox is immediate, whatever the SMS provider does
    assert all(inbox(identity, user)["unread"] == 1 for user in people)
    identity.sender.down = False
    wait_for(lambda: len(identity.sender.accepted) == 5, what="every SMS after the recovery")
    assert sorted(sms["out_id"] for sms in identity.sender.accepted) == sorted(
        str(row[0]) for row in sql(identity, "SELECT id FROM notification_sms WHERE status = 'sent'"))
    assert len({sms["out_id"] for sms in identity.sender.accepted}) == 5


def test_an_sms_that_keeps_failing_is_dead_lettered_and_counted(identity, amqp_uri):
    identity.sender.down = True
    user = person(identity)
    publish_events(amqp_uri, [rejected(user)])
    wait_for(lambda: sql(identity, "SELECT status, attempts FROM notification_sms") == [("dead", 4)],
             what="the dead letter")
    metrics = notifications_of(identity).metrics
    wait_for(lambda: metrics.dead.labels("identity")._value.get() == 1, what="the dead-letter gauge")
    assert metrics.sms.labels("identity", "dead_lettered")._value.get() == 1
    assert metrics.sms.labels("identity", "retry")._value.get() == 3
    assert inbox(identity, user)["unread"] == 1


def test_org_admins_hear_of_their_resources_with_title_and_reason_in_either_order(identity, amqp_uri):
    org = uuid.uuid4()
    admins = [person(identity, org_admin_of=org) for _ in range(2)]
    outsider = person(identity)
    first, second = uuid.uuid4(), uuid.uuid4()
    events = []
    for resource in (first, second):
        events.append(make_event("review_requested", "resources", subject_type="resource",
                                 subject_id=str(resource), stage="initial", scope=None,
                                 snapshot={"title": f"防溺水指南{str(resource)[:4]}", "org_id": str(org)}))
    publish_events(amqp_uri, events)
    wait_for(lambda: sql(identity, "SELECT count(*) FROM notification_subjects")[0][0] == 2)

    def decided(resource, comment):
        return make_event("review_decided", "review", task_id=str(uuid.uuid4()), subject_type="resource",
                          subject_id=str(resource), stage="initial", decision="rejected", comment=comment,
                          reviewer_id=str(uuid.uuid4()), decided_at=datetime.now(timezone.utc).isoformat())

    def status(resource):
        return make_event("resource_status_changed", "resources", resource_id=str(resource), org_id=str(org),
                          type="article", status="initial_rejected", previous_status="pending_initial",
                          actor_id=str(uuid.uuid4()))

    # the reason first for one resource, the rejection first for the other
    publish_events(amqp_uri, [decided(first, "数据来源未注明")])
    wait_for(lambda: sql(identity, "SELECT reasons->>'initial' FROM notification_subjects WHERE subject_id = %s",
                         (str(first),)) == [("数据来源未注明",)])
    publish_events(amqp_uri, [status(first), status(second)])
    wait_for(lambda: all(inbox(identity, admin)["total"] == 2 for admin in admins))
    publish_events(amqp_uri, [decided(second, "图片版权不明")])
    wait_for(lambda: any("图片版权不明" in item["body"] for item in inbox(identity, admins[0])["items"]))
    bodies = sorted(item["body"] for item in inbox(identity, admins[1])["items"])
    assert any("防溺水指南" in b and "数据来源未注明" in b for b in bodies)
    assert any("防溺水指南" in b and "图片版权不明" in b for b in bodies)
    assert inbox(identity, outsider)["total"] == 0


def test_an_activity_shelved_by_its_own_admin_tells_nobody_and_by_a_platform_admin_tells_its_admins(identity,
                                                                                                     amqp_uri):
    org = uuid.uuid4()
    admin = person(identity, org_admin_of=org)
    activity = str(uuid.uuid4())

    def shelved(actor):
        return make_event("activity_shelved", "activities", activity_id=activity, org_id=str(org),
                          campaign_id=str(uuid.uuid4()), region_code="110108", channel="provincial_cast",
                          supervising_org_id=str(uuid.uuid4()), review_status="approved", shelf="off", revision=1,
                          stage=None, reason="活动信息与实际不符", actor_id=actor)

    by_admin, by_platform = shelved(admin), shelved(str(uuid.uuid4()))
    publish_events(amqp_uri, [by_admin, by_platform])
    wait_for(lambda: sql(identity, "SELECT count(*) FROM processed_events WHERE event_id IN (%s, %s)",
                         (by_admin["event_id"], by_platform["event_id"]))[0][0] == 2, what="both events handled")
    items = inbox(identity, admin)["items"]
    assert len(items) == 1, items
    [item] = items
    assert item["kind"] == "activity_shelved_by_admin" and "活动信息与实际不符" in item["body"]


def test_an_event_for_a_person_without_an_account_is_a_no_op(identity, amqp_uri):
    gone = str(uuid.uuid4())
    here = person(identity)
    publish_events(amqp_uri, [rejected(gone), rejected(here)])
    wait_for(lambda: inbox(identity, here)["total"] == 1)
    assert sql(identity, "SELECT count(*) FROM notifications WHERE user_id = %s", (gone,)) == [(0,)]
    assert sql(identity, "SELECT count(*) FROM notification_sms WHERE user_id = %s", (gone,)) == [(0,)]


def test_the_inbox_pages_marks_read_and_refuses_someone_elses(identity, amqp_uri):
    user, other = person(identity), person(identity)
    publish_events(amqp_uri, [rejected(user, f"原因{i}") for i in range(5)] + [rejected(other)])
    wait_for(lambda: inbox(identity, user)["total"] == 5 and inbox(identity, other)["total"] == 1)
    first = inbox(identity, user, page=1, page_size=2)
    assert (len(first["items"]), first["has_more"], first["total"]) == (2, True, 5)
    last = inbox(identity, user, page=3, page_size=2)
    assert (len(last["items"]), last["has_more"]) == (1, False)
    beyond = inbox(identity, user, page=9, page_size=2)
    assert (beyond["items"], beyond["has_more"], beyond["total"]) == ([], False, 5)
    with pytest.raises(ValidationError):
        inbox(identity, user, page=0)

    theirs = inbox(identity, other)["items"][0]["id"]
    mine = first["items"][0]["id"]
    with pytest.raises(NotFound) as refused:
        call(identity, "mark_notifications_read", user, {"ids": [mine, theirs]})
    assert refused.value.message == "notification_not_found" and refused.value.details["ids"] == [theirs]
    assert inbox(identity, user)["unread"] == 5 and inbox(identity, other)["unread"] == 1  # nothing marked

    assert call(identity, "mark_notifications_read", user, {"ids": [mine]}) == {"marked": 1, "unread": 4}
    assert call(identity, "mark_notifications_read", user, {"ids": [mine]}) == {"marked": 0, "unread": 4}
    assert inbox(identity, user, unread_only=True)["total"] == 4
    assert call(identity, "mark_notifications_read", user, {"all": True}) == {"marked": 4, "unread": 0}
    assert call(identity, "unread_notifications", other) == {"unread": 1}
    with pytest.raises(ValidationError):
        call(identity, "mark_notifications_read", user, {})


def test_english_readers_read_the_same_row_in_english(identity, amqp_uri):
    user = person(identity)
    publish_events(amqp_uri, [rejected(user, "blurred photo")])
    wait_for(lambda: inbox(identity, user)["total"] == 1)
    with entrypoint_hook(identity, "list_notifications", context_data={"locale": "en"}) as listing:
        [item] = listing(user, {})["items"]
    assert item["title"] == "Real-name verification rejected" and "blurred photo" in item["body"]


def test_preferences_turn_sms_off_and_refuse_unknown_kinds(identity, amqp_uri):
    user = person(identity)
    prefs = call(identity, "notification_preferences", user)
    assert prefs["sms"]["verification_rejected"] is True and prefs["quiet_hours"] == ""
    with pytest.raises(InvalidInput) as unknown:
        call(identity, "set_notification_preferences", user, {"sms": {"nope": False}})
    assert unknown.value.message == "notification_kind_unknown"
    assert sql(identity, "SELECT count(*) FROM notification_preferences") == [(0,)]
    changed = call(identity, "set_notification_preferences", user, {"sms": {"verification_rejected": False}})
    assert changed["sms"]["verification_rejected"] is False
    publish_events(amqp_uri, [rejected(user)])
    wait_for(lambda: inbox(identity, user)["total"] == 1)  # the inbox still has it
    assert sql(identity, "SELECT count(*) FROM notification_sms") == [(0,)]


# --- the dispatcher with a fixed clock: quiet hours and the daily ceiling ------------------------------------

class Config:
    def __init__(self, sender, **overrides):
        self.quiet_hours = rules.QuietHours()
        self.sms_daily_limit = 2
        self.sms_retry_base_seconds = 30
        self.sms_max_attempts = 3
        self.sms_batch = 50
        self.sender = sender
        self.phone_vault = phone_vault()
        self.__dict__.update(overrides)


def queue_sms(conn, user_id, due_at):
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO notification_sms (user_id, kind, template_code, params, next_attempt_at) "
                    "VALUES (%s, 'verification_rejected', 'KEPU_VERIFICATION_REJECTED', '{}', %s)",
                    (user_id, due_at))


def run(conn, config, now):
    with conn, conn.cursor() as cur:
        return dispatch.send_due(cur, config, None, now)


@pytest.fixture
def database(service_config):
    conn = psycopg2.connect(service_config("identity")["DATABASE_URL"])
    yield conn
    conn.close()


def test_quiet_hours_hold_sms_until_eight_in_the_morning_shanghai_time(database):
    sender = FlakySender()
    user = str(uuid.uuid4())
    with database, database.cursor() as cur:
        cur.execute(NEW_USER, (user, *phone_vault().columns("13800000001", user)))
    night = datetime(2026, 9, 20, 23, 30, tzinfo=rules.SHANGHAI).astimezone(timezone.utc)
    queue_sms(database, user, night)
    assert run(database, Config(sender), night) == {"held_quiet_hours": 1}
    with database, database.cursor() as cur:
        cur.execute("SELECT next_attempt_at FROM notification_sms")
        assert cur.fetchone()[0] == datetime(2026, 9, 21, 8, 0, tzinfo=rules.SHANGHAI)
    assert run(database, Config(sender), datetime(2026, 9, 21, 7, 59, tzinfo=rules.SHANGHAI)) == {}
    assert run(database, Config(sender), datetime(2026, 9, 21, 8, 0, tzinfo=rules.SHANGHAI)) == {"sent": 1}
    assert len(sender.accepted) == 1


def test_the_daily_ceiling_counts_the_shanghai_day(database):
    sender = FlakySender()
    user = str(uuid.uuid4())
    with database, database.cursor() as cur:
        cur.execute(NEW_USER, (user, *phone_vault().columns("13800000002", user)))
    morning = datetime(2026, 9, 21, 9, 0, tzinfo=rules.SHANGHAI)
    for _ in range(3):
        queue_sms(database, user, morning)
    assert run(database, Config(sender), morning) == {"sent": 2, "skipped_daily_limit": 1}
    queue_sms(database, user, morning)
    next_day = datetime(2026, 9, 22, 9, 0, tzinfo=rules.SHANGHAI)
    assert run(database, Config(sender), next_day) == {"sent": 1}
    with database, database.cursor() as cur:
        cur.execute("SELECT skip_reason, phone_masked FROM notification_sms WHERE status = 'skipped'")
        assert cur.fetchall() == [("daily_limit", "138****0002")]


def test_retention_deletes_read_notifications_older_than_180_days_only(identity, amqp_uri):
    user = person(identity)
    publish_events(amqp_uri, [rejected(user, f"r{i}") for i in range(3)])
    wait_for(lambda: inbox(identity, user)["total"] == 3)
    ids = [row[0] for row in sql(identity, "SELECT id FROM notifications ORDER BY id")]
    sql(identity, "UPDATE notifications SET created_at = now() - interval '181 days' WHERE id = ANY(%s)", (ids[:2],))
    sql(identity, "UPDATE notifications SET read_at = now() WHERE id = ANY(%s)", ([ids[0], ids[2]],))
    call(identity, "purge_notifications")
    # old and read: gone; old and unread, recent and read: kept
    assert sorted(row[0] for row in sql(identity, "SELECT id FROM notifications")) == sorted([ids[1], ids[2]])


# --- follow-up reminders: the deadline asked of activities over RPC ------------------------------------------

class FakeActivities:
    """Stands in for the activities service's get_followup (its deadline is activities' own rule)."""

    name = "activities"
    answers = {}
    asked = []

    @rpc
    def get_followup(self, user_id, activity_id, locale="zh_CN"):
        FakeActivities.asked.append((user_id, activity_id))
        return FakeActivities.answers[activity_id]


def activity_event(event_type, activity_id, org_id, **fields):
    return make_event(event_type, "activities", activity_id=activity_id, org_id=str(org_id),
                      campaign_id=str(uuid.uuid4()), region_code="440106", channel="county_cast",
                      supervising_org_id=str(uuid.uuid4()), review_status="approved", shelf="on", revision=1,
                      stage="national", reason="", actor_id=None, **fields)


def test_follow_up_reminders_are_written_once_per_deadline_and_stop_when_materials_are_in(
        start_service, container_factory, service_config, amqp_uri):
    identity = start_service(IdentityService, NOTIFICATIONS=dict(FAST, followup_recheck_seconds=0))
    identity.sender = notifications_of(identity).config.sender = FlakySender()
    fake = container_factory(FakeActivities, identity.config)
    fake.start()
    org = uuid.uuid4()
    admin = person(identity, phone="13700009999", org_admin_of=org)
    today, _ = rules.shanghai_day(datetime.now(timezone.utc))
    soon, later, done = (str(uuid.uuid4()) for _ in range(3))
    FakeActivities.answers.update({soon: {"deadline": (today + timedelta(days=2)).isoformat(), "status": "draft"},
                                   later: {"deadline": (today + timedelta(days=9)).isoformat(), "status": "draft"},
                                   done: {"deadline": (today + timedelta(days=1)).isoformat(), "status": "draft"}})
    publish_events(amqp_uri, [make_event("review_requested", "activities", subject_type="activity", subject_id=soon,
                                         stage="national", scope=None, snapshot={"name": "气象开放日"})])
    publish_events(amqp_uri, [activity_event("activity_approved", a, org) for a in (soon, later, done)]
                   + [activity_event("activity_followup_submitted", done, org)])
    wait_for(lambda: sql(identity, "SELECT count(*) FROM notification_followups WHERE submitted")[0][0] == 1)
    wait_for(lambda: sql(identity, "SELECT count(*) FROM notification_subjects")[0][0] == 1)
    for _ in range(2):  # the job runs again (another instance, a restart): nothing new
        call(identity, "remind_followups")
    def reminders():
        return [i for i in inbox(identity, admin)["items"] if i["kind"].startswith("activity_followup")]

    [item] = reminders()
    assert item["kind"] == "activity_followup_due_3d" and "气象开放日" in item["body"]
    assert (today + timedelta(days=2)).isoformat() in item["body"]
    assert item["link"]["path"] == f"/activities/{soon}/followup"
    assert {activity for _, activity in FakeActivities.asked} == {soon, later}  # not the one handed in
    assert {user for user, _ in FakeActivities.asked} == {admin}

    # an edit moved the deadline to tomorrow: the 1-day reminder for the new deadline, once
    FakeActivities.answers[soon] = {"deadline": (today + timedelta(days=1)).isoformat(), "status": "draft"}
    call(identity, "remind_followups")
    call(identity, "remind_followups")
    assert [i["kind"] for i in reminders()] == ["activity_followup_due_1d", "activity_followup_due_3d"]
    wait_for(lambda: len([s for s in identity.sender.accepted if s["phone"] == "13700009999"]) == 2)
    # handed in according to activities: no more reminders
    FakeActivities.answers[soon] = {"deadline": (today - timedelta(days=1)).isoformat(), "status": "submitted"}
    call(identity, "remind_followups")
    assert len(reminders()) == 2


# --- events consumed since: the mall's redemptions, withdrawn nominations, extended deadlines, edits' decisions --

def redemption_event(event_type, user_id, **fields):
    base = {"method": None, "pickup_site_id": None, "pickup_site_name": None, "carrier": None,
            "tracking_number": None, "pickup_code": None, "cancelled_by": None, "reason": None,
            "actor_id": str(uuid.uuid4())}
    return make_event(event_type, "metrics", redemption_id=str(uuid.uuid4()), user_id=user_id,
                      item_id=str(uuid.uuid4()), item_name="科普望远镜", quantity=1, points=500,
                      decided_at=datetime.now(timezone.utc).isoformat(), **dict(base, **fields))


def test_redemptions_fulfilled_or_cancelled_tell_their_person_once_with_one_sms(identity, amqp_uri):
    posted_to, collector, canceller = (person(identity, phone=f"1361111000{i}") for i in range(3))
    posted = redemption_event("redemption_fulfilled", posted_to, method="delivery", carrier="顺丰",
                              tracking_number="SF1234567890")
    ready = redemption_event("redemption_fulfilled", collector, method="pickup", pickup_code="K7Q2M9",
                             pickup_site_name="科技馆服务台", pickup_site_id=str(uuid.uuid4()))
    cancelled = redemption_event("redemption_cancelled", canceller, cancelled_by="admin", reason="库存不足")
    own = redemption_event("redemption_cancelled", canceller, cancelled_by="owner")
    publish_events(amqp_uri, [posted, posted, ready, cancelled, own])
    publish_events(amqp_uri, [posted, ready, cancelled])  # redelivered later
    every = [e["event_id"] for e in (posted, ready, cancelled, own)]
    wait_for(lambda: sql(identity, "SELECT count(DISTINCT event_id) FROM processed_events "
                                   "WHERE event_id = ANY(%s::uuid[])", (every,))[0][0] == 4,
             what="every redemption event handled")
    wait_for(lambda: len(identity.sender.accepted) == 3, what="the three SMS")
    [delivery] = inbox(identity, posted_to)["items"]
    assert delivery["kind"] == "redemption_fulfilled_delivery" and "SF1234567890" in delivery["body"]
    assert delivery["link"]["path"] == f"/me/redemptions/{posted['redemption_id']}"
    [pickup] = inbox(identity, collector)["items"]
    assert pickup["kind"] == "redemption_fulfilled_pickup"
    assert "K7Q2M9" in pickup["body"] and "科技馆服务台" in pickup["body"]
    [notice] = inbox(identity, canceller)["items"]  # the owner's own cancellation tells nobody
    assert notice["kind"] == "redemption_cancelled" and "库存不足" in notice["body"]
    texts = {sms["phone"]: sms["text"] for sms in identity.sender.accepted}
    assert "SF1234567890" in texts["13611110000"] and "K7Q2M9" in texts["13611110001"]
    assert texts["13611110002"].startswith("【科普中国】")
    assert sql(identity, "SELECT count(*) FROM notification_sms") == [(3,)]


def test_a_withdrawn_nomination_and_a_rejected_edit_of_an_approved_activity_tell_its_admins_once(identity,
                                                                                                 amqp_uri):
    org = uuid.uuid4()
    admin = person(identity, org_admin_of=org)
    activity = str(uuid.uuid4())
    publish_events(amqp_uri, [make_event("review_requested", "activities", subject_type="activity",
                                         subject_id=activity, stage="provincial", scope="44",
                                         snapshot={"name": "气象开放日", "org_id": str(org)})])
    wait_for(lambda: sql(identity, "SELECT count(*) FROM notification_subjects WHERE subject_id = %s",
                         (activity,))[0][0] == 1)
    withdrawn = dict(activity_event("activity_nomination_withdrawn", activity, org), reason="材料不全")
    # the edit is rejected provincially: the public version stays approved (review_status), the edit is not
    rejected_edit = activity_event("activity_rejected", activity, org, current_review_status="provincial_rejected",
                                   current_revision=2)
    rejected_edit.update(stage="provincial", reason="时间填写有误")
    publish_events(amqp_uri, [withdrawn, rejected_edit, withdrawn])
    publish_events(amqp_uri, [rejected_edit])
    wait_for(lambda: sql(identity, "SELECT count(DISTINCT event_id) FROM processed_events WHERE event_id IN (%s, %s)",
                         (withdrawn["event_id"], rejected_edit["event_id"]))[0][0] == 2, what="both handled")
    items = inbox(identity, admin)["items"]
    assert sorted(i["kind"] for i in items) == ["activity_nomination_withdrawn", "activity_provincial_rejected"]
    rejection = next(i for i in items if i["kind"] == "activity_provincial_rejected")
    assert "气象开放日" in rejection["body"] and "时间填写有误" in rejection["body"]
    wait_for(lambda: len(identity.sender.accepted) == 1, what="the rejection's SMS")  # the withdrawal is inbox-only
    assert sql(identity, "SELECT count(*) FROM notification_sms") == [(1,)]


def test_an_extended_follow_up_deadline_is_asked_again_and_reminded_even_after_the_old_one_was_missed(
        start_service, container_factory, amqp_uri):
    identity = start_service(IdentityService, NOTIFICATIONS=dict(FAST, followup_recheck_seconds=3600))
    identity.sender = notifications_of(identity).config.sender = FlakySender()
    fake = container_factory(FakeActivities, identity.config)
    fake.start()
    org = uuid.uuid4()
    admin = person(identity, org_admin_of=org)
    today, _ = rules.shanghai_day(datetime.now(timezone.utc))
    activity = str(uuid.uuid4())
    missed, new_deadline = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=2)).isoformat()
    FakeActivities.answers[activity] = {"deadline": missed, "status": "draft"}
    approved = activity_event("activity_approved", activity, org, current_review_status="approved",
                              current_revision=1)
    publish_events(amqp_uri, [approved])
    wait_for(lambda: sql(identity, "SELECT count(*) FROM notification_followups WHERE activity_id = %s",
                         (activity,))[0][0] == 1)
    call(identity, "remind_followups")

    def reminders():
        return sorted((i["kind"], next(d for d in (missed, new_deadline) if d in i["body"]))
                      for i in inbox(identity, admin)["items"] if i["kind"].startswith("activity_followup"))

    assert reminders() == [("activity_followup_missed", missed)]
    # extended to two days from now; the recheck interval (an hour) has not passed, the extension asks at once
    FakeActivities.answers[activity] = {"deadline": new_deadline, "status": "draft"}
    extended = dict(activity_event("activity_followup_extended", activity, org, current_review_status="approved",
                                   current_revision=1), reason="汛期延误")
    sentinel = str(uuid.uuid4())  # the same queue, after both copies: once it is in, so are they
    FakeActivities.answers[sentinel] = {"deadline": (today + timedelta(days=30)).isoformat(), "status": "draft"}
    publish_events(amqp_uri, [extended, extended, activity_event("activity_followup_extended", sentinel, org)])
    wait_for(lambda: sql(identity, "SELECT count(*) FROM notification_followups WHERE activity_id = %s",
                         (sentinel,))[0][0] == 1, what="the extensions handled")
    assert sql(identity, "SELECT deadline FROM notification_followups WHERE activity_id = %s", (activity,)) == [
        (None,)]
    call(identity, "remind_followups")
    call(identity, "remind_followups")
    assert reminders() == [("activity_followup_due_3d", new_deadline), ("activity_followup_missed", missed)]
    assert sql(identity, "SELECT deadline::text FROM notification_followups WHERE activity_id = %s",
               (activity,)) == [(new_deadline,)]
    # the extension itself tells nobody
    assert sorted(i["kind"] for i in inbox(identity, admin)["items"]) == [
        "activity_followup_due_3d", "activity_followup_missed", "activity_national_approved"]


def test_community_post_and_comment_decisions_tell_their_authors_once_in_the_inbox_only(identity, amqp_uri):
    creator, author = person(identity), person(identity)
    community = str(uuid.uuid4())
    submitted = make_event("community_submitted", "resources", community_id=community, creator_id=creator,
                           name="天文爱好者", topic="astronomy", region_code="110108", status="pending")
    rejected_community = make_event("community_rejected", "resources", community_id=str(uuid.uuid4()),
                                    creator_id=creator, name="夜观星空", topic="astronomy", region_code="110108",
                                    status="rejected")
    approved = make_event("community_approved", "resources", community_id=community, creator_id=creator,
                          name="天文爱好者", topic="astronomy", region_code="110108", status="approved")
    publish_events(amqp_uri, [submitted])
    wait_for(lambda: sql(identity, "SELECT name FROM notification_subjects WHERE subject_id = %s",
                         (community,)) == [("天文爱好者",)])
    post = make_event("post_rejected", "resources", post_id=str(uuid.uuid4()), community_id=community,
                      author_id=author, status="rejected", pinned=False, actor_id=str(uuid.uuid4()))
    hidden_by_self = make_event("post_hidden", "resources", post_id=str(uuid.uuid4()), community_id=community,
                                author_id=author, status="hidden", pinned=False, actor_id=author)
    resource = str(uuid.uuid4())
    comment = make_event("comment_hidden", "resources", comment_id=str(uuid.uuid4()), target_type="resource",
                         target_id=resource, parent_id=None, author_id=author, status="hidden",
                         actor_id=str(uuid.uuid4()))
    every = [approved, rejected_community, post, hidden_by_self, comment]
    publish_events(amqp_uri, every + [approved, post, comment])  # copies in the same batches
    publish_events(amqp_uri, [rejected_community, comment])  # and later
    wait_for(lambda: sql(identity, "SELECT count(DISTINCT event_id) FROM processed_events "
                                   "WHERE event_id = ANY(%s::uuid[])", ([e["event_id"] for e in every],))[0][0] == 5,
             what="every social event handled")
    told = {i["kind"]: i for i in inbox(identity, creator)["items"]}
    assert sorted(told) == ["community_approved", "community_rejected"]
    assert "天文爱好者" in told["community_approved"]["body"] and "夜观星空" in told["community_rejected"]["body"]
    items = inbox(identity, author)["items"]
    assert sorted(i["kind"] for i in items) == ["comment_hidden", "post_rejected"]  # not the post hidden by herself
    rejection = next(i for i in items if i["kind"] == "post_rejected")
    assert "天文爱好者" in rejection["body"]
    hidden = next(i for i in items if i["kind"] == "comment_hidden")
    assert hidden["link"] == {"target": "comment", "id": comment["comment_id"], "path": f"/resources/{resource}"}
    with entrypoint_hook(identity, "list_notifications", context_data={"locale": "en"}) as listing:
        english = {i["kind"]: i for i in listing(author, {})["items"]}
    assert english["post_rejected"]["title"] == "Post not approved"
    assert sql(identity, "SELECT count(*) FROM notification_sms") == [(0,)]
