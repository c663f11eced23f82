"""The resources service's social entrypoints (a mixin of ResourcesService): communities, posts, comments,
likes, reports, favorites and channels. Thin: load through a schema, ask the rules, write, announce, dump.

Callers (the gateway) pass the signed-in person's roles from their access token (`communicator` means
real-name verified, `org_admin` an organization account) and, for what shows a person, their verified
name, which is stored masked (王*明) only."""
import logging

from nameko.dependency_providers import Config

from kepu_common.bus.consumers import event_consumer
from kepu_common.data.db import claim_events
from kepu_common.interfaces.errors import Conflict, InvalidInput, NotFound
from kepu_common.domain.org_admins import is_platform_admin
from kepu_common.bus.rpc import rpc
from kepu_common.interfaces.schema_fields import PageRequest
from services.resources import catalogue, comments, communities, sensitive_words, social_rules
from services.resources.social_schemas import (
    ModerationEntrySchema, ChannelsRequest, ChannelsSchema, CommentListRequest, CommentPageSchema, CommentRequest,
    CommentSchema, CommunityListRequest, CommunityPageSchema, CommunityRequest, CommunitySchema, FavoriteListRequest,
    FavoritePageSchema, FavoriteRequest, CommunityHomeSchema, JoinRequest, LikeStateSchema, CommunityMemberPageSchema, MemberRoleRequest,
    CommunityMemberSchema, ModerationRequest, PostPageSchema, PostRequest, PostSchema, RankingRequest, RankingSchema,
    ContentReportRequest, ContentReportSchema,
)

log = logging.getLogger(__name__)
REVIEW_SUBJECTS = (communities.SUBJECT_COMMUNITY, communities.SUBJECT_POST, comments.SUBJECT_COMMENT,
                   comments.SUBJECT_REPORT)
_WORD_LISTS = {}


def _page(data):
    return data["page_size"], (data["page"] - 1) * data["page_size"]


class SocialEntrypoints:
    social_config = Config()  # RESOURCES.sensitive_words_file / sensitive_words

    # --- helpers -----------------------------------------------------------------------------------
    @property
    def word_list(self):
        """The sensitive-word list, compiled once per process (RESOURCES.sensitive_words_file / _words)."""
        settings = self.social_config.get("RESOURCES", {})
        key = (settings.get("sensitive_words_file"), tuple(settings.get("sensitive_words") or ()))
        if key not in _WORD_LISTS:
            _WORD_LISTS[key] = sensitive_words.from_settings(settings)
        return _WORD_LISTS[key]

    def _community_out(self, community, my_role=None):
        return CommunitySchema().dump(dict(community, my_role=community.get("my_role", my_role),
                                           cover_url=self._url(community["cover_key"])))

    def _post_out(self, post):
        media = [{"kind": m["kind"], "url": self._url(m["key"]), "thumbnail_url": self._url(m.get("thumbnail_key")),
                  "width": m.get("width"), "height": m.get("height"), "duration_seconds": m.get("duration_seconds")}
                 for m in post["media"]]
        return PostSchema().dump(dict(post, media=media))

    def _post_page(self, items, more, data):
        return PostPageSchema().dump({"items": [dict(self._post_out(p)) for p in items], "page": data["page"],
                                      "page_size": data["page_size"], "has_more": more})

    def _post_event(self, cur, event_type, post, actor_id=None):
        self.outbox.add(cur, event_type, post_id=str(post["id"]), community_id=str(post["community_id"]),
                        author_id=str(post["author_id"]), status=post["status"], pinned=post["pinned"],
                        actor_id=str(actor_id) if actor_id else None)

    def _comment_event(self, cur, event_type, comment, actor_id=None):
        self.outbox.add(cur, event_type, comment_id=str(comment["id"]), target_type=comment["target_type"],
                        target_id=str(comment["target_id"]),
                        parent_id=str(comment["parent_id"]) if comment["parent_id"] else None,
                        author_id=str(comment["author_id"]), status=comment["status"],
                        actor_id=str(actor_id) if actor_id else None)

    def _hold(self, cur, subject_type, subject_id, snapshot, words):
        """A text that tripped the word list waits for a moderator: a review task (stage initial)."""
        comments.log(cur, subject_type, subject_id, "held", None, "、".join(words))
        self.outbox.add(cur, "review_requested", subject_type=subject_type, subject_id=str(subject_id),
                        stage="initial", scope=None, snapshot=dict(snapshot, held_words="、".join(words)))

    def _moderator_role(self, cur, user_id, community_id):
        return communities.role_of(cur, community_id, user_id), is_platform_admin(cur, user_id)

    # --- communities -------------------------------------------------------------------------------
    @rpc
    def create_community(self, user_id, roles, request):
        """A verified communicator or an organization's admin asks for a community; it waits for review
        (stage org) and its creator is its first admin."""
        social_rules.may_create_community(roles or [])
        data = CommunityRequest().load(request)
        with self.db, self.db.cursor() as cur:
            cover = (communities.own_uploads(cur, user_id, [data["cover_upload_id"]], ("community_cover",))[0]
                     if data["cover_upload_id"] else None)
            community = communities.create(cur, user_id, data, cover)
            self.outbox.add(cur, "community_submitted", community_id=str(community["id"]), creator_id=str(user_id),
                            name=community["name"], topic=community["topic"], region_code=community["region_code"],
                            status=community["status"])
            self.outbox.add(cur, "review_requested", subject_type=communities.SUBJECT_COMMUNITY,
                            subject_id=str(community["id"]), stage="org", scope=None,
                            snapshot=communities.review_snapshot(community, cover and cover["content_type"]))
        return self._community_out(community, "admin")

    @rpc
    def get_community(self, community_id, user_id=None):
        with self.db, self.db.cursor() as cur:
            community = communities.visible(cur, community_id, user_id, is_platform_admin(cur, user_id))
            return self._community_out(community, communities.role_of(cur, community_id, user_id))

    @rpc
    def list_communities(self, user_id=None, request=None):
        data = CommunityListRequest().load(request or {})
        if data["mine"] and not user_id:
            data["mine"] = False
        with self.db, self.db.cursor() as cur:
            found, more = communities.listing(cur, user_id, data["topic"], data["region_code"], data["mine"],
                                              *_page(data))
        return CommunityPageSchema().dump({"items": [self._community_out(c) for c in found], "page": data["page"],
                                           "page_size": data["page_size"], "has_more": more})

    @event_consumer("review", "review_decided", subjects=REVIEW_SUBJECTS)
    def on_social_review_decided(self, events):
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, "resources.on_social_review_decided", events):
                try:
                    self._apply_decision(cur, event)
                except NotFound:
                    log.warning("review decision on an unknown %s %s", event["subject_type"], event["subject_id"])

    def _apply_decision(self, cur, event):
        kind, approved, actor = event["subject_type"], event["decision"] == "approved", event["reviewer_id"]
        if kind == communities.SUBJECT_COMMUNITY:
            community = communities.apply_decision(cur, event)
            if community:
                self.outbox.add(cur, "community_approved" if approved else "community_rejected",
                                community_id=str(community["id"]), creator_id=str(community["creator_id"]),
                                name=community["name"], topic=community["topic"],
                                region_code=community["region_code"], status=community["status"])
        elif kind == communities.SUBJECT_POST:
            post = communities.get_post(cur, event["subject_id"], lock=True)
            if post["status"] == "held":
                post = communities.set_post_status(cur, post["id"], "published" if approved else "rejected")
                comments.log(cur, kind, post["id"], "released" if approved else "rejected", actor, event.get("comment"))
                self._post_event(cur, "post_published" if approved else "post_rejected", post, actor)
        elif kind == comments.SUBJECT_COMMENT:
            comment = comments.get(cur, event["subject_id"], lock=True)
            if comment["status"] == "held":
                comment = comments.set_status(cur, comment, "published" if approved else "rejected")
                comments.log(cur, kind, comment["id"], "released" if approved else "rejected", actor,
                             event.get("comment"))
                self._comment_event(cur, "comment_published" if approved else "comment_rejected", comment, actor)
        elif kind == comments.SUBJECT_REPORT:
            report = comments.get_report(cur, event["subject_id"], lock=True)
            if report["status"] == "open":  # approved: the report is upheld and what it names is hidden
                self._settle_report(cur, report, approved, actor, event.get("comment") or "")

    def _settle_report(self, cur, report, upheld, actor, reason):
        subject = communities.SUBJECT_POST if report["subject_type"] == "post" else comments.SUBJECT_COMMENT
        comments.close_reports(cur, report["subject_type"], report["subject_id"], "upheld" if upheld else "dismissed")
        if upheld:
            try:
                self._hide(cur, subject, report["subject_id"], actor, reason or "report_upheld")
            except Conflict:  # a moderator hid it meanwhile: the report is settled all the same
                pass

    # --- membership --------------------------------------------------------------------------------
    @rpc
    def join_community(self, user_id, community_id, request=None):
        data = JoinRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            community = communities.get(cur, community_id, lock=True)
            if communities.join(cur, community, user_id, data["name"]):
                self.outbox.add(cur, "community_member_joined", community_id=str(community_id), user_id=str(user_id),
                                role="member", actor_id=str(user_id))
            return CommunityMemberSchema().dump(communities.member(cur, community_id, user_id))

    @rpc
    def leave_community(self, user_id, community_id):
        with self.db, self.db.cursor() as cur:
            communities.get(cur, community_id, lock=True)
            communities.leave(cur, community_id, user_id)
            self.outbox.add(cur, "community_member_left", community_id=str(community_id), user_id=str(user_id),
                            role="member", actor_id=str(user_id))
        return {"left": True}

    @rpc
    def remove_member(self, actor_id, community_id, user_id):
        with self.db, self.db.cursor() as cur:
            communities.get(cur, community_id, lock=True)
            communities.remove(cur, community_id, actor_id, user_id, is_platform_admin(cur, actor_id))
            self.outbox.add(cur, "community_member_left", community_id=str(community_id), user_id=str(user_id),
                            role="member", actor_id=str(actor_id))
        return {"removed": True}

    @rpc
    def set_member_role(self, actor_id, community_id, user_id, request):
        data = MemberRoleRequest().load(request)
        with self.db, self.db.cursor() as cur:
            communities.get(cur, community_id, lock=True)
            member = communities.set_role(cur, community_id, actor_id, user_id, data["role"],
                                          is_platform_admin(cur, actor_id))
            self.outbox.add(cur, "community_member_role_changed", community_id=str(community_id),
                            user_id=str(user_id), role=member["role"], actor_id=str(actor_id))
        return CommunityMemberSchema().dump(member)

    @rpc
    def community_members(self, community_id, user_id=None, request=None):
        data = PageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            communities.visible(cur, community_id, user_id, is_platform_admin(cur, user_id))
            found, more = communities.members(cur, community_id, *_page(data))
        return CommunityMemberPageSchema().dump({"items": found, "page": data["page"], "page_size": data["page_size"],
                                        "has_more": more})

    # --- posts -------------------------------------------------------------------------------------
    @rpc
    def create_post(self, user_id, community_id, request):
        """A member posts text with images or a short video; a text that trips the word list is held for a
        moderator (a review task) instead of appearing."""
        data = PostRequest().load(request)
        body = data["body"].strip()
        if not body:
            raise InvalidInput("validation_failed", {"body": "blank"})
        words = self.word_list.hits(body)
        with self.db, self.db.cursor() as cur:
            community = communities.get(cur, community_id)
            communities.require_approved(community)
            social_rules.require_member(communities.role_of(cur, community_id, user_id))
            social_rules.check_rate(communities.recent_posts(cur, user_id), social_rules.POSTS_PER_MINUTE, "posts")
            media = communities.take_media(cur, user_id, data["upload_ids"])
            post = communities.create_post(cur, community, user_id, data["author_name"], body, media, words)
            if words:
                self._hold(cur, communities.SUBJECT_POST, post["id"], {
                    "community_name": community["name"], "author_name": post["author_name"], "body": body,
                    "files": [{"label": "图片" if m["kind"] == "image" else "视频", "purpose": "resources",
                               "key": m["key"], "content_type": m["content_type"], "kind": m["kind"]} for m in media]},
                    words)
            self._post_event(cur, "post_held" if words else "post_published", post, user_id)
        return self._post_out(post)

    @rpc
    def get_post(self, post_id, user_id=None):
        with self.db, self.db.cursor() as cur:
            post = communities.get_post(cur, post_id)
            role, admin = self._moderator_role(cur, user_id, post["community_id"])
            if not social_rules.visible_status(post["status"], post["author_id"], user_id,
                                               admin or role in ("moderator", "admin")):
                raise NotFound("post_not_found", {"post_id": "post_unknown"})
        return self._post_out(post)

    @rpc
    def community_home(self, community_id, user_id=None, request=None):
        """A community's home: its rules (with the rest of it), pinned posts, then posts newest first."""
        data = PageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            community = communities.visible(cur, community_id, user_id, is_platform_admin(cur, user_id))
            role = communities.role_of(cur, community_id, user_id)
            found, more = communities.posts(cur, community_id, *_page(data))
            pinned = communities.pinned(cur, community_id)
        return CommunityHomeSchema().dump({"community": self._community_out(community, role),
                                  "pinned": [self._post_out(p) for p in pinned],
                                  "posts": self._post_page(found, more, data)})

    @rpc
    def moderate_post(self, actor_id, post_id, action, request=None):
        """pin / unpin / hide / restore, by the community's moderators and admins (platform admins anywhere)."""
        if action not in ("pin", "unpin", "hide", "restore"):
            raise InvalidInput("validation_failed", {"action": "not_an_action"})
        reason = ModerationRequest().load(request or {})["reason"]
        with self.db, self.db.cursor() as cur:
            post = communities.get_post(cur, post_id, lock=True)
            social_rules.require_moderator(*self._moderator_role(cur, actor_id, post["community_id"]))
            if action in ("pin", "unpin"):
                if post["status"] != "published":
                    raise Conflict("post_not_published", {"post_id": f"post_{post['status']}"})
                post = communities.set_pinned(cur, post_id, action == "pin")
                comments.log(cur, communities.SUBJECT_POST, post_id, f"{action}ned", actor_id, reason)
                self._post_event(cur, f"post_{action}ned", post, actor_id)
            elif action == "hide":
                post = self._hide(cur, communities.SUBJECT_POST, post_id, actor_id, reason)
            else:
                post = self._restore(cur, communities.SUBJECT_POST, post_id, actor_id, reason)
        return self._post_out(post)

    def _hide(self, cur, subject, subject_id, actor_id, reason):
        if subject == communities.SUBJECT_POST:
            post = communities.get_post(cur, subject_id, lock=True)
            if post["status"] not in ("published", "held"):
                raise Conflict("already_hidden", {"post_id": f"post_{post['status']}"})
            post = communities.set_post_status(cur, subject_id, "hidden")
            comments.log(cur, subject, subject_id, "hidden", actor_id, reason)
            self._post_event(cur, "post_hidden", post, actor_id)
            return post
        comment = comments.get(cur, subject_id, lock=True)
        if comment["status"] not in ("published", "held"):
            raise Conflict("already_hidden", {"comment_id": f"comment_{comment['status']}"})
        comment = comments.set_status(cur, comment, "hidden")
        comments.log(cur, subject, subject_id, "hidden", actor_id, reason)
        self._comment_event(cur, "comment_hidden", comment, actor_id)
        return comment

    def _restore(self, cur, subject, subject_id, actor_id, reason):
        if subject == communities.SUBJECT_POST:
            post = communities.get_post(cur, subject_id, lock=True)
            if post["status"] != "hidden":
                raise Conflict("not_hidden", {"post_id": f"post_{post['status']}"})
            post = communities.set_post_status(cur, subject_id, "published")
            comments.log(cur, subject, subject_id, "restored", actor_id, reason)
            self._post_event(cur, "post_restored", post, actor_id)
            return post
        comment = comments.get(cur, subject_id, lock=True)
        if comment["status"] != "hidden":
            raise Conflict("not_hidden", {"comment_id": f"comment_{comment['status']}"})
        comment = comments.set_status(cur, comment, "published")
        comments.log(cur, subject, subject_id, "restored", actor_id, reason)
        self._comment_event(cur, "comment_restored", comment, actor_id)
        return comment

    @rpc
    def member_ranking(self, community_id, user_id=None, request=None):
        """Members by published posts in the period (this week from Monday 00:00 Asia/Shanghai, or ever),
        then the likes those posts got; names masked."""
        from datetime import datetime, timezone

        data = RankingRequest().load(request or {})
        since = social_rules.week_start(datetime.now(timezone.utc)) if data["period"] == "week" else None
        with self.db, self.db.cursor() as cur:
            communities.visible(cur, community_id, user_id, is_platform_admin(cur, user_id))
            rows = communities.ranking_rows(cur, community_id, since)
        return RankingSchema().dump({"period": data["period"], "since": since,
                                     "items": social_rules.rank_members(rows)[:data["limit"]]})

    @rpc
    def community_highlights(self, request=None):
        """「社团精彩」: pinned posts first, then the most liked."""
        data = PageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            found, more = communities.highlights(cur, *_page(data))
        return self._post_page(found, more, data)

    @rpc
    def followed_feed(self, user_id, request=None):
        """The 关注 channel: posts of the communities one belongs to, newest first."""
        data = PageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            found, more = communities.followed_posts(cur, user_id, *_page(data))
        return self._post_page(found, more, data)

    # --- comments ----------------------------------------------------------------------------------
    def _target(self, cur, target_type, target_id, user_id):
        """The thing commented on or favorited must be visible: a published resource, a published post (an
        activity is checked by the gateway with the activities service). Returns its title."""
        if target_type == "resource":
            return catalogue.visible(cur, target_id, user_id)["title"]
        if target_type == "post":
            post = communities.get_post(cur, target_id)
            if post["status"] != "published":
                raise NotFound("post_not_found", {"post_id": "post_unknown"})
            return post["body"][:60]
        return None

    @rpc
    def add_comment(self, user_id, roles, target_type, target_id, request):
        """Only real-name-verified accounts comment; replies go one level deep; a text that trips the word
        list is held for a moderator."""
        if target_type not in social_rules.COMMENT_TARGETS:
            raise InvalidInput("validation_failed", {"target_type": "not_a_target"})
        social_rules.require_verified_commenter(roles or [])
        data = CommentRequest().load(request)
        body = data["body"].strip()
        if not body:
            raise InvalidInput("validation_failed", {"body": "blank"})
        words = self.word_list.hits(body)
        with self.db, self.db.cursor() as cur:
            self._target(cur, target_type, target_id, user_id)
            parent = comments.get(cur, data["parent_id"], lock=True) if data["parent_id"] else None
            social_rules.check_same_target(parent, target_type, target_id)
            social_rules.check_reply(parent)
            social_rules.check_rate(comments.recent(cur, user_id), social_rules.COMMENTS_PER_MINUTE, "comments")
            comment = comments.create(cur, target_type, target_id, parent, user_id, data["author_name"], body, words)
            if words:
                self._hold(cur, comments.SUBJECT_COMMENT, comment["id"], {
                    "target_type": target_type, "author_name": comment["author_name"], "body": body}, words)
            self._comment_event(cur, "comment_held" if words else "comment_published", comment, user_id)
        return CommentSchema().dump(dict(comment, latest_replies=[]))

    @rpc
    def list_comments(self, target_type, target_id, request=None):
        if target_type not in social_rules.COMMENT_TARGETS:
            raise InvalidInput("validation_failed", {"target_type": "not_a_target"})
        data = CommentListRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            found, more = comments.page(cur, target_type, target_id, data["order"], *_page(data))
        return CommentPageSchema().dump({"items": found, "page": data["page"], "page_size": data["page_size"],
                                         "has_more": more})

    @rpc
    def comment_replies(self, comment_id, request=None):
        data = PageRequest().load(request or {})
        with self.db, self.db.cursor() as cur:
            comments.get(cur, comment_id)
            found, more = comments.replies_page(cur, comment_id, *_page(data))
        return CommentPageSchema().dump({"items": [dict(c, latest_replies=[]) for c in found], "page": data["page"],
                                         "page_size": data["page_size"], "has_more": more})

    def _comment_moderator(self, cur, actor_id, comment):
        """Comments under a community's post: that community's moderators; elsewhere: platform admins."""
        admin = is_platform_admin(cur, actor_id)
        if comment["target_type"] == "post":
            post = communities.get_post(cur, comment["target_id"])
            social_rules.require_moderator(communities.role_of(cur, post["community_id"], actor_id), admin)
        else:
            social_rules.require_moderator(None, admin)

    @rpc
    def moderate_comment(self, actor_id, comment_id, action, request=None):
        """hide / restore a comment, with a reason kept in the audit trail."""
        if action not in ("hide", "restore"):
            raise InvalidInput("validation_failed", {"action": "not_an_action"})
        reason = ModerationRequest().load(request or {})["reason"]
        with self.db, self.db.cursor() as cur:
            self._comment_moderator(cur, actor_id, comments.get(cur, comment_id))
            if action == "hide":
                comment = self._hide(cur, comments.SUBJECT_COMMENT, comment_id, actor_id, reason)
            else:
                comment = self._restore(cur, comments.SUBJECT_COMMENT, comment_id, actor_id, reason)
        return CommentSchema().dump(dict(comment, latest_replies=[]))

    @rpc
    def moderation_audit(self, actor_id, subject_type, subject_id):
        """The audit trail of a post or comment, for those who moderate it."""
        with self.db, self.db.cursor() as cur:
            if subject_type == "comment":
                self._comment_moderator(cur, actor_id, comments.get(cur, subject_id))
                subject = comments.SUBJECT_COMMENT
            elif subject_type == "post":
                post = communities.get_post(cur, subject_id)
                social_rules.require_moderator(*self._moderator_role(cur, actor_id, post["community_id"]))
                subject = communities.SUBJECT_POST
            else:
                raise InvalidInput("validation_failed", {"subject_type": "not_a_subject"})
            return ModerationEntrySchema(many=True).dump(comments.audit(cur, subject, subject_id))

    # --- likes and reports --------------------------------------------------------------------------
    def _likeable(self, cur, subject_type, subject_id):
        if subject_type == "comment":
            subject = comments.get(cur, subject_id)
        elif subject_type == "post":
            subject = communities.get_post(cur, subject_id)
        else:
            raise InvalidInput("validation_failed", {"subject_type": "not_a_subject"})
        if subject["status"] != "published":
            raise Conflict("not_published", {"subject_id": f"{subject_type}_{subject['status']}"})
        return subject

    @rpc
    def like(self, user_id, subject_type, subject_id, liked=True):
        with self.db, self.db.cursor() as cur:
            self._likeable(cur, subject_type, subject_id)
            if liked:
                count = comments.like(cur, subject_type, subject_id, user_id)
            else:
                count = comments.unlike(cur, subject_type, subject_id, user_id)
            self.outbox.add(cur, "content_liked" if liked else "content_unliked", subject_type=subject_type,
                            subject_id=str(subject_id), user_id=str(user_id), likes=count)
        return LikeStateSchema().dump({"liked": liked, "likes": count})

    @rpc
    def report(self, user_id, subject_type, subject_id, request):
        """A member of the public reports a post or comment (not their own): a review task opens."""
        data = ContentReportRequest().load(request)
        with self.db, self.db.cursor() as cur:
            subject = self._likeable(cur, subject_type, subject_id)
            social_rules.check_report(subject["author_id"], user_id)
            report = comments.report(cur, subject_type, subject_id, user_id, data["reason"])
            comments.log(cur, communities.SUBJECT_POST if subject_type == "post" else comments.SUBJECT_COMMENT,
                         subject_id, "reported", user_id, data["reason"])
            self.outbox.add(cur, "content_reported", report_id=str(report["id"]), subject_type=subject_type,
                            subject_id=str(subject_id), reporter_id=str(user_id))
            self.outbox.add(cur, "review_requested", subject_type=comments.SUBJECT_REPORT,
                            subject_id=str(report["id"]), stage="initial", scope=None,
                            snapshot={"reported_kind": subject_type, "author_name": subject["author_name"],
                                      "body": subject["body"], "report_reason": data["reason"]})
        return ContentReportSchema().dump(report)

    # --- favorites ----------------------------------------------------------------------------------
    @rpc
    def add_favorite(self, user_id, target_type, target_id, request=None):
        if target_type not in social_rules.FAVORITE_TYPES:
            raise InvalidInput("validation_failed", {"target_type": "not_a_target"})
        title = FavoriteRequest().load(request or {})["title"]
        with self.db, self.db.cursor() as cur:
            title = self._target(cur, target_type, target_id, user_id) or title
            if comments.favorite(cur, user_id, target_type, target_id, title):
                self.outbox.add(cur, "favorite_added", user_id=str(user_id), target_type=target_type,
                                target_id=str(target_id))
        return {"favorited": True}

    @rpc
    def remove_favorite(self, user_id, target_type, target_id):
        with self.db, self.db.cursor() as cur:
            if comments.unfavorite(cur, user_id, target_type, target_id):
                self.outbox.add(cur, "favorite_removed", user_id=str(user_id), target_type=target_type,
                                target_id=str(target_id))
        return {"favorited": False}

    @rpc
    def my_favorites(self, user_id, request):
        data = FavoriteListRequest().load(request)
        with self.db, self.db.cursor() as cur:
            found, more = comments.favorites(cur, user_id, data["type"], *_page(data))
        return FavoritePageSchema().dump({"items": found, "page": data["page"], "page_size": data["page_size"],
                                          "has_more": more})

    # --- channels ------------------------------------------------------------------------------------
    @rpc
    def channels(self, user_id=None):
        with self.db, self.db.cursor() as cur:
            available = comments.available_channels(cur)
            chosen = comments.chosen_channels(cur, user_id) if user_id else list(comments.DEFAULT_CHANNELS)
        return ChannelsSchema().dump({"available": available, "chosen": chosen})

    @rpc
    def choose_channels(self, user_id, request):
        data = ChannelsRequest().load(request)
        with self.db, self.db.cursor() as cur:
            available = comments.available_channels(cur, limit=500)
            chosen = social_rules.normalize_channels(data["channels"], available)
            comments.save_channels(cur, user_id, chosen)
            self.outbox.add(cur, "channels_chosen", user_id=str(user_id), channels=chosen)
        return ChannelsSchema().dump({"available": available, "chosen": chosen})
