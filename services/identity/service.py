"""Identity's entrypoints: each loads its input through a schema, calls the domain, writes, dumps.

The rules live in the domain modules (accounts, idcards, verification, organizations, members, roles,
rate_limits, effects); the SQL in them too. Here: transactions, the outbox and the SMS gateway.
"""
from datetime import datetime, timedelta, timezone

from nameko.timer import timer

from kepu_common.consumers import event_consumer
from kepu_common.db import claim_events
from kepu_common.errors import Forbidden, Unauthorized
from kepu_common.rpc import rpc
from kepu_common.service_base import PlatformService
from kepu_common.storage import ObjectStorage
from services.identity import (
    accounts, areas, effects, members, organizations, passwords, phones, pings, rate_limits, roles, sms, tokens,
    verification,
)
from services.identity.dependencies import Settings, SmsGateway
from services.identity import people
from services.identity.schemas import PeopleRequest, PersonSchema
from services.identity.schemas import (
    AreaCommunicatorPageSchema, AuditEntrySchema, LeaveRequest, LeftSchema, LoginCall, MemberPageSchema, OrgHitSchema,
    OrgRequest, OrgSchema, OrgSearchRequest, PageRequest, PasswordResetCall, PingRequestSchema, PingSchema,
    RefreshRequest, RegisterCall, RoleRequest, RolesSchema, SignedInSchema, SignedOutSchema, SmsCodeCall,
    SmsCodeSentSchema, SmsLoginCall, TokensSchema, UserSchema, VerificationRequest, VerificationSchema,
)


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
        data = SmsCodeCall().load(request)
        phone = phones.normalize(data["phone"])
        with self.db, self.db.cursor() as cur:
            registered = accounts.user_id_of(cur, phone) is not None
        if data["purpose"] == "register" and registered:
            raise accounts.phone_taken()
        if data["purpose"] in sms.ACCOUNT_PURPOSES and not registered:
            raise accounts.phone_unknown()
        with self.db, self.db.cursor() as cur:
            rate_limits.hit_all(cur, rate_limits.sms_checks(phone, data["client_ip"]))
        with self.db, self.db.cursor() as cur:
            code = sms.issue(cur, self.settings.secret, phone, data["purpose"])
        self.sms_gateway.send(phone, code, data["purpose"])
        answer = {"phone": phones.masked(phone), "expires_in": int(sms.CODE_TTL.total_seconds())}
        if self.settings.sms_debug_echo:
            answer["debug_code"] = code
        return SmsCodeSentSchema().dump(answer)

    @rpc
    def register(self, request):
        data = RegisterCall().load(request)
        phone = phones.normalize(data["phone"])
        passwords.check_policy(data["password"], phone)
        with self.db, self.db.cursor() as cur:
            if accounts.user_id_of(cur, phone) is not None:
                raise accounts.phone_taken()
            # committed on its own, so a wrong code counts as a try even though registration fails
            matched = sms.check(cur, self.settings.secret, phone, "register", data["code"])
        if not matched:
            raise sms.wrong_code()
        with self.db, self.db.cursor() as cur:
            user_id = accounts.create(cur, phone, data["password"])
            issued = self.settings.tokens.issue(cur, user_id, [])
            user = accounts.profile(cur, user_id)
            self.outbox.add(cur, "user_registered", user_id=user_id, registered_at=user["created_at"].isoformat())
        return SignedInSchema().dump({"user": user, "tokens": issued})

    @rpc
    def login(self, request):
        """Password sign-in under rate_limits' policy: failures count, per account+source, source and account."""
        data = LoginCall().load(request)
        phone = phones.normalize(data["phone"])
        with self.db, self.db.cursor() as cur:
            rate_limits.check_all(cur, rate_limits.password_gates(phone, data["client_ip"]))
            rate_limits.slow_down_if_guessed_at(cur, phone)
        try:
            with self.db, self.db.cursor() as cur:
                user_id = accounts.authenticate(cur, phone, data["password"])
                return self._signed_in(cur, user_id)
        except Unauthorized:
            with self.db, self.db.cursor() as cur:
                rate_limits.record_all(cur, rate_limits.failure_counters(phone, data["client_ip"]))
            raise

    @rpc
    def sms_login(self, request):
        """Sign-in by SMS code: the code's own limits apply, password failures never block it."""
        data = SmsLoginCall().load(request)
        phone = phones.normalize(data["phone"])
        user_id = self._consume_code(phone, "login", data["code"])
        with self.db, self.db.cursor() as cur:
            return self._signed_in(cur, user_id)

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
            rate_limits.clear(cur, rate_limits.after_password_reset(phone))
            return self._signed_in(cur, user_id)

    def _consume_code(self, phone, purpose, code):
        """The account's id once its live code for purpose matches; a wrong code is committed as a try."""
        with self.db, self.db.cursor() as cur:
            user_id = accounts.existing_user_id(cur, phone)
            matched = sms.check(cur, self.settings.secret, phone, purpose, code)
        if not matched:
            raise sms.wrong_code()
        return user_id

    def _signed_in(self, cur, user_id):
        user = accounts.profile(cur, user_id)
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
        if verdict != tokens.LIVE:
            raise tokens.invalid()
        return TokensSchema().dump(issued)

    @rpc
    def logout(self, request):
        data = RefreshRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return SignedOutSchema().dump({"revoked": tokens.revoke(cur, data["refresh_token"])})

    @rpc
    def me(self, user_id):
        with self.db, self.db.cursor() as cur:
            user = accounts.profile(cur, user_id)
            user["verification"] = verification.latest(cur, user_id)
            user["organization"] = members.belongs_to(cur, user_id)
            user["administers"] = members.administers(cur, user_id)
        return UserSchema().dump(user)

    # --- communicator verification -----------------------------------------------------------
    @rpc
    def submit_verification(self, user_id, request):
        data = VerificationRequest().load(request)
        with self.db, self.db.cursor() as cur:
            submitted = verification.submit(cur, self.settings.id_vault, user_id, data)
            self.outbox.add(cur, "verification_submitted", verification_id=submitted["id"], user_id=user_id,
                            region_code=submitted["snapshot"]["region_code"])
            self.outbox.add(cur, "review_requested", subject_type=verification.SUBJECT_TYPE,
                            subject_id=str(submitted["id"]), stage="realname", scope=submitted["province"],
                            snapshot=submitted["snapshot"])
            return VerificationSchema().dump(verification.latest(cur, user_id))

    @event_consumer("review", "review_decided", subjects=("communicator_verification", "organization"),
                    legacy_binding=True)
    def on_review_decided(self, events):
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, "identity.on_review_decided", events):
                subject = (event["subject_type"], event["stage"])
                if subject == (verification.SUBJECT_TYPE, "realname"):
                    self._apply_verification_decision(cur, event)
                elif subject == (organizations.SUBJECT_TYPE, "org"):
                    self._apply_org_decision(cur, event)

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
            registered = organizations.register(cur, user_id, data, licence_type)
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
    def join_org(self, user_id, org_id):
        with self.db, self.db.cursor() as cur:
            if not organizations.is_verified_communicator(cur, user_id):
                raise Forbidden("verify_before_joining", details={"required_roles": ["communicator"]})
            previous, now = members.join(cur, user_id, org_id)
            self._announce(cur, effects.membership_events(user_id, previous, now, user_id))
            return OrgSchema().dump(organizations.get(cur, org_id))

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
        page = PageRequest().load(request or {})
        area = areas.describe(region_code, "code")["code"]
        with self.db, self.db.cursor() as cur:
            members.require_area_admin(cur, actor_id, area)
            return AreaCommunicatorPageSchema().dump(members.area_communicators(cur, area, **page))

    @timer(interval=3600)
    def housekeeping(self):
        """Drop spent rate-limit windows, old codes, long-dead refresh tokens and abandoned licence uploads."""
        with self.db, self.db.cursor() as cur:
            rate_limits.purge(cur)
            sms.purge(cur)
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

    # --- people as others read them (leaderboards, the recognition list) -----------------------
    @rpc
    def people(self, request):
        """Masked real names of verified communicators; full names and masked phones for the admins concerned
        (services/identity/people.py). Read-only."""
        data = PeopleRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return PersonSchema(many=True).dump(people.read(cur, data["user_ids"], data["actor_id"]))
