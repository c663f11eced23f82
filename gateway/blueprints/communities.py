"""The social half: communities (社团) and their posts (动态), comments and likes on resources, activities and
posts, reports and moderation, favorites (/me/favorites), channels (/channels, /me/channels) and the 关注
feed (/me/feed). The resources service owns them (services/resources/social_service.py).

The gateway passes the token's roles (`communicator`: real-name verified; `org_admin`: an organization
account) and the person's verified name from identity, which the resources service keeps masked only."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway import rpc
from gateway.auth import current_claims, require_auth
from kepu_common.bus.rpc_client import RemoteError
from kepu_common.interfaces.schema_fields import PageRequest
from services.resources.contracts import require_verified_commenter
from services.resources.social_schemas import (
    ModerationEntrySchema, ChannelsRequest, ChannelsSchema, CommentListRequest, CommentPageSchema, CommentRequest,
    CommentSchema, CommunityListRequest, CommunityPageSchema, CommunityRequest, CommunitySchema, FavoriteListRequest,
    FavoritePageSchema, CommunityHomeSchema, LikeStateSchema, CommunityMemberPageSchema, MemberRoleRequest, CommunityMemberSchema, ModerationRequest,
    PostPageSchema, PostRequest, PostSchema, RankingRequest, RankingSchema, ContentReportRequest, ContentReportSchema,
)

bp = Blueprint("communities", __name__, description="Communities (社团): creation and review, members, posts, ranking, "
                                                    "「社团精彩」")
posts = Blueprint("posts", __name__, description="Community posts (动态): read, pin, hide, restore, like, report")
comments = Blueprint("comments", __name__, description="Comments (评论) on resources, activities and posts: one level "
                                                       "of replies, likes, reports, moderation")
channels = Blueprint("channels", __name__, description="Channels (频道) of the top navigation")
me = Blueprint("me_social", __name__, description="Your favorites (收藏), channels and 关注 feed")
SECURED = [{"bearerAuth": []}]
OPTIONAL = [{}, {"bearerAuth": []}]


def _viewer():
    claims = current_claims(required=False)
    return claims["sub"] if claims else None


def _roles():
    return list(g.claims.get("roles", []))


def _my_name():
    """The verified real name (stored masked by the resources service), else an organization's name."""
    try:
        me_ = rpc.call("identity", "me", g.claims["sub"])
    except RemoteError as exc:  # a token of an account identity no longer has: shown as 科普用户
        if exc.exc_type != "NotFound":
            raise
        return ""
    verification = me_.get("verification") or {}
    if verification.get("status") == "approved" and verification.get("real_name"):
        return verification["real_name"]
    administers = me_.get("administers") or []
    return administers[0]["name"] if administers and administers[0].get("name") else ""


def _activity_title(activity_id):
    """Comments and favorites on an activity: it must exist and be visible (activities answers 404)."""
    return rpc.call("activities", "get_activity", str(activity_id), _viewer()).get("name") or ""


# --- communities -----------------------------------------------------------------------------------
@bp.route("")
class Communities(MethodView):
    @bp.arguments(CommunityListRequest, location="query")
    @bp.response(200, CommunityPageSchema)
    @bp.doc(security=OPTIONAL)
    def get(self, query):
        """Approved communities, most members first (topic, region filters); `mine=true`: the ones you belong to,
        whatever their review status."""
        return rpc.call("resources", "list_communities", _viewer(), query)

    @require_auth()
    @bp.arguments(CommunityRequest)
    @bp.response(201, CommunitySchema)
    @bp.alt_response(400, description="`name_has_control_characters`, a field too long, or the cover upload not "
                                      "usable (`uploads_not_attachable`)")
    @bp.alt_response(403, description="`community_creator_unverified`: not a verified communicator or organization")
    @bp.alt_response(409, description="`community_name_taken`")
    @bp.doc(security=SECURED)
    def post(self, payload):
        """Ask for a community (name, intro, cover, region, topic, 内容发布规则): it waits for review (stage org);
        you are its first admin."""
        payload["creator_name"] = _my_name()
        if payload.get("cover_upload_id"):
            payload["cover_upload_id"] = str(payload["cover_upload_id"])
        return rpc.call("resources", "create_community", g.claims["sub"], _roles(), payload)


@bp.route("/highlights")
class Highlights(MethodView):
    @bp.arguments(PageRequest, location="query")
    @bp.response(200, PostPageSchema)
    def get(self, query):
        """「社团精彩」 (活动 tab): communities' pinned posts first, then the most liked."""
        return rpc.call("resources", "community_highlights", query)


@bp.route("/<uuid:community_id>")
class CommunityView(MethodView):
    @bp.response(200, CommunitySchema)
    @bp.doc(security=OPTIONAL)
    def get(self, community_id):
        """A community (one in review: its members and platform admins only)."""
        return rpc.call("resources", "get_community", str(community_id), _viewer())


@bp.route("/<uuid:community_id>/home")
class Home(MethodView):
    @bp.arguments(PageRequest, location="query")
    @bp.response(200, CommunityHomeSchema)
    @bp.doc(security=OPTIONAL)
    def get(self, query, community_id):
        """A community's home: its rules (内容发布规则) with the rest of it, pinned posts, posts newest first."""
        return rpc.call("resources", "community_home", str(community_id), _viewer(), query)


@bp.route("/<uuid:community_id>/ranking")
class Ranking(MethodView):
    @bp.arguments(RankingRequest, location="query")
    @bp.response(200, RankingSchema)
    @bp.doc(security=OPTIONAL)
    def get(self, query, community_id):
        """Member ranking: published posts in the week (from Monday 00:00 Asia/Shanghai) or in total, then the
        likes they received; names masked (王*明)."""
        return rpc.call("resources", "member_ranking", str(community_id), _viewer(), query)


@bp.route("/<uuid:community_id>/members")
class Members(MethodView):
    @bp.arguments(PageRequest, location="query")
    @bp.response(200, CommunityMemberPageSchema)
    @bp.doc(security=OPTIONAL)
    def get(self, query, community_id):
        """Members (admins, then moderators, then by joining time), names masked."""
        return rpc.call("resources", "community_members", str(community_id), _viewer(), query)

    @require_auth()
    @bp.response(200, CommunityMemberSchema)
    @bp.alt_response(404, description="no such community")
    @bp.alt_response(409, description="`community_not_approved`")
    @bp.doc(security=SECURED)
    def post(self, community_id):
        """Join an approved community (joining twice is harmless)."""
        return rpc.call("resources", "join_community", g.claims["sub"], str(community_id), {"name": _my_name()})


@bp.route("/<uuid:community_id>/members/me")
class Membership(MethodView):
    @require_auth()
    @bp.response(200, description="left")
    @bp.alt_response(409, description="`not_a_community_member`, `last_admin_cannot_leave`")
    @bp.doc(security=SECURED)
    def delete(self, community_id):
        """Leave a community (its last admin cannot)."""
        return rpc.call("resources", "leave_community", g.claims["sub"], str(community_id))


@bp.route("/<uuid:community_id>/members/<uuid:user_id>")
class Member(MethodView):
    @require_auth()
    @bp.response(200, description="removed")
    @bp.alt_response(403, description="`not_a_community_admin`")
    @bp.alt_response(409, description="`not_a_community_member`, `cannot_remove_admin`")
    @bp.doc(security=SECURED)
    def delete(self, community_id, user_id):
        """Remove a member (the community's admins)."""
        return rpc.call("resources", "remove_member", g.claims["sub"], str(community_id), str(user_id))


@bp.route("/<uuid:community_id>/members/<uuid:user_id>/role")
class MemberRole(MethodView):
    @require_auth()
    @bp.arguments(MemberRoleRequest)
    @bp.response(200, CommunityMemberSchema)
    @bp.alt_response(403, description="`not_a_community_admin`")
    @bp.alt_response(409, description="`not_a_community_member`, `cannot_remove_admin`")
    @bp.doc(security=SECURED)
    def put(self, payload, community_id, user_id):
        """Appoint a moderator (role=moderator) or take the appointment back (role=member): the community's admins."""
        return rpc.call("resources", "set_member_role", g.claims["sub"], str(community_id), str(user_id), payload)


@bp.route("/<uuid:community_id>/posts")
class CommunityPosts(MethodView):
    @require_auth()
    @bp.arguments(PostRequest)
    @bp.response(201, PostSchema)
    @bp.alt_response(400, description="text too long, uploads not yours or not usable, more than one video")
    @bp.alt_response(403, description="`not_a_community_member`")
    @bp.alt_response(409, description="`community_not_approved`")
    @bp.alt_response(429, description="`too_many_per_minute`: at most 5 posts a minute")
    @bp.doc(security=SECURED)
    def post(self, payload, community_id):
        """Post (动态) in a community you belong to: text with up to 9 images (post_image uploads) or one short
        video (post_video). A text with a listed sensitive word is held (`status: held`) until a moderator
        releases it in the review UI."""
        payload["upload_ids"] = [str(u) for u in payload.get("upload_ids", [])]
        payload["author_name"] = _my_name()
        return rpc.call("resources", "create_post", g.claims["sub"], str(community_id), payload)


# --- posts ----------------------------------------------------------------------------------------------
@posts.route("/<uuid:post_id>")
class PostView(MethodView):
    @posts.response(200, PostSchema)
    @posts.doc(security=OPTIONAL)
    def get(self, post_id):
        """A published post (held, hidden or rejected ones: their author and the community's moderators)."""
        return rpc.call("resources", "get_post", str(post_id), _viewer())


@posts.route("/<uuid:post_id>/<any(pin, unpin, hide, restore):action>")
class PostModeration(MethodView):
    @require_auth()
    @posts.arguments(ModerationRequest)
    @posts.response(200, PostSchema)
    @posts.alt_response(403, description="`not_a_community_moderator`")
    @posts.alt_response(409, description="`already_hidden`, `not_hidden`, `post_not_published`")
    @posts.doc(security=SECURED)
    def post(self, payload, post_id, action):
        """pin, unpin, hide or restore a post (the community's moderators and admins); kept in the audit trail."""
        return rpc.call("resources", "moderate_post", g.claims["sub"], str(post_id), action, payload)


def _like_routes(blueprint, subject_type, path):
    @blueprint.route(path)
    class Like(MethodView):
        @require_auth()
        @blueprint.response(200, LikeStateSchema)
        @blueprint.alt_response(409, description="`already_liked`, or not published")
        @blueprint.doc(security=SECURED)
        def post(self, **ids):
            """Like (once per person)."""
            return rpc.call("resources", "like", g.claims["sub"], subject_type, str(next(iter(ids.values()))), True)

        @require_auth()
        @blueprint.response(200, LikeStateSchema)
        @blueprint.doc(security=SECURED)
        def delete(self, **ids):
            """Take a like back."""
            return rpc.call("resources", "like", g.claims["sub"], subject_type, str(next(iter(ids.values()))), False)

    Like.__name__ = f"{subject_type.title()}Like"

    @blueprint.route(path.replace("/like", "/report"))
    class Report(MethodView):
        @require_auth()
        @blueprint.arguments(ContentReportRequest)
        @blueprint.response(201, ContentReportSchema)
        @blueprint.alt_response(409, description="`cannot_report_own`, `already_reported`")
        @blueprint.doc(security=SECURED)
        def post(self, payload, **ids):
            """Report it to the moderators (a review task opens); not your own, once per person."""
            return rpc.call("resources", "report", g.claims["sub"], subject_type, str(next(iter(ids.values()))),
                            payload)

    Report.__name__ = f"{subject_type.title()}Report"

    @blueprint.route(path.replace("/like", "/audit"))
    class Audit(MethodView):
        @require_auth()
        @blueprint.response(200, ModerationEntrySchema(many=True))
        @blueprint.alt_response(403, description="not a moderator of it")
        @blueprint.doc(security=SECURED)
        def get(self, **ids):
            """The moderation audit trail: held, released, reported, hidden, restored, pinned… who and why."""
            return rpc.call("resources", "moderation_audit", g.claims["sub"], subject_type,
                            str(next(iter(ids.values()))))

    Audit.__name__ = f"{subject_type.title()}Audit"


_like_routes(posts, "post", "/<uuid:post_id>/like")


# --- comments ---------------------------------------------------------------------------------------
@comments.route("/<any(resource, activity, post):target_type>/<uuid:target_id>")
class Comments(MethodView):
    @comments.arguments(CommentListRequest, location="query")
    @comments.response(200, CommentPageSchema)
    def get(self, query, target_type, target_id):
        """Published top-level comments, newest or hottest (most liked) first, each with its 3 oldest replies."""
        return rpc.call("resources", "list_comments", target_type, str(target_id), query)

    @require_auth()
    @comments.arguments(CommentRequest)
    @comments.response(201, CommentSchema)
    @comments.alt_response(400, description="`reply_too_deep` (a reply to a reply), a text over 1,000 characters")
    @comments.alt_response(403, description="`comment_requires_real_name`: only real-name-verified accounts comment")
    @comments.alt_response(404, description="no such resource, activity or post")
    @comments.alt_response(429, description="`too_many_per_minute`: at most 10 comments a minute")
    @comments.doc(security=SECURED)
    def post(self, payload, target_type, target_id):
        """Comment, or reply to a top-level comment (`parent_id`). A text with a listed sensitive word is held
        (`status: held`) until a moderator releases it in the review UI."""
        require_verified_commenter(_roles())  # before anything is asked (the service checks again)
        if target_type == "activity":
            _activity_title(target_id)
        if payload.get("parent_id"):
            payload["parent_id"] = str(payload["parent_id"])
        payload["author_name"] = _my_name()
        return rpc.call("resources", "add_comment", g.claims["sub"], _roles(), target_type, str(target_id), payload)


@comments.route("/<uuid:comment_id>/replies")
class Replies(MethodView):
    @comments.arguments(PageRequest, location="query")
    @comments.response(200, CommentPageSchema)
    def get(self, query, comment_id):
        """A comment's published replies, oldest first."""
        return rpc.call("resources", "comment_replies", str(comment_id), query)


@comments.route("/<uuid:comment_id>/<any(hide, restore):action>")
class CommentModeration(MethodView):
    @require_auth()
    @comments.arguments(ModerationRequest)
    @comments.response(200, CommentSchema)
    @comments.alt_response(403, description="`not_a_community_moderator`: comments on a post are moderated by its "
                                            "community's moderators, others by platform admins")
    @comments.alt_response(409, description="`already_hidden`, `not_hidden`")
    @comments.doc(security=SECURED)
    def post(self, payload, comment_id, action):
        """Hide or restore a comment, with a reason kept in the audit trail."""
        return rpc.call("resources", "moderate_comment", g.claims["sub"], str(comment_id), action, payload)


_like_routes(comments, "comment", "/<uuid:comment_id>/like")


# --- favorites, channels, 关注 ------------------------------------------------------------------------
@me.route("/favorites")
class Favorites(MethodView):
    @require_auth()
    @me.arguments(FavoriteListRequest, location="query")
    @me.response(200, FavoritePageSchema)
    @me.doc(security=SECURED)
    def get(self, query):
        """Your favorites of one type (resource, activity or post), latest first."""
        return rpc.call("resources", "my_favorites", g.claims["sub"], query)


@me.route("/favorites/<any(resource, activity, post):target_type>/<uuid:target_id>")
class Favorite(MethodView):
    @require_auth()
    @me.response(200, description="favorited")
    @me.alt_response(404, description="no such resource, activity or post")
    @me.doc(security=SECURED)
    def put(self, target_type, target_id):
        """Add to your favorites (twice is harmless)."""
        title = _activity_title(target_id) if target_type == "activity" else ""
        return rpc.call("resources", "add_favorite", g.claims["sub"], target_type, str(target_id), {"title": title})

    @require_auth()
    @me.response(200, description="removed")
    @me.doc(security=SECURED)
    def delete(self, target_type, target_id):
        """Remove from your favorites."""
        return rpc.call("resources", "remove_favorite", g.claims["sub"], target_type, str(target_id))


@channels.route("")
class Channels(MethodView):
    @channels.response(200, ChannelsSchema)
    @channels.doc(security=OPTIONAL)
    def get(self):
        """The channels on offer (关注, 头条, 推荐, 科学防疫, 辟谣, 健康, then resource topics) and yours."""
        return rpc.call("resources", "channels", _viewer())


@me.route("/channels")
class MyChannels(MethodView):
    @require_auth()
    @me.arguments(ChannelsRequest)
    @me.response(200, ChannelsSchema)
    @me.alt_response(400, description="`channel_unknown`: a channel not on offer (`channels.<index>`)")
    @me.doc(security=SECURED)
    def put(self, payload):
        """Pick and order the channels of your top navigation."""
        return rpc.call("resources", "choose_channels", g.claims["sub"], payload)


@me.route("/feed")
class Feed(MethodView):
    @require_auth()
    @me.arguments(PageRequest, location="query")
    @me.response(200, PostPageSchema)
    @me.doc(security=SECURED)
    def get(self, query):
        """The 关注 channel: posts of the communities you belong to, newest first."""
        return rpc.call("resources", "followed_feed", g.claims["sub"], query)
