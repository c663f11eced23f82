"""Identity's entrypoints: each loads its input through a schema, calls the domain, writes, dumps.

The rules live in the domain modules (accounts, idcards, verification, organizations, members, roles,
rate_limits, effects); the SQL in them too. Here: transactions, the outbox and the SMS gateway.
"""
import logging
from datetime import datetime, timedelta, timezone

from nameko.timer import timer

from kepu_common.bus.consumers import event_consumer
from kepu_common.data.db import claim_events
from kepu_common.interfaces.errors import Forbidden, NotFound, RateLimited, Unauthorized
from kepu_common.operations.log_context import current_locale
from kepu_common.interfaces.messages import DEFAULT_LOCALE
from kepu_common.bus.rpc import rpc
from kepu_common.bus.service_base import PlatformService
from kepu_common.data.storage import ObjectStorage
from services.identity import (
    accounts, areas, effects, members, organizations, passwords, phones, pings, rate_limits, roles, sms, tokens,
    verification,
)
from services.identity.dependencies import Settings, SmsGateway
from services.identity.notifications import deliver, fanout, followups as notification_followups
from services.identity.notifications import dispatch as notification_dispatch, kinds as notification_kinds
from services.identity.notifications import rules as notification_rules, store as notification_store
from services.identity.notifications import texts as notification_texts
from services.identity.notifications.channels import Notifications
from services.identity.notifications.schemas import (
    MarkedSchema, MarkReadRequest, NotificationPageRequest, NotificationPageSchema, PreferencesRequest,
    PreferencesSchema, UnreadSchema,
)
from services.identity import people
from services.identity.schemas import PeopleRequest, PersonSchema
from services.identity.schemas import (
    AreaCall, AreaCommunicatorPageSchema, AuditEntrySchema, JoinedSchema, JoinRequest, LeaveRequest, LeftSchema,
    LoginCall, MemberPageSchema, OrgHitSchema, OrgRequest, OrgSchema, OrgSearchRequest, PageRequest, PasswordResetCall,
    PingRequestSchema, PingSchema, RefreshRequest, RegisterCall, RoleRequest, RolesSchema, SignedInSchema,
    SignedOutSchema, SmsCodeCall, SmsCodeSentSchema, SmsLoginCall, UserHitSchema, UserLookupRequest, UserSchema,
    VerificationChangeRequest, VerificationChangeSchema, VerificationRequest, VerificationSchema,
)

log = logging.getLogger(__name__)


class IdentityService(PlatformService):
    name = "identity"
    settings = Settings()
    sms_gateway = SmsGateway()
    storage = ObjectStorage()

    @rpc
    def ping(self, request):
        data = PingRequestSchema().load(request)
        with self.db, self.db.cursor() as cur:
            ping = pings.record(cur, data["message"])
            self.outbox.add(cur, "ping", ping_id=ping["id"], message=ping["message"])
        return PingSchema().dump(ping)

    # --- accounts and tokens ---------------------------------------------------------------
    @rpc
    def request_sms_code(self, request):
        """A code by SMS. Counted first, answered alike: the answer never tells whether the phone is registered
        (a code goes only where its purpose fits: login and reset to an account, register to a new phone)."""
        data = SmsCodeCall().load(request)
        phone = phones.normalize(data["phone"])
        vault = self.settings.phone_vault
        if getattr(self.sms_gateway, "open", False):  # the provider failed just now: refused alike for every phone
            raise sms.sms_unavailable()
        with self.db, self.db.cursor() as cur:
            rate_limits.hit_all(cur, rate_limits.sms_checks(vault.rate_key(phone), data["client_ip"]))
        with self.db, self.db.cursor() as cur:
            registered = accounts.user_id_of(cur, vault, phone) is not None
            wanted = registered if data["purpose"] in sms.ACCOUNT_PURPOSES else not registered
            code = sms.issue(cur, self.settings.secret, vault, phone, data["purpose"]) if wanted else None
        answer = {"phone": phones.masked(phone), "expires_in": int(sms.CODE_TTL.total_seconds())}
        if code is not None:
            try:
                self.sms_gateway.send(phone, code, data["purpose"])
            except sms.SmsRecipientRefused:
                pass  # this phone cannot get it now (logged masked); answered alike, as for any phone
            except sms.SmsError:
                raise sms.sms_unavailable() from None
            if self.settings.sms_debug_echo:
                answer["debug_code"] = code
        return SmsCodeSentSchema().dump(answer)

    @rpc
    def register(self, request):
        data = RegisterCall().load(request)
        phone = phones.normalize(data["phone"])
        passwords.check_policy(data["password"], phone)
        vault = self.settings.phone_vault
        with self.db, self.db.cursor() as cur:
            # the code first: a registered phone never gets a register code, so its answer is sms_code_missing,
            # as for any phone that asked for none (committed on its own, so a wrong code counts as a try)
            matched = sms.check(cur, self.settings.secret, vault, phone, "register", data["code"])
        if not matched:
            raise sms.wrong_code()
        with self.db, self.db.cursor() as cur:
            user_id = accounts.create(cur, vault, phone, data["password"])
            if data["client_ip"] != "unknown":
                accounts.remember_source(cur, user_id, vault.source_key(data["client_ip"]))
            issued = self.settings.tokens.issue(cur, user_id, [])
            user = accounts.profile(cur, vault, user_id)
            self.outbox.add(cur, "user_registered", user_id=user_id, registered_at=user["created_at"].isoformat())
        return SignedInSchema().dump({"user": user, "tokens": issued})

    @rpc
    def login(self, request):
        """Password sign-in under rate_limits' policy: failures count, per account+source, source and account;
        a refused try counts against its source only, and a source the account knows is always checked."""
        data = LoginCall().load(request)
        phone = phones.normalize(data["phone"])
        vault = self.settings.phone_vault
        phone_key, client_ip = vault.rate_key(phone), data["client_ip"]
        source_key = vault.source_key(client_ip)
        refused = slowed = known = None
        with self.db, self.db.cursor() as cur:
            try:
                rate_limits.check_all(cur, rate_limits.password_gates(phone_key, client_ip))
                slowed, turn_taken, wait = rate_limits.slowdown_state(cur, phone_key)
                known = slowed and accounts.is_known_source(cur, accounts.user_id_of(cur, vault, phone), source_key)
                if rate_limits.password_try(slowed, known, turn_taken) == "refuse":
                    raise rate_limits.slowed_refusal(wait)
            except RateLimited as refusal:  # counted against the source, committed with this transaction
                rate_limits.record_all(cur, rate_limits.refusal_counters(client_ip))
                refused = refusal
        if refused is not None:
            raise refused
        try:
            with self.db, self.db.cursor() as cur:
                user_id = accounts.authenticate(cur, vault, phone, data["password"])
                return self._signed_in(cur, user_id, client_ip)
        except Unauthorized:
            with self.db, self.db.cursor() as cur:
                rate_limits.record_all(cur, rate_limits.failure_counters(phone_key, client_ip))
                if slowed and not known:
                    rate_limits.take_turn(cur, phone_key)
            raise

    @rpc
    def sms_login(self, request):
        """Sign-in by SMS code: the code's own limits apply, password failures never block it."""
        data = SmsLoginCall().load(request)
        phone = phones.normalize(data["phone"])
        user_id = self._consume_code(phone, "login", data["code"])
        with self.db, self.db.cursor() as cur:
            return self._signed_in(cur, user_id, data["client_ip"])

    @rpc
    def reset_password(self, request):
        """A new password by SMS code: every session signs out, the account's guessing slowdown clears."""
        data = PasswordResetCall().load(request)
        phone = phones.normalize(data["phone"])
        passwords.check_policy(data["password"], phone)
        user_id = self._consume_code(phone, "reset_password", data["code"])
        with self.db, self.db.cursor() as cur:
            accounts.set_password(cur, user_id, data["password"])
            tokens.revoke_all(cur, user_id)
            rate_limits.clear(cur, rate_limits.after_password_reset(self.settings.phone_vault.rate_key(phone)))
            return self._signed_in(cur, user_id, data["client_ip"])

    def _consume_code(self, phone, purpose, code):
        """The account's id once its live code for purpose matches; a wrong code is committed as a try. Codes
        for these purposes go only to registered phones, so any other phone meets sms_code_missing (nothing
        tells it is not registered)."""
        vault = self.settings.phone_vault
        with self.db, self.db.cursor() as cur:
            matched = sms.check(cur, self.settings.secret, vault, phone, purpose, code)
            user_id = accounts.user_id_of(cur, vault, phone) if matched else None
        if not matched:
            raise sms.wrong_code()
        if user_id is None:  # the account went away after its code was sent
            raise sms.code_missing()
        return user_id

    def _signed_in(self, cur, user_id, client_ip=None):
        """{user, tokens}; a sign-in from client_ip (by password, code or registration) makes it a source the
        account knows, whose password tries strangers' guesses never hold up (rate_limits.password_try)."""
        if client_ip and client_ip != "unknown":
            accounts.remember_source(cur, user_id, self.settings.phone_vault.source_key(client_ip))
        user = accounts.profile(cur, self.settings.phone_vault, user_id)
        issued = self.settings.tokens.issue(cur, user_id, roles.names(user["roles"]))
        return SignedInSchema().dump({"user": user, "tokens": issued})

    @rpc
    def refresh(self, request):
        data = RefreshRequest().load(request)
        # committed before refusing: a reused token's family stays revoked
        with self.db, self.db.cursor() as cur:
            found = tokens.find(cur, data["refresh_token"])
            verdict = tokens.verdict(found)
            if verdict == tokens.REUSED:
                tokens.revoke_family(cur, found["family_id"])
            elif verdict == tokens.LIVE:
                tokens.mark_used(cur, data["refresh_token"])
                issued = self.settings.tokens.issue(cur, found["user_id"], roles.names(roles.of(cur, found["user_id"])),
                                                    found["family_id"])
                user = accounts.profile(cur, self.settings.phone_vault, found["user_id"])
        if verdict != tokens.LIVE:
            raise tokens.invalid()
        # the same shape as login and register: {user, tokens}
        return SignedInSchema().dump({"user": user, "tokens": issued})

    @rpc
    def logout(self, request):
        data = RefreshRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return SignedOutSchema().dump({"revoked": tokens.revoke(cur, data["refresh_token"])})

    @rpc
    def me(self, user_id):
        with self.db, self.db.cursor() as cur:
            user = accounts.profile(cur, self.settings.phone_vault, user_id)
            user["verification"] = verification.latest(cur, user_id)
            user["organization"] = members.belongs_to(cur, user_id)
            user["administers"] = members.administers(cur, user_id)
            user["org_applications"] = accounts.org_applications(cur, user_id)
            user["verification_change"] = verification.latest_change(cur, user_id)
        return UserSchema().dump(user)

    # --- communicator verification -----------------------------------------------------------
    @rpc
    def submit_verification(self, user_id, request):
        data = VerificationRequest().load(request)
        verification.placed(data)  # a wrong division or township is named before the letter is looked at
        letter_type = verification.check_letter(self.storage, self.storage.bucket("licences"), user_id,
                                                data["communicator_type"], data.get("appointment_letter_key"))
        with self.db, self.db.cursor() as cur:
            submitted = verification.submit(cur, self.settings.id_vault, user_id, data, letter_type)
            self.outbox.add(cur, "verification_submitted", verification_id=submitted["id"], user_id=user_id,
                            region_code=submitted["snapshot"]["region_code"])
            self.outbox.add(cur, "review_requested", subject_type=verification.SUBJECT_TYPE,
                            subject_id=str(submitted["id"]), stage="realname", scope=submitted["province"],
                            snapshot=submitted["snapshot"])
            return VerificationSchema().dump(verification.latest(cur, user_id))

    @rpc
    def request_verification_change(self, user_id, request):
        """Re-verification: a new unit, township or organization, reviewed (stage realname) while the approved
        verification stays in force; adding a missing township applies at once."""
        data = VerificationChangeRequest().load(request)
        with self.db, self.db.cursor() as cur:
            change, snapshot, province = verification.request_change(cur, user_id, data)
            if snapshot is not None:
                self.outbox.add(cur, "review_requested", subject_type=verification.CHANGE_SUBJECT_TYPE,
                                subject_id=str(change["id"]), stage="realname", scope=province, snapshot=snapshot)
            return VerificationChangeSchema().dump(verification.latest_change(cur, user_id))

    @event_consumer("review", "review_decided",
                    subjects=("communicator_verification", "organization", "verification_change"),
                    legacy_binding=True)
    def on_review_decided(self, events):
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, "identity.on_review_decided", events):
                subject = (event["subject_type"], event["stage"])
                if subject == (verification.SUBJECT_TYPE, "realname"):
                    self._apply_verification_decision(cur, event)
                elif subject == (organizations.SUBJECT_TYPE, "org"):
                    self._apply_org_decision(cur, event)
                elif subject == (verification.CHANGE_SUBJECT_TYPE, "realname"):
                    self._apply_change_decision(cur, event)

    def _apply_change_decision(self, cur, event):
        """An approved change takes effect: unit and township, the organization (a move), a street admin's
        area (the old township's role revoked, the new one granted)."""
        change = verification.pending_change(cur, event["subject_id"])
        if change is None:
            return
        status = "approved" if event["decision"] == "approved" else "rejected"
        verification.decide_change(cur, change["id"], status, event["comment"])
        if status != "approved":
            return
        actor = None
        if change["org_id"]:
            previous, now = members.place(cur, change["user_id"], change["org_id"])
            self._announce(cur, effects.membership_events(change["user_id"], previous, now, change["user_id"]))
        moved_area = change["communicator_type"] == "street_admin" and change["township_code"] and (
            change["township_code"] != change["previous_township"])
        if moved_area:
            note = f"re-verification approved by {event['reviewer_id']}"
            if change["previous_township"] and roles.revoke(cur, change["user_id"], "street_admin",
                                                            change["previous_township"], actor, note):
                self.outbox.add(cur, "role_revoked", user_id=change["user_id"], role="street_admin",
                                scope=change["previous_township"], actor_id=actor)
            if roles.grant(cur, change["user_id"], "street_admin", change["township_code"], actor, note):
                self.outbox.add(cur, "role_granted", user_id=change["user_id"], role="street_admin",
                                scope=change["township_code"], actor_id=actor)

    def _apply_verification_decision(self, cur, event):
        pending = verification.pending(cur, event["subject_id"])
        if pending is None:
            return  # decided already, or superseded: a redelivered or stale decision changes nothing
        outcome = effects.verification_decided(pending, event["decision"], event["comment"], event["reviewer_id"])
        verification.record_decision(cur, pending["id"], outcome.status, outcome.comment)
        self._write_effects(cur, outcome)

    def _apply_org_decision(self, cur, event):
        pending = organizations.pending(cur, event["subject_id"])
        if pending is None:
            return
        name_taken = event["decision"] == "approved" and organizations.approved_name_exists(cur, pending["name"])
        outcome = effects.org_decided(pending, event["decision"], event["comment"], event["reviewer_id"], name_taken)
        organizations.record_decision(cur, pending["id"], outcome.status, outcome.comment)
        self._write_effects(cur, outcome)

    def _write_effects(self, cur, outcome, actor_id=None):
        """Roles and memberships first, then the decision's own events; each change that happened is announced."""
        for grant in outcome.grants:
            if roles.grant(cur, grant.user_id, grant.role, grant.scope, actor_id, grant.note):
                self.outbox.add(cur, "role_granted", user_id=grant.user_id, role=grant.role, scope=grant.scope,
                                actor_id=actor_id)
        for placement in outcome.placements:
            previous, now = members.place(cur, placement.user_id, placement.org_id, placement.move)
            self._announce(cur, effects.membership_events(placement.user_id, previous, now, actor_id))
        self._announce(cur, outcome.events)

    def _announce(self, cur, events):
        for event_type, payload in events:
            self.outbox.add(cur, event_type, **payload)

    # --- organizations ---------------------------------------------------------------------
    @rpc
    def register_org(self, user_id, request):
        data = OrgRequest().load(request)
        licence_type = organizations.check_licence(self.storage, self.storage.bucket("licences"), user_id,
                                                   data["licence_key"])
        with self.db, self.db.cursor() as cur:
            registered = organizations.register(cur, self.settings.phone_vault, user_id, data, licence_type)
            snapshot = registered["snapshot"]
            self.outbox.add(cur, "org_registered", org_id=registered["id"], registrant_id=user_id,
                            name=data["name"], category=data["category"], region_code=snapshot["region_code"])
            self.outbox.add(cur, "review_requested", subject_type=organizations.SUBJECT_TYPE,
                            subject_id=str(registered["id"]), stage="org", scope=registered["province"],
                            snapshot=snapshot)
            return OrgSchema().dump(organizations.get(cur, registered["id"]))

    @rpc
    def get_org(self, org_id):
        with self.db, self.db.cursor() as cur:
            return OrgSchema().dump(organizations.get(cur, org_id))

    @rpc
    def search_orgs(self, request):
        data = OrgSearchRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return OrgHitSchema(many=True).dump(organizations.search(cur, **data))

    @rpc
    def join_org(self, user_id, org_id, request=None):
        """Join org_id; one who belongs to another is refused unless request says move (then they move)."""
        move = JoinRequest().load({"org_id": str(org_id), **(request or {})})["move"]
        with self.db, self.db.cursor() as cur:
            if not organizations.is_verified_communicator(cur, user_id):
                raise Forbidden("verify_before_joining", details={"required_roles": ["communicator"]})
            before = members.belongs_to(cur, user_id)
            previous, now = members.join(cur, user_id, org_id, move)
            self._announce(cur, effects.membership_events(user_id, previous, now, user_id))
            moved = before if before is not None and str(before["id"]) != str(org_id) else None
            return JoinedSchema().dump({**organizations.get(cur, org_id), "moved_from": moved})

    @rpc
    def leave_org(self, user_id, request=None):
        data = LeaveRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            left = members.leave(cur, user_id, data["org_id"])
            self._announce(cur, effects.membership_events(user_id, left, None, user_id))
        return LeftSchema().dump({"org_id": left})

    @rpc
    def remove_member(self, actor_id, org_id, user_id):
        with self.db, self.db.cursor() as cur:
            organizations.get(cur, org_id)
            members.require_org_admin(cur, actor_id, org_id)
            members.remove(cur, org_id, user_id)
            self._announce(cur, effects.membership_events(user_id, org_id, None, actor_id))
        return LeftSchema().dump({"org_id": org_id})

    @rpc
    def org_members(self, actor_id, org_id, request=None):
        page = PageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            organizations.get(cur, org_id)
            members.require_org_admin(cur, actor_id, org_id)
            return MemberPageSchema().dump(members.org_members(cur, org_id, **page))

    @rpc
    def region_communicators(self, actor_id, region_code, request=None):
        query = AreaCall().load(request or {})
        area = areas.describe(region_code, "code")["code"]
        with self.db, self.db.cursor() as cur:
            members.require_area_admin(cur, actor_id, area)
            return AreaCommunicatorPageSchema().dump(members.area_communicators(cur, area, **query))

    @rpc
    def region_communicator_ids(self, actor_id, region_code, request=None):
        """Every communicator's id in the area and period (the gateway sorts them by metrics' shares)."""
        query = AreaCall().load(request or {})
        area = areas.describe(region_code, "code")["code"]
        with self.db, self.db.cursor() as cur:
            members.require_area_admin(cur, actor_id, area)
            return [str(i) for i in members.area_ids(cur, area, query["registered_from"], query["registered_to"])]

    @rpc
    def find_users_by_phone(self, actor_id, request):
        """Platform admins find an account by its exact phone (answers masked) to grant it a role."""
        data = UserLookupRequest().load(request)
        phone = phones.normalize(data["phone"])
        with self.db, self.db.cursor() as cur:
            roles.require_platform_admin(cur, actor_id)
            return UserHitSchema(many=True).dump(accounts.find_by_phone(cur, self.settings.phone_vault, phone))

    @timer(interval=3600)
    def housekeeping(self):
        """Drop spent rate-limit windows, old codes, long-dead refresh tokens and abandoned licence uploads."""
        with self.db, self.db.cursor() as cur:
            rate_limits.purge(cur)
            sms.purge(cur)
            accounts.purge_sources(cur)
            tokens.purge(cur)
            bucket = self.storage.bucket("licences")
            day_ago = datetime.now(timezone.utc) - timedelta(days=1)
            for key in organizations.abandoned_licences(cur, self.storage, bucket, day_ago):
                self.storage.remove(bucket, key)

    # --- roles -----------------------------------------------------------------------------
    @rpc
    def grant_role(self, request):
        data = RoleRequest().load(request)
        with self.db, self.db.cursor() as cur:
            roles.require_platform_admin(cur, data["actor_id"])
            roles.validate(data["role"], data["scope"])
            cur.execute("SELECT 1 FROM users WHERE id = %s", (data["user_id"],))
            if cur.fetchone() is None:
                raise NotFound("user_not_found", {"user_id": "user_unknown"})
            roles.require_verified(cur, data["user_id"], data["role"])
            if roles.grant(cur, data["user_id"], data["role"], data["scope"], data["actor_id"], data["note"]):
                self.outbox.add(cur, "role_granted", user_id=data["user_id"], role=data["role"],
                                scope=roles.validate(data["role"], data["scope"]), actor_id=data["actor_id"])
            return RolesSchema().dump({"roles": roles.of(cur, data["user_id"])})

    @rpc
    def revoke_role(self, request):
        data = RoleRequest().load(request)
        with self.db, self.db.cursor() as cur:
            roles.require_platform_admin(cur, data["actor_id"])
            if roles.revoke(cur, data["user_id"], data["role"], data["scope"], data["actor_id"], data["note"]):
                self.outbox.add(cur, "role_revoked", user_id=data["user_id"], role=data["role"],
                                scope=data["scope"], actor_id=data["actor_id"])
            return RolesSchema().dump({"roles": roles.of(cur, data["user_id"])})

    @rpc
    def role_audit(self, user_id):
        with self.db, self.db.cursor() as cur:
            return AuditEntrySchema(many=True).dump(roles.audit(cur, user_id))

    # --- notifications (issue 24): services/identity/notifications ---------------------------------
    notifications = Notifications()

    def _notify(self, events, consumer, also=None):
        """Inbox rows and queued SMS for each event's notices, once per event and person; also(cur, fresh) runs
        in the same transaction."""
        now = datetime.now(timezone.utc)
        with self.db, self.db.cursor() as cur:
            fresh = claim_events(cur, f"identity.{consumer}", events)
            written = deliver.apply(cur, fresh, self.notifications.config, self.notifications.metrics, now)
            if also is not None:
                also(cur, fresh)
        self._push(written)

    def _push(self, written):
        """App push would go here (channels.PUSH_CHANNELS): after the inbox committed, so a failing push loses
        nothing. No channel is configured by default."""
        for channel in self.notifications.config.push:
            for user_id, notification in written:
                try:
                    channel.send(user_id, notification)
                except Exception:  # the inbox has it; a push is a courtesy
                    log.exception("push channel %s failed for notification %s", type(channel).__name__,
                                  notification["id"])

    @event_consumer("identity", "user_verified")
    def notify_user_verified(self, events):
        self._notify(events, "notify_user_verified")

    @event_consumer("identity", "user_verification_rejected")
    def notify_user_verification_rejected(self, events):
        self._notify(events, "notify_user_verification_rejected")

    @event_consumer("identity", "org_verified")
    def notify_org_verified(self, events):
        self._notify(events, "notify_org_verified")

    @event_consumer("identity", "org_rejected")
    def notify_org_rejected(self, events):
        self._notify(events, "notify_org_rejected")

    @event_consumer("identity", "role_granted")
    def notify_role_granted(self, events):
        self._notify(events, "notify_role_granted")

    @event_consumer("review", "review_task_overdue")
    def notify_review_task_overdue(self, events):
        self._notify(events, "notify_review_task_overdue")

    @event_consumer("review", "review_task_released")
    def notify_review_task_released(self, events):
        self._notify(events, "notify_review_task_released")

    @event_consumer("resources", "resource_status_changed")
    def notify_resource_status_changed(self, events):
        self._notify(events, "notify_resource_status_changed")

    @event_consumer("activities", "activity_approved")
    def notify_activity_approved(self, events):
        def track(cur, fresh):  # approved at the end of its route: its follow-up deadline is watched
            for event in fresh:
                if fanout.decided_status(event) == "approved":
                    notification_store.track_followup(cur, event["activity_id"], event["org_id"])

        self._notify(events, "notify_activity_approved", track)

    @event_consumer("activities", "activity_followup_submitted")
    def stop_followup_reminders(self, events):
        with self.db, self.db.cursor() as cur:
            for event in events:  # idempotent: a redelivery marks it submitted again
                notification_store.followup_submitted(cur, event["activity_id"], event["org_id"])

    @event_consumer("activities", "activity_followup_extended")
    def move_followup_reminders(self, events):
        """A new follow-up deadline: it is asked of activities again on the reminder job's next run (the event
        does not carry it), and reminders follow it, even after the old one was missed."""
        with self.db, self.db.cursor() as cur:
            for event in events:  # idempotent: a redelivery makes the deadline unknown again, re-asked once more
                notification_store.followup_moved(cur, event["activity_id"], event["org_id"])

    @event_consumer("activities", "activity_nomination_withdrawn")
    def notify_activity_nomination_withdrawn(self, events):
        self._notify(events, "notify_activity_nomination_withdrawn")

    @event_consumer("metrics", "redemption_fulfilled")
    def notify_redemption_fulfilled(self, events):
        self._notify(events, "notify_redemption_fulfilled")

    @event_consumer("metrics", "redemption_cancelled")
    def notify_redemption_cancelled(self, events):
        self._notify(events, "notify_redemption_cancelled")

    @event_consumer("resources", "community_submitted")
    def remember_community_names(self, events):
        """Community names for post notices (post events do not carry them); the latest event wins."""
        with self.db, self.db.cursor() as cur:
            for event in events:
                notification_store.remember_name(cur, *fanout.community_name(event))

    @event_consumer("resources", "community_approved")
    def notify_community_approved(self, events):
        self._notify(events, "notify_community_approved", self._remember_communities)

    @event_consumer("resources", "community_rejected")
    def notify_community_rejected(self, events):
        self._notify(events, "notify_community_rejected")

    @staticmethod
    def _remember_communities(cur, fresh):
        for event in fresh:
            notification_store.remember_name(cur, *fanout.community_name(event))

    @event_consumer("resources", "post_rejected")
    def notify_post_rejected(self, events):
        self._notify(events, "notify_post_rejected")

    @event_consumer("resources", "post_hidden")
    def notify_post_hidden(self, events):
        self._notify(events, "notify_post_hidden")

    @event_consumer("resources", "comment_rejected")
    def notify_comment_rejected(self, events):
        self._notify(events, "notify_comment_rejected")

    @event_consumer("resources", "comment_hidden")
    def notify_comment_hidden(self, events):
        self._notify(events, "notify_comment_hidden")

    @event_consumer("activities", "activity_rejected")
    def notify_activity_rejected(self, events):
        self._notify(events, "notify_activity_rejected")

    @event_consumer("activities", "activity_shelved")
    def notify_activity_shelved(self, events):
        self._notify(events, "notify_activity_shelved")

    @event_consumer("activities", "activity_nominated")
    def notify_activity_nominated(self, events):
        self._notify(events, "notify_activity_nominated")

    @event_consumer("resources", "review_requested")
    def remember_resource_names(self, events):
        self._remember_names(events)

    @event_consumer("activities", "review_requested")
    def remember_activity_names(self, events):
        self._remember_names(events)

    def _remember_names(self, events):
        """Titles for the texts: resource_status_changed and the activity events do not carry them."""
        with self.db, self.db.cursor() as cur:
            for event in events:  # the latest snapshot wins; a redelivery writes the same name again
                named = fanout.subject_name(event)
                if named:
                    notification_store.remember_name(cur, *named)

    @event_consumer("review", "review_decided", subjects=("resource", "activity"))
    def notify_review_decided(self, events):
        """What only review's decisions tell: a resource rejection's reason (resource_status_changed has none;
        kept by stage and filled into the rejection's notification if that was written first) and an activity's
        provincial approval (activities publishes no event for it)."""
        now = datetime.now(timezone.utc)
        with self.db, self.db.cursor() as cur:
            fresh = claim_events(cur, "identity.notify_review_decided", events)
            for event in fresh:
                if event["subject_type"] != "resource" or event["decision"] != "rejected":
                    continue
                kind = fanout.RESOURCE_REJECTION_KINDS.get(event["stage"])
                if kind:
                    notification_store.remember_reason(cur, "resource", event["subject_id"], event["stage"],
                                                       event.get("comment") or "", kind)
            written = deliver.apply(cur, fresh, self.notifications.config, self.notifications.metrics, now)
        self._push(written)

    @timer(interval=2)
    def send_notification_sms(self):
        """Due notification SMS: sent, held for quiet hours, skipped, retried or dead-lettered (dispatch.py)."""
        now = datetime.now(timezone.utc)
        with self.db, self.db.cursor() as cur:
            notification_dispatch.send_due(cur, self.notifications.config, self.notifications.metrics, now)
            dead, pending = notification_store.sms_counts(cur)
        metrics = self.notifications.metrics
        if metrics is not None:
            metrics.dead.labels(metrics.service).set(dead)
            metrics.pending.labels(metrics.service).set(pending)

    @timer(interval=30)
    def remind_followups(self):
        """Follow-up deadlines 3 days and 1 day ahead and missed (Asia/Shanghai), once each (followups.py)."""
        now = datetime.now(timezone.utc)
        today, _ = notification_rules.shanghai_day(now)
        config = self.notifications.config

        def ask_deadline(user_id, activity_id):
            return notification_followups.parse_followup(
                self.notifications.rpc().call("activities", "get_followup", user_id, activity_id))

        notification_followups.refresh(self.db, ask_deadline, config.followup_recheck_seconds, now, today)
        with self.db, self.db.cursor() as cur:
            written = notification_followups.remind(cur, config, self.notifications.metrics, now, today)
        self._push(written)

    @timer(interval=3600)
    def purge_notifications(self):
        """Retention: read notifications older than NOTIFICATIONS.retention_days (180) go, with the SMS log."""
        with self.db, self.db.cursor() as cur:
            notification_store.purge_read(cur, self.notifications.config.retention_days)

    @rpc
    def list_notifications(self, user_id, request=None):
        query = NotificationPageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            listed = notification_store.page(cur, user_id, **query)
        locale = current_locale() or DEFAULT_LOCALE
        listed["items"] = [dict(item, read=item["read_at"] is not None,
                                **notification_texts.render(item["kind"], item["params"], locale))
                           for item in listed["items"]]
        return NotificationPageSchema().dump(listed)

    @rpc
    def unread_notifications(self, user_id):
        with self.db, self.db.cursor() as cur:
            return UnreadSchema().dump({"unread": notification_store.unread_count(cur, user_id)})

    @rpc
    def mark_notifications_read(self, user_id, request):
        data = MarkReadRequest().load(request)
        with self.db, self.db.cursor() as cur:
            if data["all"]:
                marked = notification_store.mark_all_read(cur, user_id)
            else:
                marked = notification_store.mark_read(cur, user_id, data["ids"])
            unread = notification_store.unread_count(cur, user_id)
        return MarkedSchema().dump({"marked": marked, "unread": unread})

    @rpc
    def notification_preferences(self, user_id):
        with self.db, self.db.cursor() as cur:
            return self._preferences_out(notification_store.preferences(cur, user_id))

    @rpc
    def set_notification_preferences(self, user_id, request):
        data = PreferencesRequest().load(request)
        changes = notification_rules.check_preferences(data["sms"])
        with self.db, self.db.cursor() as cur:
            notification_store.set_preferences(cur, user_id, changes)
            return self._preferences_out(notification_store.preferences(cur, user_id))

    def _preferences_out(self, stored):
        sms = notification_rules.effective_preferences(stored)
        config = self.notifications.config
        quiet = config.quiet_hours
        return PreferencesSchema().dump({
            "sms": sms, "kinds": [{"kind": name, "sms": sms.get(name, False)} for name in notification_kinds.NAMES],
            "quiet_hours": "" if quiet.start == quiet.end else f"{quiet.start:%H:%M}-{quiet.end:%H:%M}",
            "sms_daily_limit": config.sms_daily_limit})

    # --- people as others read them (leaderboards, the recognition list) -----------------------
    @rpc
    def people(self, request):
        """Masked real names of verified communicators; full names and masked phones for the admins concerned
        (services/identity/people.py). Read-only."""
        data = PeopleRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return PersonSchema(many=True).dump(people.read(cur, data["user_ids"], data["actor_id"]))
