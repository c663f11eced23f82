"""The social half through the gateway and the review service, every service its own process: a community is
created with a cover and approved in review; members join and post with an image; a post with a listed word
hidden by zero-width characters is held and released in review; comments thread one level, are liked,
reported, hidden and restored with an audit trail; favorites, ranking with masked names, channels and the
关注 feed. Bad input gets its own zh error and stores nothing."""
import hashlib
import re

import requests

from services.identity.cli import create_admin
from tests import images
from tests.test_identity_journey import PASSWORD, eventually, get, post, refused, sign_up, verified_communicator
from tests.test_resources_journey import decide_in_review, id_number, login


def put(platform, path, body, token):
    return requests.put(f"{platform.gateway_url}/api/v1{path}", json=body, timeout=20,
                        headers={"Authorization": f"Bearer {token}"})


def delete(platform, path, token):
    return requests.delete(f"{platform.gateway_url}/api/v1{path}", timeout=20,
                           headers={"Authorization": f"Bearer {token}"})


def personal_upload(platform, token, purpose, data):
    started = post(platform, "/uploads", {"purpose": purpose, "filename": "图.png", "size": len(data),
                                          "content_type": "image/png", "sha256": hashlib.sha256(data).hexdigest(),
                                          "method": "stream"}, token)
    assert started.status_code == 201, started.text
    sent = requests.put(f"{platform.gateway_url}/api/v1/uploads/{started.json()['id']}/content", data=data, timeout=30,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
    assert sent.status_code == 200 and sent.json()["status"] == "complete", sent.text
    return sent.json()["id"]


def _csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def released_in_review_ui(platform, post_id, admin):
    """A reviewer signs in to the review UI, reads the held post (its kind, text and the words hit) and
    approves it there."""
    tasks = eventually(lambda: [t for t in get(platform, "/review/tasks?stage=initial", admin).json()["items"]
                                if t["subject_id"] == post_id])
    assert tasks, "no review task for the held post"
    ui = requests.Session()
    page = ui.get(f"{platform.review_ui_url}/login", timeout=20)
    signed = ui.post(f"{platform.review_ui_url}/login", timeout=20, data={
        "csrf_token": _csrf(page.text), "phone": "13500007001", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    task = ui.get(f"{platform.review_ui_url}/tasks/{tasks[0]['id']}", timeout=20)
    assert task.status_code == 200
    assert "社团动态（敏感词待审）" in task.text and "命中敏感词" in task.text and "赌博" in task.text
    decided = ui.post(f"{platform.review_ui_url}/tasks/{tasks[0]['id']}/decision", timeout=20,
                      data={"csrf_token": _csrf(task.text), "decision": "approved", "comment": ""})
    assert decided.status_code == 200, decided.text


def test_community_post_comment_moderation_journey(platform):
    create_admin(platform.database_url("identity"), "13500007001", PASSWORD)
    admin = login(platform, "13500007001")
    creator = verified_communicator(platform, "13500007002", id_number(711))
    alice = verified_communicator(platform, "13500007003", id_number(712), real_name="李小红")
    bob = verified_communicator(platform, "13500007004", id_number(713), real_name="张三")
    carol = sign_up(platform, "13500007005")["tokens"]["access_token"]  # not verified

    # a community with a cover, in review until a reviewer approves it in the review service
    cover = personal_upload(platform, creator, "community_cover", images.png())
    form = {"name": "朝阳科普志愿者社", "intro": "朝阳区科普志愿者交流。", "rules": "不发广告；不传谣；文明发言。",
            "region_code": "110105", "topic": "科学防疫", "cover_upload_id": cover}
    refused(lambda h: requests.post(f"{platform.gateway_url}/api/v1/communities", json=form, timeout=20,
                                    headers={"Authorization": f"Bearer {carol}", **h}),
            403, "forbidden")
    for name, code in (("朝阳\u0000科普社", "edge_control_character"), ("朝阳\u200b科普社", "control_character_refused"),
                       ("朝阳\u202e科普社", "control_character_refused")):
        refused(lambda h: requests.post(f"{platform.gateway_url}/api/v1/communities", timeout=20,
                                        json=dict(form, name=name, cover_upload_id=None),
                                        headers={"Authorization": f"Bearer {creator}", **h}),
                400, "validation_failed", {"name": code})
    created = post(platform, "/communities", form, creator)
    assert created.status_code == 201, created.text
    community = created.json()["id"]
    assert created.json()["status"] == "pending" and created.json()["cover_url"]
    decide_in_review(platform, admin, community, "org")
    assert eventually(lambda: get(platform, f"/communities/{community}", creator).json()["status"] == "approved")

    # members join (names masked) and post with an image; an outsider cannot post
    assert post(platform, f"/communities/{community}/members", {}, alice).json()["name"] == "李*红"
    assert post(platform, f"/communities/{community}/members", {}, bob).status_code == 200
    refused(lambda h: requests.post(f"{platform.gateway_url}/api/v1/communities/{community}/posts", timeout=20,
                                    json={"body": "我不是成员"}, headers={"Authorization": f"Bearer {carol}", **h}),
            403, "forbidden", {"community_id": "not_a_community_member"})
    image = personal_upload(platform, alice, "post_image", images.png())
    posted = post(platform, f"/communities/{community}/posts", {"body": "今天社区开展了防疫知识讲座。",
                                                                 "upload_ids": [image]}, alice)
    assert posted.status_code == 201 and posted.json()["status"] == "published", posted.text
    post_id = posted.json()["id"]
    assert posted.json()["media"][0]["kind"] == "image"

    # a listed word hidden with zero-width characters is held, and released by a reviewer
    held = post(platform, f"/communities/{community}/posts", {"body": "周末一起来赌\u200b博吧"}, bob)
    assert held.status_code == 201 and held.json()["status"] == "held"
    home = get(platform, f"/communities/{community}/home", alice).json()
    assert [p["id"] for p in home["posts"]["items"]] == [post_id]
    assert home["community"]["rules"] == "不发广告；不传谣；文明发言。"
    released_in_review_ui(platform, held.json()["id"], admin)
    assert eventually(lambda: get(platform, f"/posts/{held.json()['id']}", alice).status_code == 200)

    # a moderator pins; a member who is not a moderator cannot hide
    refused(lambda h: requests.post(f"{platform.gateway_url}/api/v1/posts/{post_id}/hide", json={}, timeout=20,
                                    headers={"Authorization": f"Bearer {bob}", **h}), 403, "forbidden")
    bob_id = get(platform, "/me", bob).json()["id"]
    assert put(platform, f"/communities/{community}/members/{bob_id}/role", {"role": "moderator"},
               creator).json()["role"] == "moderator"
    assert post(platform, f"/posts/{post_id}/pin", {}, bob).json()["pinned"] is True

    # comments: the unverified are refused in Chinese; one level of replies; likes once
    refused(lambda h: requests.post(f"{platform.gateway_url}/api/v1/comments/post/{post_id}", json={"body": "路过"},
                                    timeout=20, headers={"Authorization": f"Bearer {carol}", **h}), 403, "forbidden")
    top = post(platform, f"/comments/post/{post_id}", {"body": "讲得很好"}, bob)
    assert top.status_code == 201, top.text
    reply = post(platform, f"/comments/post/{post_id}", {"body": "谢谢", "parent_id": top.json()["id"]}, alice)
    assert reply.status_code == 201, reply.text
    refused(lambda h: requests.post(f"{platform.gateway_url}/api/v1/comments/post/{post_id}", timeout=20,
                                    json={"body": "再回一层", "parent_id": reply.json()["id"]},
                                    headers={"Authorization": f"Bearer {bob}", **h}),
            400, "validation_failed", {"parent_id": "reply_to_reply"})
    refused(lambda h: requests.post(f"{platform.gateway_url}/api/v1/comments/post/{post_id}", timeout=20,
                                    json={"body": "长" * 10_000}, headers={"Authorization": f"Bearer {bob}", **h}),
            400, "validation_failed", {"body": "length_between"})
    assert post(platform, f"/comments/{top.json()['id']}/like", {}, alice).json()["likes"] == 1
    refused(lambda h: requests.post(f"{platform.gateway_url}/api/v1/comments/{top.json()['id']}/like", timeout=20,
                                    headers={"Authorization": f"Bearer {alice}", **h}),
            409, "conflict", {"subject_id": "already_liked"})
    page = get(platform, f"/comments/post/{post_id}?order=hottest", carol).json()["items"]
    assert [(c["author_name"], c["likes"], len(c["latest_replies"])) for c in page] == [("张*", 1, 1)]

    # report, upheld in review (hidden), restored by the moderator; the audit trail says so
    refused(lambda h: requests.post(f"{platform.gateway_url}/api/v1/comments/{top.json()['id']}/report",
                                    json={"reason": "自己"}, timeout=20,
                                    headers={"Authorization": f"Bearer {bob}", **h}),
            409, "conflict", {"subject_id": "own_content"})
    report = post(platform, f"/comments/{top.json()['id']}/report", {"reason": "人身攻击"}, alice)
    assert report.status_code == 201, report.text
    decide_in_review(platform, admin, report.json()["id"], "initial")
    assert eventually(lambda: get(platform, f"/comments/post/{post_id}", carol).json()["items"] == [])
    restored = post(platform, f"/comments/{top.json()['id']}/restore", {"reason": "误判"}, bob)
    assert restored.status_code == 200 and restored.json()["status"] == "published", restored.text
    trail = get(platform, f"/comments/{top.json()['id']}/audit", bob).json()
    assert [e["action"] for e in trail] == ["reported", "hidden", "restored"]

    # favorites, ranking, 社团精彩, channels and the 关注 feed
    assert put(platform, f"/me/favorites/post/{post_id}", None, carol).status_code == 200
    assert [f["target_id"] for f in get(platform, "/me/favorites?type=post", carol).json()["items"]] == [post_id]
    ranking = get(platform, f"/communities/{community}/ranking?period=week", carol).json()["items"]
    assert [(r["rank"], r["name"], r["posts"]) for r in ranking] == [(1, "李*红", 1), (1, "张*", 1), (3, "王*普", 0)]
    highlights = get(platform, "/communities/highlights", carol).json()["items"]
    assert highlights[0]["id"] == post_id and highlights[0]["pinned"] is True
    chosen = put(platform, "/me/channels", {"channels": ["关注", "健康", "辟谣"]}, alice)
    assert chosen.status_code == 200 and chosen.json()["chosen"] == ["关注", "健康", "辟谣"], chosen.text
    assert get(platform, "/channels", alice).json()["chosen"] == ["关注", "健康", "辟谣"]
    assert len(get(platform, "/me/feed", alice).json()["items"]) == 2
