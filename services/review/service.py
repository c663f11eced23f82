from datetime import datetime, timedelta, timezone

from nameko.dependency_providers import Config

from kepu_common.consumers import event_consumer
from kepu_common.db import claim_events
from kepu_common.errors import KepuError
from kepu_common.rpc import rpc
from kepu_common.service_base import PlatformService
from services.review import access, tasks
from services.review.schemas import (
    ActorSchema, BatchDecisionRequest, BatchResultSchema, DecisionRequest, HistoryEntrySchema, ListRequest,
    QueueSchema, TaskPageRequest, TaskPageSchema, TaskSchema,
)


def _now():
    """The one clock claims are set and checked on: the application's."""
    return datetime.now(timezone.utc)


class ReviewService(PlatformService):
    name = "review"
    config = Config()

    # --- what arrives ------------------------------------------------------------------------
    def _take_requests(self, events, consumer):
        with self.db, self.db.cursor() as cur:
            for event in sorted(claim_events(cur, consumer, events), key=lambda e: e["occurred_at"]):
                tasks.from_request(cur, event)

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
    @property
    def _claim_ttl(self):
        return timedelta(minutes=float(self.config.get("REVIEW", {}).get("claim_minutes", 15)))

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
                                  data["limit"], data["offset"])
        return TaskSchema(many=True).dump(found)

    @rpc
    def task_page(self, request):
        """A page of tasks for GET /review/tasks: {items, page, page_size, has_more, total}."""
        data = TaskPageRequest().load(request)
        size = data["page_size"]
        with self.db, self.db.cursor() as cur:
            reviewer = access.load(cur, data["actor_id"])
            found = tasks.listing(cur, reviewer, data["stage"], data["status"], size + 1, (data["page"] - 1) * size)
            total = tasks.count(cur, reviewer, data["stage"], data["status"])
        return TaskPageSchema().dump({"items": found[:size], "page": data["page"], "page_size": size,
                                      "has_more": len(found) > size, "total": total})

    @rpc
    def get_task(self, task_id, request):
        actor = ActorSchema().load(request)
        with self.db, self.db.cursor() as cur:
            task = tasks.get(cur, task_id)
            access.load(cur, actor["actor_id"]).require(task["stage"], task["scope"])
            subject_history = tasks.history(cur, task["subject_type"], task["subject_id"])
        return {"task": TaskSchema().dump(task), "history": HistoryEntrySchema(many=True).dump(subject_history)}

    @rpc
    def claim(self, task_id, request):
        actor = ActorSchema().load(request)
        with self.db, self.db.cursor() as cur:
            task = tasks.claim(cur, access.load(cur, actor["actor_id"]), task_id, actor["actor_id"], self._claim_ttl,
                               _now(), actor["client_address"])
        return TaskSchema().dump(task)

    @rpc
    def release(self, task_id, request):
        actor = ActorSchema().load(request)
        with self.db, self.db.cursor() as cur:
            task = tasks.release(cur, access.load(cur, actor["actor_id"]), task_id, actor["actor_id"], _now(),
                                 actor["client_address"])
        return TaskSchema().dump(task)

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
            return TaskSchema().dump(self._decide(cur, access.load(cur, data["actor_id"]), task_id, data))

    @rpc
    def decide_many(self, request):
        """The same decision on several tasks; each succeeds or is refused on its own."""
        data = BatchDecisionRequest().load(request)
        results = []
        with self.db, self.db.cursor() as cur:
            reviewer = access.load(cur, data["actor_id"])
            for task_id in data["task_ids"]:
                cur.execute("SAVEPOINT one_decision")
                try:
                    task = self._decide(cur, reviewer, task_id, data)
                    results.append({"task_id": str(task["id"]), "status": "decided"})
                except KepuError as exc:
                    cur.execute("ROLLBACK TO SAVEPOINT one_decision")
                    results.append({"task_id": task_id, "status": "refused", "code": exc.code, "message": exc.message,
                                    "params": exc.payload.get("params") or {}, "fields": exc.fields})
        return BatchResultSchema(many=True).dump(results)

    @rpc
    def ops_figures(self):
        with self.db, self.db.cursor() as cur:
            return tasks.ops_figures(cur)
