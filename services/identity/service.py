from datetime import datetime, timedelta, timezone

from nameko.timer import timer

from kepu_common.consumers import event_consumer
from kepu_common.db import claim_events
from kepu_common.errors import Conflict, Forbidden, InvalidInput
from kepu_common.rpc import rpc
from kepu_common.service_base import PlatformService
from kepu_common.storage import ObjectStorage
from services.identity import (
    accounts, members, organizations, passwords, phones, pings, rate_limits, roles, sms, tokens, verification,
)
from services.identity.dependencies import Settings, SmsGateway
from services.identity.schemas import (
    AreaCommunicatorSchema, AuditEntrySchema, LoginRequest, MemberSchema, OrgHitSchema, OrgRequest, OrgSchema,
    OrgSearchRequest, PageRequest, PingRequestSchema, PingSchema, RefreshRequest, RegisterRequest, RoleRequest,
    SmsCodeRequest, TokensSchema, UserSchema, VerificationRequest, VerificationSchema,
)

WAIT_MESSAGE = "Too many requests: wait before trying again."


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
        data = SmsCodeRequest().load(request)
        phone = phones.normalize(data["phone"])
        with self.db, self.db.cursor() as cur:
            cur.execute("SELECT 1 FROM users WHERE phone = %s", (phone,))
            registered = cur.fetchone() is not None
        if data["purpose"] == "register" and registered:
            raise Conflict("This phone number is already registered: sign in instead.", {"phone": "already registered"})
        with self.db, self.db.cursor() as cur:
            rate_limits.hit(cur, f"sms:{phone}", 1, 60, "A code was just sent: wait a minute before asking again.")
            rate_limits.hit(cur, f"sms-hour:{phone}", 5, 3600, WAIT_MESSAGE)
            rate_limits.hit(cur, f"sms-ip:{data['client_ip']}", 30, 3600, WAIT_MESSAGE)
        with self.db, self.db.cursor() as cur:
            code = sms.issue(cur, self.settings.secret, phone, data["purpose"])
        self.sms_gateway.send(phone, code, data["purpose"])
        answer = {"phone": phones.masked(phone), "expires_in": int(sms.CODE_TTL.total_seconds())}
        if self.settings.sms_debug_echo:
            answer["debug_code"] = code
        return answer

    @rpc
    def register(self, request):
        data = RegisterRequest().load(request)
        phone = phones.normalize(data["phone"])
        passwords.check_policy(data["password"], phone)
        with self.db, self.db.cursor() as cur:
            cur.execute("SELECT 1 FROM users WHERE phone = %s", (phone,))
            if cur.fetchone():
                raise Conflict("This phone number is already registered: sign in instead.", {"phone": "already registered"})
            # committed on its own, so a wrong code counts as a try even though registration fails
            matched = sms.check(cur, self.settings.secret, phone, "register", data["code"])
        if not matched:
            raise InvalidInput("The code is wrong.", {"code": "wrong code"})
        with self.db, self.db.cursor() as cur:
            user_id = accounts.create(cur, phone, data["password"])
            issued = self.settings.tokens.issue(cur, user_id, [])
            user = accounts.profile(cur, user_id)
            self.outbox.add(cur, "user_registered", user_id=user_id, registered_at=user["created_at"].isoformat())
        return {"user": UserSchema().dump(user), "tokens": TokensSchema().dump(issued)}

    @rpc
    def login(self, request):
        data = LoginRequest().load(request)
        phone = phones.normalize(data["phone"])
        with self.db, self.db.cursor() as cur:
            rate_limits.hit(cur, f"login:{phone}", 10, 900, WAIT_MESSAGE)
            rate_limits.hit(cur, f"login-ip:{data['client_ip']}", 100, 900, WAIT_MESSAGE)
        with self.db, self.db.cursor() as cur:
            user_id = accounts.authenticate(cur, phone, data["password"])
            user = accounts.profile(cur, user_id)
            issued = self.settings.tokens.issue(cur, user_id, roles.names(user["roles"]))
        return {"user": UserSchema().dump(user), "tokens": TokensSchema().dump(issued)}

    @rpc
    def refresh(self, request):
        data = RefreshRequest().load(request)
        with self.db, self.db.cursor() as cur:
            user_id = tokens.take_refresh(cur, data["refresh_token"])
            issued = self.settings.tokens.issue(cur, user_id, roles.names(roles.of(cur, user_id)))
        return TokensSchema().dump(issued)

    @rpc
    def logout(self, request):
        data = RefreshRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return {"revoked": tokens.revoke(cur, data["refresh_token"])}

    @rpc
    def me(self, user_id):
        with self.db, self.db.cursor() as cur:
            user = accounts.profile(cur, user_id)
            user["verification"] = verification.latest(cur, user_id)
        return UserSchema().dump(user)

    # --- communicator verification -----------------------------------------------------------
    @rpc
    def submit_verification(self, user_id, request):
        data = VerificationRequest().load(request)
        with self.db, self.db.cursor() as cur:
            submitted = verification.submit(cur, self.settings.id_vault, user_id, data)
            self.outbox.add(cur, "verification_submitted", verification_id=submitted["id"], user_id=user_id,
                            region_code=data["region_code"])
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
        outcome = verification.decide(cur, event["subject_id"], event["decision"], event["comment"], event["reviewer_id"])
        if outcome:
            user_id, status = outcome
            self.outbox.add(cur, "user_verified" if status == "approved" else "user_verification_rejected",
                            verification_id=event["subject_id"], user_id=user_id, comment=event["comment"] or "")

    def _apply_org_decision(self, cur, event):
        outcome = organizations.decide(cur, event["subject_id"], event["decision"], event["comment"], event["reviewer_id"])
        if outcome:
            registrant, status = outcome
            self.outbox.add(cur, "org_verified" if status == "approved" else "org_rejected",
                            org_id=event["subject_id"], registrant_id=registrant,
                            comment=organizations.get(cur, event["subject_id"])["review_comment"])
            if status == "approved":
                self.outbox.add(cur, "role_granted", user_id=registrant, role="org_admin", scope=event["subject_id"],
                                actor_id=None)

    # --- organizations ---------------------------------------------------------------------
    @rpc
    def register_org(self, user_id, request):
        data = OrgRequest().load(request)
        licence_type = organizations.check_licence(self.storage, self.storage.bucket("licences"), user_id,
                                                   data["licence_key"])
        with self.db, self.db.cursor() as cur:
            registered = organizations.register(cur, user_id, data, licence_type)
            self.outbox.add(cur, "org_registered", org_id=registered["id"], registrant_id=user_id,
                            name=data["name"], category=data["category"], region_code=data["region_code"])
            self.outbox.add(cur, "review_requested", subject_type=organizations.SUBJECT_TYPE,
                            subject_id=str(registered["id"]), stage="org", scope=registered["province"],
                            snapshot=registered["snapshot"])
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
                raise Forbidden("Complete real-name verification before joining an organization.",
                                {"required_roles": ["communicator"]})
            members.join(cur, user_id, org_id)
            return OrgSchema().dump(organizations.get(cur, org_id))

    @rpc
    def org_members(self, actor_id, org_id, request=None):
        page = PageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            organizations.get(cur, org_id)
            members.require_org_admin(cur, actor_id, org_id)
            return MemberSchema(many=True).dump(members.org_members(cur, org_id, **page))

    @rpc
    def region_communicators(self, actor_id, region_code, request=None):
        page = PageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            members.require_area_admin(cur, actor_id, region_code)
            return AreaCommunicatorSchema(many=True).dump(members.area_communicators(cur, region_code, **page))

    @timer(interval=3600)
    def housekeeping(self):
        """Drop spent rate-limit windows, old codes, long-dead refresh tokens and abandoned licence uploads."""
        with self.db, self.db.cursor() as cur:
            rate_limits.purge(cur)
            cur.execute("DELETE FROM sms_codes WHERE created_at < now() - interval '2 days'")
            cur.execute("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '30 days'")
            bucket = self.storage.bucket("licences")
            day_ago = datetime.now(timezone.utc) - timedelta(days=1)
            for key in organizations.abandoned_licences(cur, self.storage, bucket, day_ago):
                self.storage.remove(bucket, key)

    # --- roles -----------------------------------------------------------------------------
    def _require_platform_admin(self, cur, actor_id):
        if "platform_admin" not in roles.names(roles.of(cur, actor_id)):
            raise Forbidden("Only a platform admin can change roles.", {"required_roles": ["platform_admin"]})

    @rpc
    def grant_role(self, request):
        data = RoleRequest().load(request)
        with self.db, self.db.cursor() as cur:
            self._require_platform_admin(cur, data["actor_id"])
            if roles.grant(cur, data["user_id"], data["role"], data["scope"], data["actor_id"], data["note"]):
                self.outbox.add(cur, "role_granted", user_id=data["user_id"], role=data["role"],
                                scope=roles.validate(data["role"], data["scope"]), actor_id=data["actor_id"])
            return {"roles": roles.of(cur, data["user_id"])}

    @rpc
    def revoke_role(self, request):
        data = RoleRequest().load(request)
        with self.db, self.db.cursor() as cur:
            self._require_platform_admin(cur, data["actor_id"])
            if roles.revoke(cur, data["user_id"], data["role"], data["scope"], data["actor_id"], data["note"]):
                self.outbox.add(cur, "role_revoked", user_id=data["user_id"], role=data["role"],
                                scope=data["scope"], actor_id=data["actor_id"])
            return {"roles": roles.of(cur, data["user_id"])}

    @rpc
    def role_audit(self, user_id):
        with self.db, self.db.cursor() as cur:
            return AuditEntrySchema(many=True).dump(roles.audit(cur, user_id))
