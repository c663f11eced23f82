"""The README's walkthrough, run as written (bash, curl, jq) against the journey platform: a frontend
developer who pastes it gets a counted share."""
import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from services.identity.cli import create_admin
from tests.test_identity_journey import PASSWORD, eventually, get, post
from tests.test_metrics_journey import published_article
from tests.test_resources_journey import id_number, login, org_admin

README = Path(__file__).resolve().parent.parent / "README.md"
PHONE = "13700000001"
ADMIN_PHONE = "13700000002"


def walkthrough():
    text = README.read_text()
    block = re.search(r"<!-- walkthrough:start -->\s*```sh\n(.*?)```\s*<!-- walkthrough:end -->", text, re.S)
    assert block, "README.md has no walkthrough block between its markers"
    return block.group(1)


def json_documents(text):
    """The JSON values jq printed, one after another (pretty-printed objects span several lines)."""
    decoder, position, values, text = json.JSONDecoder(), 0, [], text.strip()
    while position < len(text):
        value, position = decoder.raw_decode(text, position)
        values.append(value)
        while position < len(text) and text[position].isspace():
            position += 1
    return values


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("curl") is None, reason="needs curl and jq")
def test_the_readme_walkthrough_ends_in_a_counted_share(platform, make_token):
    registrant, org_id = org_admin(platform, "13800008801", id_number(881), "北京市朝阳区科普之窗")
    assert eventually(lambda: get(platform, f"/orgs/{org_id}", registrant).json().get("status") == "approved")
    article = published_article(platform, org_id)  # stands in for what make demo publishes through both reviews
    someone = make_token(["communicator"], sub=str(uuid.uuid4()))
    assert eventually(lambda: post(platform, "/shares", {"content_type": "resource", "content_id": article,
                                                         "channel": "qq"}, someone).status_code == 201)
    create_admin(platform.database_url("identity"), ADMIN_PHONE, PASSWORD)  # stands in for make demo's admin
    admin = login(platform, ADMIN_PHONE)
    env = {"PATH": "/usr/bin:/bin", "API": f"{platform.gateway_url}/api/v1", "PHONE": PHONE, "RESOURCE_ID": article,
           "ID_NUMBER": id_number(882), "ADMIN_TOKEN": admin}
    ran = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], env=env, capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    me, returned, stats, balance = json_documents(ran.stdout)
    assert me["phone"] == PHONE and isinstance(returned, dict)
    assert (stats["shares_today"], stats["shares_total"]) == (1, 1)
    assert balance == stats["points"]


def test_a_broken_walkthrough_would_fail_the_test(platform):
    env = {"PATH": "/usr/bin:/bin", "API": f"{platform.gateway_url}/api/v1", "PHONE": "12345"}
    ran = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], env=env, capture_output=True, text=True,
                         timeout=60)
    assert ran.returncode != 0  # an invalid phone: curl -f stops the script at its first refused call
