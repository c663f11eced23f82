"""Requests and replies of the social half (communities, posts, comments, favorites, channels): the
resources service loads and dumps with them, and the gateway's communities blueprint uses the same classes
for HTTP and OpenAPI."""
from marshmallow import Schema, ValidationError, fields, validate

from kepu_common.interfaces.schema_fields import Page, PageRequest, Timestamp
from kepu_common.interfaces.validation import coded
from services.resources.constants import COMMENT_MAX, FAVORITE_TYPES, POST_MAX
from services.resources.contracts import has_hidden_characters

REGION_CODE = validate.Regexp(r"^\d{6}$")


def no_control_characters(value):
    """A name refuses control and invisible characters at the schema (social_rules.check_name checks again)."""
    if has_hidden_characters(value):
        raise ValidationError(coded("control_character_refused"))


class CommunityRequest(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=30), no_control_characters],
                         metadata={"description": "社团名称"})
    intro = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={"description": "简介"})
    rules = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                          metadata={"description": "内容发布规则, shown on the community's home"})
    region_code = fields.String(required=True, validate=REGION_CODE, metadata={"description": "county code, 6 digits"})
    topic = fields.String(required=True, validate=validate.Length(min=1, max=30), metadata={"description": "e.g. 科学防疫"})
    cover_upload_id = fields.UUID(load_default=None, allow_none=True,
                                  metadata={"description": "a completed upload of purpose community_cover (yours)"})
    creator_name = fields.String(load_default="", validate=validate.Length(max=50),
                                 metadata={"description": "set by the gateway from the verified name (masked when stored)"})


class CommunityListRequest(PageRequest):
    topic = fields.String(load_default=None, validate=validate.Length(max=30))
    region_code = fields.String(load_default=None, validate=REGION_CODE)
    mine = fields.Boolean(load_default=False, metadata={"description": "only the communities you belong to"})


class CommunitySchema(Schema):
    id = fields.UUID()
    name = fields.String()
    intro = fields.String()
    rules = fields.String()
    region_code = fields.String()
    topic = fields.String()
    cover_url = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending (in review), approved or rejected"})
    review_comment = fields.String()
    members = fields.Integer()
    my_role = fields.String(allow_none=True, metadata={"description": "member, moderator, admin, or null"})
    created_at = Timestamp()


class CommunityPageSchema(Page):
    items = fields.List(fields.Nested(CommunitySchema))


class JoinRequest(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=50),
                         metadata={"description": "set by the gateway from the verified name (masked when stored)"})


class CommunityMemberSchema(Schema):
    user_id = fields.UUID()
    name = fields.String(metadata={"description": "masked: 王*明"})
    role = fields.String()
    joined_at = Timestamp()


class CommunityMemberPageSchema(Page):
    items = fields.List(fields.Nested(CommunityMemberSchema))


class MemberRoleRequest(Schema):
    role = fields.String(required=True, validate=validate.OneOf(("member", "moderator")),
                         metadata={"description": "moderator appoints, member takes the appointment back"})


class PostRequest(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=POST_MAX))
    upload_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=9),
                             metadata={"description": "completed uploads of yours: up to 9 post_image, or one "
                                                      "post_video (at most 5 minutes)"})
    author_name = fields.String(load_default="", validate=validate.Length(max=50))


class PostMediaSchema(Schema):
    kind = fields.String(metadata={"description": "image or video"})
    url = fields.String()
    thumbnail_url = fields.String(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)


class PostSchema(Schema):
    id = fields.UUID()
    community_id = fields.UUID()
    community_name = fields.String()
    author_name = fields.String(metadata={"description": "masked: 王*明"})
    body = fields.String()
    media = fields.List(fields.Nested(PostMediaSchema))
    status = fields.String(metadata={"description": "published; held (waits for a moderator: the word check), "
                                                    "hidden or rejected: seen by the author and moderators only"})
    pinned = fields.Boolean()
    likes = fields.Integer()
    comments = fields.Integer()
    created_at = Timestamp()
    published_at = Timestamp(allow_none=True)


class PostPageSchema(Page):
    items = fields.List(fields.Nested(PostSchema))


class CommunityHomeSchema(Schema):
    community = fields.Nested(CommunitySchema)
    pinned = fields.List(fields.Nested(PostSchema))
    posts = fields.Nested(PostPageSchema, metadata={"description": "newest first"})


class ModerationRequest(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class ContentReportRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ContentReportSchema(Schema):
    id = fields.UUID()
    subject_type = fields.String()
    subject_id = fields.UUID()
    status = fields.String()
    created_at = Timestamp()


class RankingRequest(Schema):
    period = fields.String(load_default="week", validate=validate.OneOf(("week", "total")),
                           metadata={"description": "week: since Monday 00:00 Asia/Shanghai; total: ever"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class MemberRankSchema(Schema):
    rank = fields.Integer()
    name = fields.String(metadata={"description": "masked: 王*明"})
    posts = fields.Integer(metadata={"description": "published posts in the period"})
    likes = fields.Integer(metadata={"description": "likes those posts received"})


class RankingSchema(Schema):
    period = fields.String()
    since = Timestamp(allow_none=True)
    items = fields.List(fields.Nested(MemberRankSchema))


class CommentRequest(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=COMMENT_MAX))
    parent_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "a top-level comment to reply to (one level deep)"})
    author_name = fields.String(load_default="", validate=validate.Length(max=50))


class CommentListRequest(PageRequest):
    order = fields.String(load_default="newest", validate=validate.OneOf(("newest", "hottest")),
                          metadata={"description": "newest first, or most liked first"})


class CommentReplySchema(Schema):
    id = fields.UUID()
    parent_id = fields.UUID(allow_none=True)
    author_name = fields.String()
    body = fields.String()
    status = fields.String()
    likes = fields.Integer()
    created_at = Timestamp()


class CommentSchema(CommentReplySchema):
    target_type = fields.String()
    target_id = fields.UUID()
    replies = fields.Integer()
    latest_replies = fields.List(fields.Nested(CommentReplySchema), metadata={"description": "up to 3, oldest first"})


class CommentPageSchema(Page):
    items = fields.List(fields.Nested(CommentSchema))


class LikeStateSchema(Schema):
    liked = fields.Boolean()
    likes = fields.Integer()


class ModerationEntrySchema(Schema):
    action = fields.String(metadata={"description": "held, released, rejected, reported, hidden, restored, pinned, "
                                                    "unpinned"})
    actor_id = fields.String(allow_none=True, metadata={"description": "null: the word check"})
    reason = fields.String()
    at = Timestamp()


class FavoriteRequest(Schema):
    title = fields.String(load_default="", validate=validate.Length(max=200),
                          metadata={"description": "set by the gateway from the item"})


class FavoriteListRequest(PageRequest):
    type = fields.String(required=True, validate=validate.OneOf(FAVORITE_TYPES))


class FavoriteSchema(Schema):
    target_type = fields.String()
    target_id = fields.UUID()
    title = fields.String()
    created_at = Timestamp()


class FavoritePageSchema(Page):
    items = fields.List(fields.Nested(FavoriteSchema))


class ChannelsRequest(Schema):
    channels = fields.List(fields.String(validate=validate.Length(min=1, max=30)), required=True,
                           validate=validate.Length(max=30), metadata={"description": "in navigation order"})


class ChannelsSchema(Schema):
    available = fields.List(fields.String(), metadata={"description": "fixed channels, then resource topics"})
    chosen = fields.List(fields.String(), metadata={"description": "yours, in order (the default set until you pick)"})
