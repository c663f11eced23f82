"""The containers run: the project's images, built here from the repository as it is (deploy/Dockerfile,
deploy/seaweedfs.Dockerfile, deploy/nginx.Dockerfile) on a Debian base made with debootstrap (no registry
is reachable), run the platform with podman on the host's network, and a journey goes through nginx:
sign-up, an upload with its thumbnail, a share counted. The Kubernetes manifests' workloads run with
`podman kube play` in test_k8s_workloads.

Skipped only where podman cannot run containers at all; a failing build or container is a failure.
The base image and the build layers are cached on the machine (tests/containers/podman.py).
"""
import hashlib
import io
import time

import pytest
import requests
from PIL import Image

from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API
from services.identity.tests.test_sms_tencent import SECRET_ID as SMS_SECRET_ID, SECRET_KEY as SMS_SECRET_KEY
from services.identity.tests.test_sms_tencent import FakeTencentSms
from services.resources.tests.conftest import video_of_size
from tests.containers import podman
from tests.containers.kube import WORKLOADS, kube_platform
from tests.containers.platform import container_platform
from tests.test_identity_journey import PASSWORD, eventually, get, post, review_decides, verified_communicator
from tests.test_resources_journey import id_number, org_admin, put_content, start

MB = 1024 * 1024


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    reason = podman.unavailable()
    if reason:
        pytest.skip(reason)
    log_path = tmp_path_factory.mktemp("images") / "build.log"
    started = time.monotonic()
    with open(log_path, "w") as log:
        try:
            built = podman.build_all(log)
        except Exception as exc:
            raise AssertionError(f"building the images failed: {exc}\n{log_path.read_text()[-4000:]}") from exc
    print(f"base image and images ready in {time.monotonic() - started:.0f}s")
    return built


@pytest.fixture
def platform(images, tmp_path_factory):
    """This module's platform: containers, not processes (tests/conftest.py's is processes). One test at a
    time has a platform running: the machine is shared."""
    with container_platform(
        images, AMQP_URI, RABBIT_API, DATABASE_SERVER, tmp_path_factory.mktemp("containers"),
        GATEWAY_WORKERS=1, GATEWAY_THREADS=8, MAX_WORKERS=4, OUTBOX_POLL_INTERVAL=0.2, GATEWAY_RPC_TIMEOUT=8,
        UPLOAD_PART_SIZE_MB=5, GATEWAY_UPLOAD_PART_MB=5,
    ) as running:
        yield running


def in_image(image_id, *command):
    return podman.podman("run", "--rm", "--network", "host", image_id, *command, timeout=300).stdout


def test_the_images_hold_the_repository_as_it_is_and_run_as_their_own_users(images):
    kepu = images["localhost/kepu:latest"]
    for path in ("kepu_common/cli.py", "gateway/wsgi.py", "deploy/config/service.yaml", "requirements.txt"):
        expected = hashlib.sha256((podman.ROOT / path).read_bytes()).hexdigest()
        assert in_image(kepu, "sha256sum", f"/app/{path}").split()[0] == expected, path
    # Debian bookworm's own Python 3.11 in the base made here, in the image's virtualenv
    assert in_image(kepu, "python", "-c", "import sys; print(sys.version_info[:2], sys.base_prefix)").split() == [
        "(3,", "11)", "/usr"]
    assert in_image(kepu, "id", "-u").strip() == "10001"
    assert in_image(images["localhost/kepu-seaweedfs:latest"], "version").startswith("version ")
    assert in_image(images["localhost/kepu-nginx:latest"], "nginx", "-v").startswith("nginx version")


def test_sign_up_upload_with_thumbnail_and_a_counted_share_through_nginx(platform):
    # sign-up and real-name verification, an organization approved, through nginx into the gateway container
    token, org_id = org_admin(platform, "13500002221", id_number(921), "北京市海淀区容器科普馆")
    sharer = verified_communicator(platform, "13500002222", id_number(922), org_id=org_id)

    # an upload streamed through nginx (its unbuffered path) to the gateway and on to SeaweedFS's container
    data = video_of_size(2 * MB)
    started = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(
        start(platform, token, data, method="stream")), timeout=40)
    assert started, "the resources service never learned this organization's admin"
    sent = put_content(platform, token, started.json()["id"], data)
    assert sent.status_code == 200 and sent.json()["content_type"] == "video/mp4", sent.text
    form = {"title": "容器里的科普视频", "type": "video", "keywords": ["容器"], "topics": ["科技"],
            "description": "在容器中运行的平台上传的视频，缩略图取自视频本身。", "upload_id": started.json()["id"]}
    submitted = post(platform, "/resources", form, token)
    assert submitted.status_code == 201, submitted.text
    resource = submitted.json()

    # its thumbnail: the video's poster frame, made in the resources container, served by the object store's
    thumbnail = requests.get(resource["thumbnail_url"], timeout=30)
    assert thumbnail.status_code == 200, thumbnail.text
    poster = Image.open(io.BytesIO(thumbnail.content))
    assert poster.width > 0 and poster.height > 0

    # published through both reviews (the review service's decisions, as the journeys publish them)
    review_decides(platform, "resource", resource["id"], "initial")
    assert eventually(lambda: get(platform, f"/resources/{resource['id']}", token).json()["status"]
                      == "pending_scientific", timeout=40)
    review_decides(platform, "resource", resource["id"], "scientific")
    assert eventually(lambda: get(platform, f"/resources/{resource['id']}", token).json()["status"] == "published",
                      timeout=40)
    fetched = requests.get(f"{platform.gateway_url}/api/v1/resources/{resource['id']}/download", timeout=30)
    assert hashlib.sha256(fetched.content).hexdigest() == hashlib.sha256(data).hexdigest()

    # a share, returned through nginx, counted by the metrics container
    shared = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(post(
        platform, "/shares", {"content_type": "resource", "content_id": resource["id"], "channel": "wechat_group"},
        sharer)), timeout=40)
    assert shared, "the metrics service never learned the resource was published"
    back = post(platform, f"/shares/{shared.json()['share_id']}/return", None, sharer)
    assert back.status_code == 202, back.text
    assert eventually(lambda: get(platform, "/me/stats", sharer).json()["shares_total"] == 1, timeout=40)

    # the reviewers' UI behind nginx's second port, from its own container
    ui = requests.get(f"{platform.review_ui_url}/login", timeout=30)
    assert ui.status_code == 200 and "审核" in ui.text, ui.text[:500]


def test_k8s_workloads_run_under_podman_kube_play(images, tmp_path_factory):
    """deploy/k8s's Deployments, played as they are but for one shared host's differences (tests/containers/kube.py):
    every service answers, the gateway is ready, and a visitor signs up through it."""
    # the manifests' identity runs as production with Tencent Cloud SMS: here a local fake of its API (on the
    # host's network, as the pods are), which checks each request's signature (services/identity/tests)
    provider = FakeTencentSms()
    provider.thread.start()
    sms = {"TENCENT_SMS_SECRET_ID": SMS_SECRET_ID, "TENCENT_SMS_SECRET_KEY": SMS_SECRET_KEY,
           "TENCENT_SMS_APP_ID": "1400000001", "TENCENT_SMS_SIGN_NAME": "科普中国", "TENCENT_SMS_TEMPLATES": "code=2001",
           "TENCENT_SMS_ENDPOINT": provider.endpoint, "TENCENT_SMS_SCHEME": "http"}
    with kube_platform(images, AMQP_URI, RABBIT_API, DATABASE_SERVER, tmp_path_factory.mktemp("kube"), sms=sms,
                       GATEWAY_WORKERS=1, GATEWAY_THREADS=8, MAX_WORKERS=4, OUTBOX_POLL_INTERVAL=0.2) as played:
        pods = podman.podman("pod", "ps", "--format", "{{.Name}} {{.Status}}", "--filter",
                             f"name=-{played.tag}-pod").stdout.split("\n")
        # one pod per Deployment of the workload files (gateway.yaml has two: the split gateway's sides)
        deployments = sorted(name.rsplit(f"-{played.tag}", 1)[0] for name in played.played)
        assert set(WORKLOADS) | {"gateway-uploads"} == set(deployments)
        assert sorted(line.split()[0].rsplit(f"-{played.tag}", 1)[0] for line in pods if line.strip()) == \
            deployments, pods
        assert all(line.split()[1] == "Running" for line in pods if line.strip()), pods
        ready = requests.get(f"{played.gateway_url}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text
        # production: no code in the answer, none in the log; the provider got it, signed
        sent = post(played, "/auth/sms-code", {"phone": "13500002231"})
        assert sent.status_code == 202 and "debug_code" not in sent.json(), sent.text
        [texted] = [r for r in provider.requests if r["PhoneNumberSet"] == ["+8613500002231"]]
        assert provider.rejected_signatures == 0 and texted["SignName"] == "科普中国"
        code = texted["TemplateParamSet"][0]
        assert "13500002231" not in played.log_of("identity") and code not in played.log_of("identity")
        registered = post(played, "/auth/register", {"phone": "13500002231", "code": code,
                                                     "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        assert get(played, "/me", registered.json()["tokens"]["access_token"]).json()["phone"] == "13500002231"
        ui = requests.get(f"{played.review_ui_url}/login", timeout=30)
        assert ui.status_code == 200, ui.text[:500]
    provider.server.shutdown()
