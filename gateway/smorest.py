"""flask-smorest as the gateway uses it: invalid arguments are 400, and every operation documents the
statuses it really answers with.

webargs answers invalid input with 422 by default and flask-smorest documents that; the platform keeps
422 for a broken rule and answers invalid input with 400 (docs/errors.md). The parser is flask-smorest's
documented extension point (`ARGUMENTS_PARSER`), set here on the mixin every Blueprint shares, before any
blueprint module is imported (the status is read when a view is decorated).
"""
import json

from apispec import BasePlugin
from flask_smorest.arguments import ArgumentsMixin
from webargs.flaskparser import FlaskParser

from gateway import hostile_input
from kepu_common.interfaces.contracts import SUPERVISING_CATEGORIES


class GatewayParser(FlaskParser):
    """Invalid arguments are 400; numbers beyond 64 bits in any parsed argument are refused too."""

    DEFAULT_VALIDATION_STATUS = 400

    def parse(self, argmap, req=None, **kwargs):
        parsed = super().parse(argmap, req, **kwargs)
        hostile_input.refuse_large_numbers(parsed)
        return parsed


if not isinstance(getattr(ArgumentsMixin, "ARGUMENTS_PARSER", None), FlaskParser):
    raise RuntimeError("flask_smorest.arguments.ArgumentsMixin.ARGUMENTS_PARSER is gone: update gateway/smorest.py")
ArgumentsMixin.ARGUMENTS_PARSER = GatewayParser()

DESCRIPTIONS = {
    "400": "invalid input (`validation_failed` with field codes, `malformed_json`)",
    "401": "not signed in, or the token expired or is invalid",
    "403": "signed in without the role or the right this needs",
    "404": "no such item, or not visible to the caller",
    "408": "the body stopped arriving before it was complete (`request_timeout`)",
    "413": "the body is too large",
    "415": "the body is not JSON",
    "503": "a part of the platform is down (`details.dependency` names it); retry after `Retry-After`",
}


class DocumentedStatuses(BasePlugin):
    """Adds to each operation the errors every operation of its kind can give, in the error envelope."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        path_parameters = "{" in (path or "")
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)
            statuses = {"503"}
            if operation.get("parameters") or operation.get("requestBody") or path_parameters or \
                    kwargs.get("parameters"):
                statuses.add("400")
            body = operation.get("requestBody", {}).get("content", {})
            if body:
                statuses.update(("408", "413"))
                if "application/json" in body:
                    statuses.add("415")
            if operation.get("security"):
                statuses.update(("401", "403"))
            if path_parameters:
                statuses.add("404")
            for status in sorted(statuses):
                if status not in responses and int(status) not in responses:
                    responses[status] = {"description": DESCRIPTIONS[status],
                                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


# --- the contract a generated client reads (issue 28; docs/api-clients.md) ----------------------------------
# One tag per area of the API, whichever blueprints serve it (a generated client makes one module per tag).
AREAS = {
    "auth": "auth", "me": "account", "notifications": "notifications",
    "orgs": "orgs", "regions": "regions", "admin": "admin", "storage_admin": "admin",
    "uploads": "uploads", "resources": "resources", "my": "resources", "topics": "resources",
    "campaigns": "activities", "activities": "activities", "my_activities": "activities", "nominations": "activities",
    "review": "review", "system": "system",
    "shares": "shares", "me_metrics": "shares", "stats": "stats", "org_stats": "stats", "metrics_admin": "stats",
    "mall": "mall",
    "communities": "social", "posts": "social", "comments": "social", "channels": "social", "me_social": "social",
}
AREA_DESCRIPTIONS = {
    "auth": "Registering, signing in (password or SMS code), tokens, password reset",
    "account": "The signed-in account: profile, real-name verification, appointment letter",
    "notifications": "The inbox and notification preferences",
    "orgs": "Organizations: directory, entry with a licence image, members",
    "regions": "Administrative divisions and the communicators of an area",
    "admin": "Platform administration: users and roles, storage findings",
    "uploads": "Resumable uploads of files for resources, activities and follow-ups",
    "resources": "Science-popularization resources: publishing, search, download, topics",
    "activities": "Activities (全国科普日): campaigns, publishing, follow-up, nomination, listing and iCalendar",
    "review": "Review tasks and decisions",
    "system": "Platform self-checks",
    "shares": "Shares, their returns and the points they earn",
    "stats": "Statistics, leaderboard, recognitions and the points rules",
    "mall": "The points mall: items, redemptions, delivery",
    "social": "Communities, posts, comments, channels, favorites and the feed",
}

# operationId per endpoint ("blueprint.View METHOD"): verbs as a frontend reads them. An operation not
# listed gets one derived from its method and view (gateway/tests/test_openapi.py keeps them unique).
OPERATION_IDS = {
    "activities.Activities GET": "listActivities", "activities.Activities POST": "publishActivity",
    "activities.ActivitiesCalendar GET": "getActivitiesCalendar",
    "activities.ActivityCalendar GET": "getActivityCalendarAlias",
    "activities.ActivityCalendarFile GET": "getActivityCalendar",
    "activities.ActivityView GET": "getActivity", "activities.ActivityView PUT": "editActivity",
    "activities.Followup GET": "getFollowup", "activities.Followup PUT": "saveFollowup",
    "activities.FollowupExtension POST": "extendFollowupDeadline",
    "activities.Nomination POST": "nominateActivity", "activities.Nomination DELETE": "withdrawNomination",
    "activities.Shelf POST": "setActivityShelf", "activities.UnitStats GET": "getUnitStats",
    "activities.Versions GET": "listActivityVersions",
    "admin.UserRoleAudit GET": "listUserRoleAudit", "admin.UserRoles POST": "grantRole",
    "admin.UserRoles DELETE": "revokeRole", "admin.Users GET": "listUsers",
    "auth.LoginView POST": "signIn", "auth.LogoutView POST": "signOut", "auth.PasswordResetView POST": "resetPassword",
    "auth.RefreshView POST": "refreshToken", "auth.RegisterView POST": "register", "auth.SessionView GET": "getSession",
    "auth.SmsCodeView POST": "sendSmsCode", "auth.SmsLoginView POST": "signInWithSmsCode",
    "campaigns.CampaignChanges GET": "listCampaignChanges", "campaigns.CampaignView PATCH": "updateCampaign",
    "campaigns.Campaigns GET": "listCampaigns", "campaigns.Campaigns POST": "createCampaign",
    "channels.Channels GET": "listChannels",
    "comments.Audit GET": "getCommentAudit", "comments.CommentModeration POST": "moderateComment",
    "comments.Comments GET": "listComments", "comments.Comments POST": "createComment",
    "comments.Like POST": "likeComment", "comments.Like DELETE": "unlikeComment",
    "comments.Replies GET": "listCommentReplies", "comments.Report POST": "reportComment",
    "communities.Communities GET": "listCommunities", "communities.Communities POST": "createCommunity",
    "communities.CommunityPosts POST": "createPost", "communities.CommunityView GET": "getCommunity",
    "communities.Highlights GET": "listCommunityHighlights", "communities.Home GET": "getCommunityHome",
    "communities.Member DELETE": "removeCommunityMember", "communities.MemberRole PUT": "setCommunityMemberRole",
    "communities.Members GET": "listCommunityMembers", "communities.Members POST": "joinCommunity",
    "communities.Membership DELETE": "leaveCommunity", "communities.Ranking GET": "getCommunityRanking",
    "mall.Cancel POST": "cancelRedemption", "mall.Delivery GET": "getRedemptionDelivery",
    "mall.Fulfil POST": "fulfilRedemption", "mall.Images POST": "uploadMallImage",
    "mall.Item GET": "getMallItem", "mall.Item PATCH": "updateMallItem",
    "mall.Items GET": "listMallItems", "mall.Items POST": "createMallItem",
    "mall.Redemption GET": "getRedemption", "mall.Redemptions GET": "listRedemptions",
    "mall.Redemptions POST": "redeem",
    "me.AppointmentLetterUpload POST": "uploadAppointmentLetter", "me.MeView GET": "getMe",
    "me.VerificationChangeView POST": "requestVerificationChange", "me.VerificationView POST": "submitVerification",
    "me_metrics.MyPoints GET": "getMyPoints", "me_metrics.MyStats GET": "getMyStats",
    "me_social.Favorite PUT": "addFavorite", "me_social.Favorite DELETE": "removeFavorite",
    "me_social.Favorites GET": "listFavorites", "me_social.Feed GET": "getFeed", "me_social.MyChannels PUT": "setMyChannels",
    "metrics_admin.Campaign PUT": "setPointsCampaign", "metrics_admin.Campaigns GET": "listPointsCampaigns",
    "metrics_admin.Settings GET": "getPointsSettings", "metrics_admin.Settings PATCH": "updatePointsSettings",
    "my.MyResources GET": "listMyResources", "my_activities.MyActivities GET": "listMyActivities",
    "nominations.Nominations GET": "listNominations",
    "notifications.Inbox GET": "listNotifications", "notifications.MarkOneRead POST": "markNotificationRead",
    "notifications.MarkRead POST": "markNotificationsRead",
    "notifications.Preferences GET": "getNotificationPreferences",
    "notifications.Preferences PUT": "setNotificationPreferences",
    "notifications.Unread GET": "countUnreadNotifications",
    "org_stats.OrgStats GET": "getOrgStats",
    "orgs.LicenceUpload POST": "uploadLicence", "orgs.Membership POST": "joinOrg", "orgs.Membership DELETE": "leaveOrg",
    "orgs.OrgMember DELETE": "removeOrgMember", "orgs.OrgMembers GET": "listOrgMembers", "orgs.OrgView GET": "getOrg",
    "orgs.Orgs GET": "searchOrgs", "orgs.Orgs POST": "registerOrg",
    "posts.Audit GET": "getPostAudit", "posts.Like POST": "likePost", "posts.Like DELETE": "unlikePost",
    "posts.PostModeration POST": "moderatePost", "posts.PostView GET": "getPost", "posts.Report POST": "reportPost",
    "regions.AreaCommunicators GET": "listAreaCommunicators",
    "regions.AreaCommunicatorsCsv GET": "exportAreaCommunicators", "regions.Divisions GET": "listDivisions",
    "resources.Download GET": "downloadResource", "resources.ResourceView GET": "getResource",
    "resources.ResourceView PATCH": "updateResource", "resources.ResourceView PUT": "editResource",
    "resources.Resources GET": "searchResources", "resources.Resources POST": "publishResource",
    "resources.Withdraw POST": "withdrawResource",
    "review.Claim POST": "claimTask", "review.DecisionView POST": "decideTask", "review.Decisions POST": "decideTasks",
    "review.Queues GET": "listQueues", "review.Release POST": "releaseTask", "review.TaskView GET": "getTask",
    "review.Tasks GET": "listTasks",
    "shares.ShareReturn POST": "returnShare", "shares.Shares POST": "startShare",
    "stats.ActivityStats GET": "getActivityStats", "stats.DownloadStats GET": "getDownloadStats",
    "stats.Leaderboard GET": "getLeaderboard", "stats.Recognitions GET": "listRecognitions",
    "stats.RecognitionsCsv GET": "exportRecognitions",
    "storage_admin.Findings GET": "listStorageFindings",
    "system.PingReceiptView GET": "getPingReceipt", "system.Pings POST": "sendPing",
    "system.ServiceHealth GET": "getServiceHealth",
    "topics.Topics GET": "listTopics",
    "uploads.Complete POST": "completeUpload", "uploads.Content PUT": "putUploadContent",
    "uploads.UploadView GET": "getUpload", "uploads.Uploads POST": "startUpload",
}
DERIVED_VERBS = {"get": "get", "post": "create", "put": "put", "patch": "update", "delete": "delete"}

ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
REQUEST_ID_HEADER = {"description": "the request's id (echoed when sent, else made); also in every error's "
                                    "`request_id` and in the logs", "schema": {"type": "string"}}
RETRY_AFTER_HEADER = {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}
LOCATION_HEADER = {"description": "where the answer is (a short-lived link for a download)",
                   "schema": {"type": "string", "format": "uri"}}
FILE_TYPES = {".ics": "text/calendar", ".csv": "text/csv"}  # answers named by their file suffix
# raw-byte uploads: the body's bytes decide the type (sniffed), so any declared type is accepted; documented
# as application/octet-stream (what generated clients send) beside the image types a browser sends
RAW_BODY = {"type": "string", "format": "binary"}


def described_mapping(self, field, ret, **kwargs):
    """An apispec attribute function: a kepu_common.interfaces.schema_fields.Described mapping is documented as its
    schema's component (a reference, nullable the OpenAPI 3.0 way), not as a free-form object."""
    schema = getattr(field, "described_by", None)
    if schema is None:
        return {}
    ref = self.resolve_nested_schema(schema)
    for key in ("type", "additionalProperties"):
        ret.pop(key, None)
    if field.allow_none:
        ret.pop("nullable", None)
        return {"allOf": [ref], "nullable": True}
    return ref


def operation_id(endpoint, method):
    key = f"{endpoint} {method.upper()}"
    if key in OPERATION_IDS:
        return OPERATION_IDS[key]
    view = endpoint.rpartition(".")[2].removesuffix("View")
    return DERIVED_VERBS.get(method.lower(), method.lower()) + view


class ApiContract(BasePlugin):
    """Each operation as a generated client needs it: an operationId, its area's tag, `security: []` when
    public, the envelope on every error, the headers it sends, the media type of a file answer."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        endpoint = getattr(rule, "endpoint", None)
        for method, operation in (operations or {}).items():
            if endpoint:
                operation.setdefault("operationId", operation_id(endpoint, method))
                blueprint = endpoint.partition(".")[0]
                operation["tags"] = [AREAS.get(blueprint, blueprint)]
            if not operation.get("security"):
                operation["security"] = []
            suffix = next((s for s in FILE_TYPES if (path or "").endswith(s)), None)
            responses = operation.get("responses", {})
            for status, response in list(responses.items()):
                code = int(status)
                if not isinstance(response, dict):  # a named response ("DEFAULT_ERROR"): said in full here
                    response = responses[status] = {"description": DESCRIPTIONS.get(str(code), str(response))}
                headers = response.setdefault("headers", {})
                headers.setdefault("X-Request-ID", REQUEST_ID_HEADER)
                if code >= 400:
                    response["content"] = dict(ERROR_CONTENT)
                if code in (429, 503):
                    headers.setdefault("Retry-After", RETRY_AFTER_HEADER)
                if 300 <= code < 400:
                    headers.setdefault("Location", LOCATION_HEADER)
                if suffix and code == 200 and not response.get("content"):
                    response["content"] = {FILE_TYPES[suffix]: {"schema": {"type": "string"}}}
                    headers.setdefault("Content-Disposition", {"description": "attachment; its file name",
                                                               "schema": {"type": "string"}})
            body = operation.get("requestBody", {}).get("content", {})
            if body and all(media.startswith("image/") for media in body):
                body.clear()
                body["application/octet-stream"] = {"schema": RAW_BODY}


def finish(document):
    """The whole document once built: area tags, nullable references the OpenAPI 3.0 way, every enum a
    named component."""
    used = {tag for item in document.get("paths", {}).values() for operation in item.values()
            if isinstance(operation, dict) for tag in operation.get("tags", ())}
    document["tags"] = [{"name": area, "description": AREA_DESCRIPTIONS.get(area, area)}
                        for area in dict.fromkeys(AREAS.values()) if area in used]
    document["info"].setdefault("description", INFO_DESCRIPTION)
    document["info"].setdefault("contact", {"name": "Kepu platform", "url": "https://kepu.example.cn/"})
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _actions_as_paths(document)
    _nullable_refs(document)
    _enums_as_components(document, schemas)
    _required_in_answers(document, schemas)
    text = json.dumps(document["paths"]) + json.dumps({k: v for k, v in schemas.items()})
    for name in UNUSED_CANDIDATES:
        if name in schemas and f"#/components/schemas/{name}\"" not in text:
            del schemas[name]
    return document


INFO_DESCRIPTION = ("The Kepu platform's public HTTP API. Every error is one envelope "
                    "`{\"error\": {code, message, fields, details, request_id}}` (docs/errors.md); generated clients: "
                    "docs/api-clients.md.")
UNUSED_CANDIDATES = ("PaginationMetadata",)  # flask-smorest's own, for a pagination the gateway does not use


def _actions_as_paths(document):
    """A path whose last segment is an `action` parameter of a few fixed verbs (/posts/{post_id}/{action}:
    pin, hide…) collides in template routers with its siblings (/posts/{post_id}/like): each verb is
    documented as its own path and operation (hideComment, pinPost…); the server's route is the same."""
    paths = document.get("paths", {})

    def is_action(parameter):
        return parameter.get("in") == "path" and parameter.get("name") == "action"

    for path in [p for p in paths if p.endswith("/{action}")]:
        item = paths[path]
        found = [p for p in item.get("parameters", []) if is_action(p)] + [
            p for o in item.values() if isinstance(o, dict) for p in o.get("parameters", []) if is_action(p)]
        verbs = found[0].get("schema", {}).get("enum") if found else None
        if not verbs:
            continue
        del paths[path]
        for verb in verbs:
            copied = json.loads(json.dumps(item))
            if "parameters" in copied:
                copied["parameters"] = [p for p in copied["parameters"] if not is_action(p)]
            for operation in (o for o in copied.values() if isinstance(o, dict)):
                if "parameters" in operation:
                    operation["parameters"] = [p for p in operation["parameters"] if not is_action(p)]
                noun = operation.get("operationId", "").removeprefix("moderate")
                operation["operationId"] = verb + noun
                operation["summary"] = f"{verb}: " + operation.get("summary", "")
            paths[path.removesuffix("{action}") + verb] = copied


def _nullable_refs(node):
    """apispec writes a nullable reference as anyOf [ref, {type: object, nullable}] (a junk type in generated
    clients); OpenAPI 3.0 says it as allOf [ref] with nullable."""
    if isinstance(node, dict):
        any_of = node.get("anyOf")
        if isinstance(any_of, list) and len(any_of) == 2:
            refs = [item for item in any_of if "$ref" in item]
            nulls = [item for item in any_of if item.get("nullable") and "$ref" not in item]
            if len(refs) == 1 and len(nulls) == 1:
                node.pop("anyOf")
                node["allOf"] = refs
                node["nullable"] = True
        for value in node.values():
            _nullable_refs(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_refs(value)


def _pascal(name):
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_") if part)


def _enum_name(values, prop, owner):
    """The catalogue kind that labels every value (the one named like the property first), else owner+prop;
    a subset of a kind's values that has a name of its own is named in ENUM_NAMES."""
    from kepu_common.interfaces.messages import _labels_by_value

    if frozenset(values) in ENUM_NAMES:
        return ENUM_NAMES[frozenset(values)]

    labels = _labels_by_value("zh_CN")
    kinds = [{kind for kind, _ in labels.get(str(value), ())} for value in values]
    common = set.intersection(*kinds) if kinds else set()
    if common:
        return _pascal(sorted(common, key=lambda k: (prop not in k, len(k), k))[0])
    return _pascal(owner) + _pascal(prop)


ENUM_NAMES = {frozenset(SUPERVISING_CATEGORIES): "SupervisingCategory"}  # org categories that supervise


def _enums_as_components(document, schemas):
    by_values = {}  # (type, values) -> component name

    def component(prop_schema, prop, owner):
        values = tuple(value for value in prop_schema["enum"] if value is not None)
        key = (prop_schema.get("type", "string"), values)
        if key not in by_values:
            taken = set(schemas) | set(by_values.values())
            name = _enum_name(values, prop, owner)
            if name in taken:
                name = _pascal(owner) + _pascal(prop)
            base, n = name, 2
            while name in taken:
                name, n = f"{base}{n}", n + 1
            by_values[key] = name
            schemas[name] = {"type": key[0], "enum": list(values)}
        ref = {"$ref": f"#/components/schemas/{by_values[key]}"}
        rest = {k: v for k, v in prop_schema.items() if k not in ("enum", "type")}
        if None in prop_schema["enum"]:
            rest["nullable"] = True
        if not rest:
            return ref
        return {"allOf": [ref], **rest}

    def convert(schema, owner):
        if not isinstance(schema, dict):
            return schema
        if "enum" in schema and "$ref" not in schema:
            return component(schema, owner[1], owner[0])
        for name, prop in list(schema.get("properties", {}).items()):
            schema["properties"][name] = convert(prop, (owner[0], name))
        if isinstance(schema.get("items"), dict):
            schema["items"] = convert(schema["items"], owner)
        if isinstance(schema.get("additionalProperties"), dict):
            schema["additionalProperties"] = convert(schema["additionalProperties"], owner)
        if isinstance(schema.get("propertyNames"), dict):
            schema["propertyNames"] = convert(schema["propertyNames"], owner)
        return schema

    for name in sorted(schemas):
        if "enum" not in schemas[name]:
            convert(schemas[name], (name, name))
    for path, item in sorted(document.get("paths", {}).items()):
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if "schema" in parameter:
                    parameter["schema"] = convert(parameter["schema"], (operation.get("operationId", ""),
                                                                        parameter["name"]))


# --- `required` in answers (docs/api-clients.md) ------------------------------------------------------------
# A component that only answers (no request body or parameter refers to it, directly or nested) marks every
# property required: the gateway dumps the service's answer with the same marshmallow schema, and marshmallow
# writes every declared field whose key the answer has, so a field is absent only where the service leaves
# the key out. Those places are listed here, per component, with why; everything else is always there
# (tests/answer_check.py validates every answer the journeys get against the document).
MAY_BE_ABSENT = {
    # the public view (catalogue.labelled(public=True) of catalogue._listed: the approved version's content and
    # its listing row) has no owner or review side; followup_* are /my/activities' (catalogue.owned)
    "Activity": {"org_id", "nominated", "created_at", "review_status", "review_status_label", "review_comment",
                 "rejected_stage", "shelf_label", "shelf_reason", "followup_status", "followup_deadline"},
    "ActivityCard": {"org_id", "nominated", "review_status", "review_status_label", "review_comment",
                     "rejected_stage", "shelf_label", "shelf_reason", "followup_status", "followup_deadline"},
    "Member": {"region"},  # identity members._shape: only a member with a region
    "SmsCodeSent": {"debug_code"},  # only with SMS_DEBUG_ECHO (development)
    "Upload": {"parts", "duplicate_of"},  # resources _upload_out: parts when asked, duplicate_of once complete
    "Page": {"total"},  # resources _page_out: a search's page counts, a listing's may not
    "ServiceStatus": {"storage"},  # only a service with object storage (kepu_common.bus.service_base.StorageHealth)
    # identity service.me: what GET /me adds to a user (signing in and registering answer the user without it)
    "User": {"verification", "organization", "administers", "org_applications", "verification_change"},
    # kepu_common.interfaces.errors.render: details only when the error has facts, request_id when one is known
    "ErrorBody": {"details", "request_id"},
    "ReviewSnapshot": {"files"},  # a task's snapshot differs per subject type: files only for some
    # review service.decide_many: a decided task is task_id and status; a refused one adds why
    "BatchResult": {"code", "message", "params", "fields"},
    # metrics stats.leaderboard: an organization's row has name; a communicator's user_id, masked_name, org_name
    "LeaderRow": {"user_id", "masked_name", "name", "org_name"},
    "FollowupFile": {"caption", "evidence"},  # activities followups.save: photos have them, videos not
    "SnapshotFile": {"kind"},  # an activity's snapshot files say kind; an organization's licence does not
    "Count": {"name"},  # metrics stats: only by_region's counts are named
    # activities versions: ActivityVersion.data keeps the unit as it was submitted, without its label
    "SupervisingUnit": {"category_label"},
}


def _refs(node, out):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.add(node["$ref"].rpartition("/")[2])
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)
    return out


def _reachable(names, schemas):
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(_refs(schemas[name], set()))
    return seen


def answer_only_components(document):
    """Names of the components reached from some answer and from no request body or parameter."""
    schemas = document.get("components", {}).get("schemas", {})
    answers, requests = set(), set()
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                _refs(response, answers)
            _refs(operation.get("requestBody", {}), requests)
            _refs(operation.get("parameters", []), requests)
    return _reachable(answers, schemas) - _reachable(requests, schemas)


def _required_in_answers(document, schemas):
    for name in sorted(answer_only_components(document)):
        schema = schemas[name]
        properties = schema.get("properties")
        if not properties:
            continue
        absent = MAY_BE_ABSENT.get(name, set())
        present = [prop for prop, spec in properties.items() if prop not in absent and not spec.get("writeOnly")]
        required = list(dict.fromkeys(schema.get("required", []) + present))
        if required:
            schema["required"] = required
