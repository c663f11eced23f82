"""From consumed events to inbox rows and queued SMS, in the consumer's transaction.

Exactly once per event and person: the inbox row is unique on (person, event, kind), and the SMS row on its
notification, so a redelivered event (or a copy in the same batch) writes nothing the second time. A person
without an account any more gets nothing (documented no-op); an organization without administrators too.
"""
from services.identity import areas
from services.identity.notifications import fanout, kinds, rules, sms_templates, store


def _area_name(code):
    try:
        return areas.describe(code, "scope")["full_name"]
    except Exception:  # an area code identity no longer knows still reads as its code
        return None


def apply(cur, events, config, metrics, now):
    """Write the notices of events (already claimed); returns [(user_id, notification dict)] written."""
    written = []
    for event in events:
        for notice in fanout.notices(event, _area_name):
            params = dict(notice.params)
            for param, subject_type, subject_id in notice.needs:
                params[param] = params.get(param) or store.name_of(cur, subject_type, subject_id)
            stage = fanout.RESOURCE_REJECTION_STAGES.get(notice.kind)
            if stage and not params.get("reason"):
                params["reason"] = store.reason_of(cur, "resource", params["resource_id"], stage)
            org_id = notice.org_id or (store.org_of(cur, *notice.org_of) if notice.org_of else None)
            if notice.user_id:
                recipients = [notice.user_id]
            elif org_id:
                recipients = store.org_admins(cur, org_id)
            else:
                continue  # an activity identity never saw a snapshot of: nobody known to tell
            if notice.skip_actor and notice.skip_actor in recipients:
                continue  # the organization's own administrator did it
            for user_id in recipients:
                notification = write(cur, event, notice.kind, params, user_id, config, now)
                if notification is not None:
                    written.append((user_id, notification))
                    if metrics is not None:
                        metrics.notifications.labels(metrics.service, notice.kind).inc()
    return written


def write(cur, event, kind_name, params, user_id, config, now):
    kind = kinds.KINDS[kind_name]
    link = kinds.link(kind, params)
    notification_id = store.insert(cur, user_id, event["event_id"], kind_name, params, link)
    if notification_id is None:
        return None
    if kind.sms and rules.sms_wanted(kind_name, store.preferences(cur, user_id)):  # no query for inbox-only kinds
        code, values, _ = sms_templates.render(kind_name, params)
        store.enqueue_sms(cur, notification_id, user_id, kind_name, code, values, config.quiet_hours.release_at(now))
    return {"id": notification_id, "kind": kind_name, "params": params, "link": link}
