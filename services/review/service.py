from datetime import datetime, timedelta, timezone

from nameko.timer import timer

from kepu_common.bus.consumers import event_consumer
from kepu_common.data.db import claim_events
from kepu_common.interfaces.errors import KepuError
from kepu_common.interfaces.messages import label
from kepu_common.bus.rpc import rpc
from kepu_common.bus.service_base import PlatformService
from services.review import access, priority, tasks
from services.review.dependencies import Settings
from services.review.schemas import (
    ActorSchema, BatchDecisionRequest, BatchResultSchema, DecisionRequest, EscalationRequest, HistoryEntrySchema,
    LeadRequest, LeadSchema, ListRequest, QueueSchema, ReassignRequest, SessionRequest, StageRequest,
    StagesRequest, TaskPageRequest, TaskPageSchema, TaskSchema,
)

SESSION_KEPT = timedelta(hours=25)  # longer than a review-UI session's absolute lifetime (web/sessions.py)


def _now():
    """The one clock claims are set and checked on: the application's."""
    return datetime.now(timezone.utc)


class ReviewService(PlatformService):
    name = "review"
    settings = Settings()

    # --- what arrives ------------------------------------------------------------------------
    def _take_requests(self, events, consumer):
        with self.db, self.db.cursor() as cur:
            for event in sorted(claim_events(cur, consumer, events), key=lambda e: e["occurred_at"]):
                tasks.from_request(cur, event, self.settings.due_at)

    @event_consumer("identity", "review_requested")
    def on_identity_request(self, events):
        self._take_requests(events, "review.on_identity_request")

    @event_consumer("resources", "review_requested")
    def on_resources_request(self, events):
        self._take_requests(events, "review.on_resources_request")

    @event_consumer("activities", "review_requested")
    def on_activities_request(self, events):
        self._take_requests(events, "review.on_activities_request")

    def _take_role_events(self, events, consumer):
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, consumer, events):
                access.apply_role_event(cur, event["event_type"], event)

    @event_consumer("identity", "role_granted")
    def on_role_granted(self, events):
        self._take_role_events(events, "review.on_role_granted")

    @event_consumer("identity", "role_revoked")
    def on_role_revoked(self, events):
        self._take_role_events(events, "review.on_role_revoked")

    # --- what reviewers do -------------------------------------------------------------------
    def _dump(self, found, now, many=False, masked=False):
        long_claim = self.settings.long_claim
        items = [tasks.with_service_level(task, now, long_claim) for task in (found if many else [found])]
        if masked:
            for task in items:
                task["snapshot"] = priority.mask_snapshot(task["snapshot"])
        return TaskSchema(many=True).dump(items) if many else TaskSchema().dump(items[0])

    @rpc
    def queues(self, request):
        actor = ActorSchema().load(request)
        with self.db, self.db.cursor() as cur:
            return QueueSchema(many=True).dump(tasks.queues(cur, access.load(cur, actor["actor_id"]), _now()))

    @rpc
    def list_tasks(self, request):
        data = ListRequest().load(request)
        with self.db, self.db.cursor() as cur:
            found = tasks.listing(cur, access.load(cur, data["actor_id"]), data["stage"], data["status"],
                                  data["limit"], data["offset"], data["sort"], data["q"], data["phone"])
        return self._dump(found, _now(), many=True, masked=True)

    @rpc
    def task_page(self, request):
        """A page of tasks for GET /review/tasks: {items, page, page_size, has_more, total}."""
        data = TaskPageRequest().load(request)
        size = data["page_size"]
        with self.db, self.db.cursor() as cur:
            reviewer = access.load(cur, data["actor_id"])
            found = tasks.listing(cur, reviewer, data["stage"], data["status"], size + 1, (data["page"] - 1) * size,
                                  data["sort"], data["q"], data["phone"])
            total = tasks.count(cur, reviewer, data["stage"], data["status"], data["q"], data["phone"])
        return TaskPageSchema().dump({"items": self._dump(found[:size], _now(), many=True, masked=True),
                                      "page": data["page"], "page_size": size, "has_more": len(found) > size,
                                      "total": total})

    @rpc
    def get_task(self, task_id, request):
        actor = ActorSchema().load(request)
        with self.db, self.db.cursor() as cur:
            task = tasks.get(cur, task_id)
            access.load(cur, actor["actor_id"]).require(task["stage"], task["scope"])
            subject_history = tasks.history(cur, task["subject_type"], task["subject_id"])
        return {"task": self._dump(task, _now()), "history": HistoryEntrySchema(many=True).dump(subject_history)}

    @rpc
    def claim(self, task_id, request):
        actor = ActorSchema().load(request)
        with self.db, self.db.cursor() as cur:
            task = tasks.claim(cur, access.load(cur, actor["actor_id"]), task_id, actor["actor_id"],
                               self.settings.claim_ttl, _now(), actor["client_address"])
        return self._dump(task, _now())

    @rpc
    def release(self, task_id, request):
        actor = ActorSchema().load(request)
        with self.db, self.db.cursor() as cur:
            task = tasks.release(cur, access.load(cur, actor["actor_id"]), task_id, actor["actor_id"], _now(),
                                 actor["client_address"])
        return self._dump(task, _now())

    def _decide(self, cur, reviewer, task_id, data):
        task = tasks.decide(cur, reviewer, task_id, data["actor_id"], data["decision"], data["comment"], _now(),
                            data["client_address"])
        self.outbox.add(cur, "review_decided", task_id=str(task["id"]), subject_type=task["subject_type"],
                        subject_id=task["subject_id"], stage=task["stage"], decision=task["decision"],
                        comment=task["comment"], reviewer_id=data["actor_id"], decided_at=task["decided_at"].isoformat())
        return task

    @rpc
    def decide(self, task_id, request):
        data = DecisionRequest().load(request)
        with self.db, self.db.cursor() as cur:
            task = self._decide(cur, access.load(cur, data["actor_id"]), task_id, data)
        return self._dump(task, _now())

    @rpc
    def decide_many(self, request):
        """The same decision on several tasks; each succeeds or is refused on its own."""
        data = BatchDecisionRequest().load(request)
        results = []
        with self.db, self.db.cursor() as cur:
            reviewer = access.load(cur, data["actor_id"])
            for task_id in data["task_ids"]:
                tasks.savepoint(cur)
                try:
                    task = self._decide(cur, reviewer, task_id, data)
                    results.append({"task_id": str(task["id"]), "status": "decided"})
                except KepuError as exc:
                    tasks.rollback_to_savepoint(cur)
                    results.append({"task_id": task_id, "status": "refused", "code": exc.code, "message": exc.message,
                                    "params": exc.payload.get("params") or {}, "fields": exc.fields})
        return BatchResultSchema(many=True).dump(results)

    # --- service levels: what leads see and do -----------------------------------------------
    @rpc
    def escalations(self, request):
        """Overdue and long-claimed open tasks of the stages the actor leads (empty for a reviewer who leads none)."""
        data = EscalationRequest().load(request)
        now = _now()
        with self.db, self.db.cursor() as cur:
            lead = access.load(cur, data["actor_id"])
            found = tasks.escalations(cur, lead, now, self.settings.long_claim, data["limit"]) if lead.is_lead else []
        return self._dump(found, now, many=True, masked=True)

    @rpc
    def reassign(self, task_id, request):
        """A lead takes an overdue or long-claimed task from its claimant: to another reviewer, or to the queue.
        The claimant is told (review_task_released)."""
        data = ReassignRequest().load(request)
        now = _now()
        with self.db, self.db.cursor() as cur:
            lead = access.load(cur, data["actor_id"])
            target = access.load(cur, data["to_user_id"]) if data["to_user_id"] else None
            task, previous = tasks.reassign(cur, lead, task_id, data["actor_id"], data["to_user_id"], target, now,
                                            self.settings.claim_ttl, self.settings.long_claim, data["client_address"])
            if previous:
                self._tell(cur, "review_task_released", task, previous)
        return self._dump(task, now)

    def _tell(self, cur, event_type, task, user_id):
        snapshot = task["snapshot"]
        self.outbox.add(cur, event_type, task_id=str(task["id"]), user_id=str(user_id),
                        subject=str(snapshot.get("name") or snapshot.get("title") or snapshot.get("real_name")
                                    or task["subject_id"])[:100],
                        stage=task["stage"], stage_label=label("review_stage", task["stage"], "zh_CN"),
                        sla_hours=self.settings.target_hours(task["subject_type"], task["stage"]))

    @timer(interval=300)
    def tell_overdue_claimants(self):
        """Every few minutes: a claimant whose task went past due is told once (review_task_overdue)."""
        with self.db, self.db.cursor() as cur:
            for task in tasks.overdue_claims(cur, _now()):
                self._tell(cur, "review_task_overdue", task, task["claimed_by"])

    @rpc
    def stage_reviewers(self, request):
        """The reviewers who may take over a task of a stage (and province): for the lead who reassigns it."""
        data = StageRequest().load(request)
        with self.db, self.db.cursor() as cur:
            access.load(cur, data["actor_id"]).require_lead(data["stage"], data["scope"])
            return access.reviewers_of(cur, data["stage"], data["scope"])

    @rpc
    def stage_reviewers_many(self, request):
        """stage_reviewers for several stages (and provinces), in their order, in one call."""
        data = StagesRequest().load(request)
        with self.db, self.db.cursor() as cur:
            lead = access.load(cur, data["actor_id"])
            for wanted in data["stages"]:
                lead.require_lead(wanted["stage"], wanted["scope"])
            return [access.reviewers_of(cur, wanted["stage"], wanted["scope"]) for wanted in data["stages"]]

    @rpc
    def set_lead(self, request):
        """A platform admin makes a reviewer the lead of a stage (scope as a reviewer's), or ends it."""
        data = LeadRequest().load(request)
        with self.db, self.db.cursor() as cur:
            if not access.load(cur, data["actor_id"]).admin:
                raise access.Forbidden("platform_admin_only", details={"required_roles": ["platform_admin"]})
            access.set_lead(cur, data["user_id"], access.check_lead_scope(data["scope"]), data["granted"])
        return LeadSchema().dump(data)

    # --- the review UI's sessions --------------------------------------------------------------
    @rpc
    def end_session(self, request):
        data = SessionRequest().load(request)
        with self.db, self.db.cursor() as cur:
            tasks.end_session(cur, data["session_id"])
        return {"ended": True}

    @rpc
    def session_ended(self, request):
        data = SessionRequest().load(request)
        with self.db, self.db.cursor() as cur:
            return tasks.session_ended(cur, data["session_id"])

    @timer(interval=3600)
    def housekeeping(self):
        with self.db, self.db.cursor() as cur:
            tasks.purge_ended_sessions(cur, _now() - SESSION_KEPT)

    @rpc
    def ops_figures(self):
        with self.db, self.db.cursor() as cur:
            return tasks.ops_figures(cur)
