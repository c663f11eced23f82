"""Sending queued notification SMS: quiet hours, the daily ceiling, retries with back-off, dead-lettering.

Each run claims due rows with FOR UPDATE SKIP LOCKED (instances side by side never take the same message) and
settles each in the same transaction as its send: sent (with the masked phone), held until the quiet hours end,
skipped (the daily ceiling, no account any more, SMS since turned off for the kind), retried later, or
dead-lettered after the last attempt. A provider outage therefore loses nothing: the rows wait with their next
attempt time and go once the provider answers. The provider gets the row id as its de-duplication id (OutId),
so a crash between its answer and our commit cannot make the phone ring twice at a provider that honours it.
"""
import logging
from datetime import timedelta

from services.identity.notifications import kinds, rules, sms_templates, store

log = logging.getLogger(__name__)


def send_due(cur, config, metrics, now):
    """One run over due messages; returns {outcome: count}."""
    outcomes = {}

    def count(outcome):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if metrics is not None:
            metrics.outcome(outcome)

    for sms in store.claim_due_sms(cur, now, config.sms_batch):
        release = config.quiet_hours.release_at(now)
        if release != now:
            store.sms_held(cur, sms["id"], release)
            count("held_quiet_hours")
            continue
        if not rules.sms_wanted(sms["kind"], store.preferences(cur, sms["user_id"])):
            store.sms_skipped(cur, sms["id"], "turned_off")
            count("skipped_turned_off")
            continue
        found = store.phone_of(cur, config.phone_vault, sms["user_id"])
        if found is None:
            store.sms_skipped(cur, sms["id"], "no_account")
            count("skipped_no_account")
            continue
        phone, masked = found
        _, day_start = rules.shanghai_day(now)
        if not rules.under_ceiling(store.sent_since(cur, sms["user_id"], day_start), config.sms_daily_limit):
            store.sms_skipped(cur, sms["id"], "daily_limit", masked)
            count("skipped_daily_limit")
            continue
        text = sms_templates.SIGNATURE + _text(sms)
        try:
            config.sender.send_notice(phone, sms["template_code"], sms["params"], text, str(sms["id"]))
        except Exception as exc:  # any provider failure: try again later, give up after the last attempt
            attempts = sms["attempts"] + 1
            if rules.gives_up(attempts, config.sms_max_attempts):
                log.error("notification SMS %s dead-lettered after %d attempts: %s", sms["id"], attempts, exc)
                store.sms_failed(cur, sms["id"], masked, str(exc), None)
                count("dead_lettered")
            else:
                delay = rules.retry_delay(attempts, config.sms_retry_base_seconds)
                log.warning("notification SMS %s failed (attempt %d): %s; retrying in %.0fs", sms["id"], attempts,
                            exc, delay)
                store.sms_failed(cur, sms["id"], masked, str(exc), now + timedelta(seconds=delay))
                count("retry")
            continue
        store.sms_sent(cur, sms["id"], masked, now)
        count("sent")
    return outcomes


def _text(sms):
    from kepu_common.interfaces.messages import text

    kind = kinds.KINDS[sms["kind"]]
    return text(f"notification.{kind.name}.sms", "zh_CN", **sms["params"])
