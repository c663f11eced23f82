"""An organization uploads a video both ways through the gateway, two reviewers publish it in the review
service, anyone finds it in Chinese and downloads it: every service its own process."""
import hashlib
import socket
import time
from urllib.parse import quote

import requests

from services.identity.cli import create_admin
from services.resources.tests.conftest import MP4_HEAD, video_bytes, video_of_size
from tests import images
from tests.test_identity_journey import (
    PASSWORD, eventually, get, post, refused, review_decides, sign_up, verified_communicator, verify_by_admin,
)

MB = 1024 * 1024


def video(size):
    """A real tiny video (PyAV) grown to `size` with an MP4 free box: its duration and poster are read."""
    return video_of_size(size)


def id_number(sequence, region="110105", born="19850315"):
    """A valid resident ID number (GB 11643 check digit) no other journey uses."""
    body = f"{region}{born}{sequence:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def login(platform, phone):
    return post(platform, "/auth/login", {"phone": phone, "password": PASSWORD}).json()["tokens"]["access_token"]


def org_admin(platform, phone, id_number, name):
    token = verified_communicator(platform, phone, id_number)
    licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=images.png(),
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}, timeout=20)
    org = post(platform, "/orgs", {"name": name, "category": "other", "region_code": "110105",
                                   "licence_key": licence.json()["licence_key"], "contact_name": "刘联络",
                                   "contact_phone": phone}, token)
    assert org.status_code == 202, org.text
    review_decides(platform, "organization", org.json()["id"], "org")
    return token, org.json()["id"]


def reviewers(platform):
    create_admin(platform.database_url("identity"), "13500000001", PASSWORD)
    admin = login(platform, "13500000001")
    tokens = {}
    for phone, stage in (("13500000002", "initial"), ("13500000003", "scientific")):
        user = sign_up(platform, phone)
        verify_by_admin(platform, user, admin)  # reviewer roles go only to real-name-verified accounts
        assert post(platform, f"/admin/users/{user['user']['id']}/roles", {"role": "reviewer", "scope": stage},
                    admin).status_code == 200
        tokens[stage] = login(platform, phone)
    return tokens


def start(platform, token, data, headers=None, **changes):
    body = {"purpose": "video", "filename": "雾霾的成因.mp4", "size": len(data), "content_type": "video/mp4",
            "sha256": hashlib.sha256(data).hexdigest(), **changes}
    return post(platform, "/uploads", body, token, headers=headers)


def put_content(platform, token, upload_id, data, headers=None):
    return requests.put(f"{platform.gateway_url}/api/v1/uploads/{upload_id}/content", data=data, timeout=60,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
                                 **(headers or {})})


def streamed_and_refused(platform, token, data, **changes):
    """A send() for refused(): each language gets an upload of its own (a refused upload is over)."""
    return lambda headers: put_content(platform, token, start(platform, token, data, method="stream", **changes)
                                       .json()["id"], data, headers)


def interrupted(platform, token, upload_id, data):
    """A client that goes away after sending part of the body."""
    host, port = platform.gateway_url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=20) as conn:
        conn.sendall(f"PUT /api/v1/uploads/{upload_id}/content HTTP/1.1\r\nHost: {host}\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n"
                     f"Content-Length: {len(data)}\r\n\r\n".encode() + data[:len(data) // 3])
    time.sleep(1)  # the gateway notices, aborts what it stored


def decide_in_review(platform, token, resource_id, stage, decision="approved", comment=""):
    tasks = eventually(lambda: [t for t in get(platform, f"/review/tasks?stage={stage}", token).json()["items"]
                                if t["subject_id"] == resource_id])
    assert tasks, f"no {stage} task for {resource_id}"
    decided = post(platform, f"/review/tasks/{tasks[0]['id']}/decision", {"decision": decision, "comment": comment},
                   token)
    assert decided.status_code == 200, decided.text
    return tasks[0]


def test_upload_review_publish_find_download(platform):
    token, org_id = org_admin(platform, "13500001111", id_number(871), "北京市朝阳区气象科普馆")
    review = reviewers(platform)
    data = video(11 * MB)

    # (a) presigned multipart, straight to storage
    started = eventually(lambda: (lambda r: r if r.status_code == 201 else None)(start(platform, token, data)))
    assert started, "the resources service never learned this organization's admin"
    upload = started.json()
    assert [p["size"] for p in upload["parts"]] == [5 * MB, 5 * MB, MB]
    early = post(platform, f"/uploads/{upload['id']}/complete", {}, token)
    assert early.status_code == 409 and early.json()["error"]["code"] == "upload_incomplete"
    for part in upload["parts"]:
        offset = (part["part_number"] - 1) * upload["part_size"]
        assert requests.put(part["url"], data=data[offset:offset + part["size"]], timeout=30).status_code == 200
    done = post(platform, f"/uploads/{upload['id']}/complete", {}, token)
    assert done.status_code == 200 and done.json()["status"] == "complete", done.text
    assert abs(done.json()["duration_seconds"] - 2.0) < 0.11 and done.json()["thumbnail_url"]  # read from the file

    # (b) streamed through the gateway, in several parts of its own
    streamed = start(platform, token, data, method="stream", filename="雾霾的成因（横屏）.mp4").json()
    sent = put_content(platform, token, streamed["id"], data)
    assert sent.status_code == 200 and sent.json()["content_type"] == "video/mp4", sent.text

    form = {"title": "雾霾的成因与防护", "type": "video", "keywords": ["雾霾", "健康"], "topics": ["健康", "大气 环境"],
            "description": "气象专家讲解雾霾的形成过程，以及冬季出行的防护要点。", "upload_id": upload["id"]}
    submitted = post(platform, "/resources", form, token)
    assert submitted.status_code == 201, submitted.text
    resource = submitted.json()
    assert (resource["status"], resource["status_label"]) == ("pending_initial", "待初审")
    assert resource["duration_label"] == "0:02" and resource["thumbnail_url"]  # the video's own poster frame
    task = decide_in_review(platform, review["initial"], resource["id"], "initial")
    assert task["snapshot"]["files"][0]["label"] == "资源文件"
    decide_in_review(platform, review["scientific"], resource["id"], "scientific", "rejected", "缺少数据来源")
    rejected = eventually(lambda: (lambda r: r if r["status"] == "scientific_rejected" else None)(
        get(platform, f"/resources/{resource['id']}", token).json()))
    assert rejected and rejected["review_comment"] == "缺少数据来源"
    revised = requests.put(f"{platform.gateway_url}/api/v1/resources/{resource['id']}", timeout=20,
                           json={**form, "upload_id": streamed["id"], "description": form["description"] + "数据来源：国家气象中心。"},
                           headers={"Authorization": f"Bearer {token}"})
    assert revised.status_code == 200 and revised.json()["status"] == "pending_initial", revised.text
    decide_in_review(platform, review["initial"], resource["id"], "initial")
    decide_in_review(platform, review["scientific"], resource["id"], "scientific")

    found = eventually(lambda: requests.get(f"{platform.gateway_url}/api/v1/resources?q={quote('雾霾')}&type=video",
                                            timeout=10).json()["items"])
    assert [r["id"] for r in found] == [resource["id"]] and found[0]["org_name"] == "北京市朝阳区气象科普馆"
    assert requests.get(f"{platform.gateway_url}/api/v1/resources?q={quote('台风')}", timeout=10).json()["items"] == []
    assert requests.get(f"{platform.gateway_url}/api/v1/resources?q={quote('雾霾')}&type=audio",
                        timeout=10).json()["items"] == []

    # counted once per visitor per 30 s, and not at all for robots and scripts (python-requests is one)
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"}
    for headers in (browser, browser, {}):
        download = requests.get(f"{platform.gateway_url}/api/v1/resources/{resource['id']}/download", timeout=10,
                                allow_redirects=False, headers=headers)
        assert download.status_code == 302
    fetched = requests.get(download.headers["Location"], timeout=30)
    assert hashlib.sha256(fetched.content).hexdigest() == hashlib.sha256(data).hexdigest()
    assert requests.get(f"{platform.gateway_url}/api/v1/resources/{resource['id']}", timeout=10).json()["downloads"] == 1

    mine = get(platform, "/my/resources", token).json()
    assert [(r["id"], r["status_label"], r["file_size_label"], r["duration_label"]) for r in mine["items"]] == [
        (resource["id"], "已发布", "11.0 MB", "0:02")]
    assert (mine["page"], mine["has_more"], mine["total"]) == (1, False, 1)
    assert mine["items"][0]["thumbnail_url"]

    # topics: listed with their published resources, found however they are spaced
    topics = requests.get(f"{platform.gateway_url}/api/v1/topics", timeout=10).json()
    assert {t["key"]: (t["name"], t["count"]) for t in topics["items"]} == {"大气环境": ("大气 环境", 1),
                                                                            "健康": ("健康", 1)}
    assert (topics["total"], topics["has_more"]) == (2, False)
    by_topic = requests.get(f"{platform.gateway_url}/api/v1/resources?topic={quote('大气环境')}", timeout=10).json()
    assert [r["id"] for r in by_topic["items"]] == [resource["id"]] and by_topic["has_more"] is False

    withdrawn = post(platform, f"/resources/{resource['id']}/withdraw", {"reason": "内容更新"}, token)
    assert withdrawn.status_code == 200 and withdrawn.json()["status_label"] == "已下架"
    gone = requests.get(f"{platform.gateway_url}/api/v1/resources/{resource['id']}/download", timeout=10,
                        allow_redirects=False)
    assert gone.status_code == 404

    # a withdrawn resource comes back through a revision (PATCH: only what changes) and a new review
    back = requests.patch(f"{platform.gateway_url}/api/v1/resources/{resource['id']}", timeout=20,
                          json={"description": "2026 年更新版。"}, headers={"Authorization": f"Bearer {token}"})
    assert back.status_code == 200, back.text
    assert (back.json()["status_label"], back.json()["keywords"], back.json()["title"]) == (
        "待初审", form["keywords"], form["title"])
    decide_in_review(platform, review["initial"], resource["id"], "initial")
    decide_in_review(platform, review["scientific"], resource["id"], "scientific")
    republished = eventually(lambda: (lambda r: r if r.status_code == 200 else None)(
        requests.get(f"{platform.gateway_url}/api/v1/resources/{resource['id']}", timeout=10)))
    assert republished and republished.json()["description"] == "2026 年更新版。"


def test_bad_uploads_and_submissions_get_clear_errors(platform):
    token, _ = org_admin(platform, "13500002222", id_number(872), "广州市天河区科普协会")
    data = video(6 * MB)
    assert eventually(lambda: start(platform, token, data).status_code == 201)

    too_large = refused(lambda headers: start(platform, token, data, headers, purpose="image",
                                              content_type="image/png", size=51 * MB), 413, "too_large", {"size": "file_too_large"})
    assert too_large.json()["error"]["message"] == "文件不能超过 50 MB。"
    refused(lambda headers: start(platform, token, data, headers, content_type="text/plain"), 400, "validation_failed",
            {"content_type": "type_not_accepted"})
    refused(lambda headers: start(platform, token, data, headers, purpose="poster", sha256="xyz"), 400,
            "validation_failed", {"purpose": "not_one_of", "sha256": "sha256_format"})

    exe = b"MZ\x90\x00" + bytes(MB)
    refused(streamed_and_refused(platform, token, exe, filename="movie.mp4"), 400, "validation_failed",
            {"file": "executable_file"})
    renamed = start(platform, token, exe, method="stream", filename="movie.mp4").json()
    assert put_content(platform, token, renamed["id"], exe).status_code == 400
    assert get(platform, f"/uploads/{renamed['id']}", token).json()["status"] == "rejected"
    refused(streamed_and_refused(platform, token, data, sha256="0" * 64), 400, "validation_failed",
            {"sha256": "checksum_mismatch"})
    webm = b"\x1a\x45\xdf\xa3" + bytes(MB)
    refused(streamed_and_refused(platform, token, webm), 400, "validation_failed",
            {"content_type": "content_type_mismatch"})

    short = start(platform, token, data, method="stream").json()
    longer = put_content(platform, token, short["id"], data + b"extra")
    assert longer.status_code == 413
    assert get(platform, f"/uploads/{short['id']}", token).json()["status"] == "pending"  # nothing lost: send again

    interrupted(platform, token, short["id"], data)
    assert get(platform, f"/uploads/{short['id']}", token).json()["status"] == "pending"

    # a follow-up video for activities: its duration is read from the file in the resources service
    clip = video_bytes(seconds=2)
    started = start(platform, token, clip, method="stream", purpose="followup_video", filename="现场.mp4").json()
    done = put_content(platform, token, started["id"], clip).json()
    assert done["status"] == "complete" and abs(done["duration_seconds"] - 2.0) < 0.11, done
    not_a_video = MP4_HEAD + bytes(MB)  # an MP4's first bytes, and nothing a demuxer can read
    refused(streamed_and_refused(platform, token, not_a_video, purpose="followup_video"), 400, "video_unreadable",
            {"file": "video_duration_unreadable"})

    outsider = sign_up(platform, "13500003333")["tokens"]["access_token"]
    refused(lambda headers: put_content(platform, outsider, short["id"], data, headers), 403, "forbidden",
            {"upload_id": "upload_of_another_org"})
    not_org = refused(lambda headers: post(platform, "/resources", {"title": "x", "type": "video",
                                                                    "upload_id": short["id"]}, outsider, headers),
                      403, "forbidden")
    assert not_org.json()["error"]["details"] == {"required_roles": ["org_admin"]}

    ok = put_content(platform, token, short["id"], data)
    assert ok.status_code == 200
    for body, fields in (({"title": ""}, {"title": "length_between"}),
                         ({"title": "   "}, {"title": "title_blank"}),
                         ({"keywords": [f"词{n}" for n in range(21)]}, {"keywords": "too_long"}),
                         ({"title": "长" * 101}, {"title": "length_between"})):
        refused(lambda headers: post(platform, "/resources", {"title": "雾霾", "type": "video", "upload_id": short["id"],
                                                              **body}, token, headers), 400, "validation_failed", fields)
    refused(lambda headers: post(platform, "/resources", {"title": "雾霾", "type": "video",
                                                          "upload_id": "00000000-0000-4000-8000-000000000000"},
                                 token, headers), 404, "not_found", {"upload_id": "upload_unknown"})
    assert get(platform, "/my/resources", token).json()["items"] == []

    # a revision without a required field: refused, nothing changed
    submitted = post(platform, "/resources", {"title": "雾霾", "type": "video", "upload_id": short["id"],
                                              "keywords": ["雾霾"], "description": "原简介", "topics": ["健康"]}, token)
    assert submitted.status_code == 201, submitted.text
    resource_url = f"{platform.gateway_url}/api/v1/resources/{submitted.json()['id']}"
    refused(lambda headers: requests.put(resource_url, json={"title": "雾霾（修订）", "type": "video",
                                                              "keywords": ["雾霾"]}, timeout=20,
                                         headers={"Authorization": f"Bearer {token}", **headers}),
            400, "validation_failed", {"description": "required", "topics": "required"})
    kept = requests.get(resource_url, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert (kept["title"], kept["description"], kept["topics"]) == ("雾霾", "原简介", ["健康"])

    # a .docx that is not a Word file (a zip of something else), and a PDF that does not parse
    from services.resources.formats import DOCX
    from services.resources.tests.conftest import docx_bytes
    not_word = docx_bytes(without=("word/document.xml",), extra=[("xl/workbook.xml", b"<workbook/>")])
    answer = refused(streamed_and_refused(platform, token, not_word, purpose="article", content_type=DOCX,
                                          filename="科普文章.docx"), 400, "validation_failed", {"file": "docx_not_word"})
    assert "Word" in answer.json()["error"]["fields"]["file"]["message"]
    word = docx_bytes()
    started = start(platform, token, word, method="stream", purpose="article", content_type=DOCX,
                    filename="科普文章.docx").json()
    assert put_content(platform, token, started["id"], word).json()["content_type"] == DOCX
    refused(streamed_and_refused(platform, token, b"%PDF-1.7\n" + b"junk" * 500, purpose="wallchart",
                                 content_type="application/pdf", filename="挂图.pdf"),
            400, "validation_failed", {"file": "pdf_unreadable"})
