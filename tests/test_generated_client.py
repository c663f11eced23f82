"""The integrators' contract (issue 28, docs/api-clients.md): the live OpenAPI document passes
openapi-spec-validator and the Spectral ruleset in .spectral.yaml, and a Python client generated from it with
openapi-python-client (into a temporary directory, during the test) runs a journey through the generated code
only: register, sign in, search resources, read an activity and its follow-up checklist, share and return,
read stats, redeem in the mall (refused, then accepted), and read an error's code and fields. Generation that
warns (a dropped or duplicate model, an endpoint left out) fails the test; every error the journey meets
comes back as the typed envelope.

What the journey needs but is not its subject (an organization through review, a campaign, points rules, a
published article) is set up with the plain HTTP helpers of the other journeys."""
import importlib
import json
import shutil
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from openapi_spec_validator import validate

from services.identity.cli import create_admin
from services.resources.tests.conftest import png_bytes
from tests.test_activities_journey import activity_form, organization, uploaded
from tests.test_identity_journey import PASSWORD, eventually, post
from tests.test_metrics_journey import published_article
from tests.test_resources_journey import login


def login_as_admin(platform):
    """A platform admin the activities service knows (campaigns are checked against the directory)."""
    create_admin(platform.database_url("identity"), "13950280003", PASSWORD)
    return login(platform, "13950280003")

ROOT = Path(__file__).resolve().parents[1]
SPECTRAL = "@stoplight/spectral-cli@6.16.3"  # the lint tool (docs/api-clients.md); installed by npm on first use
PACKAGE = "kepu_client"
GENERATOR_CONFIG = {"project_name_override": "kepu-client", "package_name_override": PACKAGE, "post_hooks": []}


@pytest.fixture(scope="module")
def document(platform, tmp_path_factory):
    answer = requests.get(f"{platform.gateway_url}/api/v1/openapi.json", timeout=20)
    assert answer.status_code == 200
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_bytes(answer.content)
    return path


@pytest.fixture(scope="module")
def client_package(document, tmp_path_factory):
    """The client generated from the live document, importable as kepu_client."""
    out = tmp_path_factory.mktemp("generated")
    config = out / "config.json"
    config.write_text(json.dumps(GENERATOR_CONFIG))
    generator = Path(sys.executable).with_name("openapi-python-client")
    run = subprocess.run([str(generator), "generate", "--path", str(document), "--config", str(config),
                          "--meta", "none", "--output-path", str(out / PACKAGE)],
                         capture_output=True, text=True, timeout=300, cwd=out)
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    # any warning means a model or an endpoint is missing from the client (issue 28: duplicate models)
    assert "Warning" not in said and "WARNING" not in said and "Unable to" not in said, said
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_live_document_is_valid_openapi(document):
    validate(json.loads(document.read_text()))


def test_the_live_document_passes_the_spectral_ruleset(document):
    npm = shutil.which("npm")
    assert npm, "npm is needed for the Spectral lint (.ci/run installs nodejs and npm)"
    home = Path(sys.prefix) / "spectral"
    binary = home / "node_modules" / ".bin" / "spectral"
    if not binary.exists():
        installed = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(home), SPECTRAL],
                                   capture_output=True, text=True, timeout=600)
        assert installed.returncode == 0, installed.stdout + installed.stderr
    run = subprocess.run([str(binary), "lint", "--ruleset", str(ROOT / ".spectral.yaml"), "--fail-severity", "warn",
                          "--format", "text", str(document)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_document_says_what_a_generated_client_needs(document):
    spec = json.loads(document.read_text())
    operations = [(path, method, operation) for path, item in spec["paths"].items() for method, operation in item.items()
                  if method in ("get", "post", "put", "patch", "delete")]
    ids = [operation["operationId"] for _, _, operation in operations]
    assert len(ids) == len(set(ids)), "operationIds are unique"
    for path, method, operation in operations:
        assert len(operation["tags"]) == 1 and "security" in operation, (method, path)
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response.get("headers", {}), (method, path, status)
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (
                    method, path, status)
    by_id = {operation["operationId"]: (path, method, operation) for path, method, operation in operations}
    assert by_id["register"][2]["security"] == [] and by_id["listActivities"][2]["security"] == []
    assert "Retry-After" in by_id["sendSmsCode"][2]["responses"]["429"]["headers"]
    assert "Location" in by_id["downloadResource"][2]["responses"]["302"]["headers"]
    assert "text/calendar" in by_id["getActivityCalendar"][2]["responses"]["200"]["content"]
    assert by_id["getActivityCalendar"][0] == "/api/v1/activities/{activity_id}/calendar.ics"
    assert by_id["getActivityCalendarAlias"][2]["deprecated"] is True
    assert "text/csv" in by_id["exportRecognitions"][2]["responses"]["200"]["content"]
    assert "application/octet-stream" in by_id["uploadLicence"][2]["requestBody"]["content"]
    schemas = spec["components"]["schemas"]
    activity = schemas["Activity"]["properties"]
    assert activity["region"] == {"$ref": "#/components/schemas/Division"}
    assert activity["hosts"]["items"] == {"$ref": "#/components/schemas/ActivityParty"}
    assert activity["details"] == {"$ref": "#/components/schemas/ActivityDetails"}  # the form's own
    assert schemas["ActivityMode"] == {"type": "string", "enum": ["online", "offline", "both"]}
    assert set(schemas["Division"]["required"]) == {"code", "name", "level", "full_name", "province"}


def envelope(kepu, answer, status, code):
    """An error as the generated client gives it: the typed envelope, with its code and fields."""
    assert answer.status_code == status, answer.content
    assert isinstance(answer.parsed, kepu.models.Error), answer.content
    assert answer.parsed.error.code == code, answer.content
    return answer.parsed.error


def test_a_journey_through_the_generated_client(client_package, platform, make_token):
    kepu = client_package
    from kepu_client import AuthenticatedClient, Client
    from kepu_client.api.activities import get_activity, get_followup
    from kepu_client.api.auth import register, send_sms_code, sign_in
    from kepu_client.api.mall import create_mall_item, redeem
    from kepu_client.api.resources import search_resources
    from kepu_client.api.shares import get_my_points, get_my_stats, return_share, start_share
    models = kepu.models
    base = platform.gateway_url
    public = Client(base_url=base, raise_on_unexpected_status=True)
    admin_token = make_token(["platform_admin"], sub=str(uuid.uuid4()))
    admin_headers = {"Authorization": f"Bearer {admin_token}"}
    admin = AuthenticatedClient(base_url=base, token=admin_token, raise_on_unexpected_status=True)

    # register and sign in; the wrong password and a broken phone are typed errors with code and fields
    phone = "13950280001"
    sent = send_sms_code.sync_detailed(client=public, body=models.SmsCodeRequest.from_dict(
        {"phone": phone, "purpose": "register"}))
    assert sent.status_code == 202 and isinstance(sent.parsed, models.SmsCodeSent), sent.content
    registered = register.sync_detailed(client=public, body=models.RegisterRequest.from_dict(
        {"phone": phone, "code": sent.parsed.debug_code, "password": PASSWORD}))
    assert registered.status_code == 201 and isinstance(registered.parsed, models.SignedIn), registered.content
    broken = register.sync_detailed(client=public, body=models.RegisterRequest.from_dict(
        {"phone": "12", "code": "000000", "password": PASSWORD}))
    error = envelope(kepu, broken, 400, "validation_failed")
    assert error.fields.additional_properties["phone"].code and error.fields.additional_properties["phone"].message
    wrong = sign_in.sync_detailed(client=public, body=models.LoginRequest.from_dict(
        {"phone": phone, "password": PASSWORD + "x"}))
    assert envelope(kepu, wrong, 401, wrong.parsed.error.code).message
    signed = sign_in.sync_detailed(client=public, body=models.LoginRequest.from_dict(
        {"phone": phone, "password": PASSWORD}))
    assert signed.status_code == 200 and signed.parsed.tokens.access_token

    # search resources (anyone)
    found = search_resources.sync_detailed(client=public, q="科普", page_size=5)
    assert found.status_code == 200 and isinstance(found.parsed.items, list)

    # an organization (a county CAST, its own supervising unit) publishes an activity; its admin reads it
    # and its follow-up checklist through the client
    token, org_id = organization(platform, "13950280002", 952, "海珠区科学技术协会（生成的客户端）", "county_cast", "440105")
    today = date.today()
    admin_session = login_as_admin(platform)
    campaign_form = {"name": "全国科普日（生成的客户端）", "year": today.year,
                     "window_start": (today - timedelta(days=5)).isoformat(),
                     "window_end": (today + timedelta(days=40)).isoformat()}
    tried = []  # the activities service learns of the new admin from identity's role_granted event: wait for it
    campaign = eventually(lambda: (lambda r: tried.append(r) or (r if r.status_code == 201 else None))(
        post(platform, "/campaigns", campaign_form, admin_session)), timeout=60) or tried[-1]
    assert campaign.status_code == 201, campaign.text
    poster = uploaded(platform, token, png_bytes(), "activity_poster", "image/png", "海报.png")
    form = activity_form(campaign.json()["id"], org_id, "county_cast", poster, "海珠气象开放日（客户端）", region="440105")
    answers = []
    published = eventually(lambda: (lambda r: answers.append(r) or (r if r.status_code == 201 else None))(
        post(platform, "/activities", {**form, "client_key": "generated-client-journey"}, token)))
    assert published, f"the activities service never learned the organization: {answers[-1].text}"
    owner = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)
    activity = get_activity.sync_detailed(uuid.UUID(published.json()["id"]), client=owner)
    assert activity.status_code == 200 and isinstance(activity.parsed, models.Activity), activity.content
    assert activity.parsed.region.code == "440105" and activity.parsed.hosts[0].name
    assert activity.parsed.mode == "offline"
    assert activity.parsed.details.contact_person == "陈老师"
    followup = get_followup.sync_detailed(uuid.UUID(published.json()["id"]), client=owner)
    assert followup.status_code == 200 and isinstance(followup.parsed, models.Followup), followup.content
    assert followup.parsed.checklist and all(item.rule for item in followup.parsed.checklist)
    stranger = get_followup.sync_detailed(uuid.UUID(published.json()["id"]), client=AuthenticatedClient(
        base_url=base, token=registered.parsed.tokens.access_token))
    refused_view = envelope(kepu, stranger, 403, "forbidden")
    assert refused_view.fields.additional_properties["activity_id"].code == "followup_not_yours_to_view"

    # share and return: points, then stats
    settings = requests.patch(f"{base}/api/v1/admin/metrics/settings", headers=admin_headers,
                              json={"channel_points": {"weibo": 1, "qq": 1}}, timeout=20)
    assert settings.status_code == 200, settings.text
    for channel in ("weibo", "qq"):
        article = published_article(platform, org_id)
        share = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(start_share.sync_detailed(
            client=AuthenticatedClient(base_url=base, token=token), body=models.ShareRequest.from_dict(
                {"content_type": "article", "content_id": article, "channel": channel}))))
        assert share and isinstance(share.parsed, models.Share), "the share was never started"
        back = return_share.sync_detailed(share.parsed.share_id, client=owner)
        assert back.status_code == 202 and isinstance(back.parsed, models.ShareReturn), back.content
    missing = return_share.sync_detailed(str(uuid.uuid4()), client=AuthenticatedClient(base_url=base, token=token))
    assert envelope(kepu, missing, 404, missing.parsed.error.code).message
    assert eventually(lambda: get_my_points.sync(client=owner).balance == 2)
    stats = get_my_stats.sync_detailed(client=owner)
    assert stats.status_code == 200 and stats.parsed is not None, stats.content

    # the mall: an item dearer than the balance is refused (typed), a cheap one redeemed
    site = {"name": "昌平科技馆服务台", "region_code": "110114", "address": "府学路 1 号"}
    dear = create_mall_item.sync(client=admin, body=models.ItemRequest.from_dict(
        {"name": "天文望远镜（客户端）", "cost": 50, "stock": 1, "delivery": False, "pickup_sites": [site]}))
    cheap = create_mall_item.sync(client=admin, body=models.ItemRequest.from_dict(
        {"name": "科技馆门票（客户端）", "cost": 1, "stock": 5, "delivery": False, "pickup_sites": [site]}))
    buyer = AuthenticatedClient(base_url=base, token=token)
    refused = redeem.sync_detailed(client=buyer, body=models.RedemptionRequest.from_dict(
        {"item_id": str(dear.id), "client_key": "generated-dear", "pickup_site_id": str(dear.pickup_sites[0].id)}))
    assert refused.status_code in (409, 422), refused.content
    assert envelope(kepu, refused, refused.status_code, refused.parsed.error.code).message
    accepted = redeem.sync_detailed(client=buyer, body=models.RedemptionRequest.from_dict(
        {"item_id": str(cheap.id), "client_key": "generated-cheap", "pickup_site_id": str(cheap.pickup_sites[0].id)}))
    assert accepted.status_code == 201 and isinstance(accepted.parsed, models.Redemption), accepted.content
    assert eventually(lambda: get_my_points.sync(client=owner).balance == 1)
