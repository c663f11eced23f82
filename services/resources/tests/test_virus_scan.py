"""Virus scanning through ClamAV's daemon (Debian's clamav-daemon) with a test signature built by ClamAV's
own sigtool (no signature database can be downloaded here): an infected upload is refused and
quarantined, a clean one passes, a scanner that is down holds the upload (pending) until it answers."""
import io
import shutil
import subprocess
import time

import pytest

from kepu_common.devtools import devstack
from kepu_common.interfaces.errors import Unavailable
from services.resources import virus_scan
from services.resources.service import ResourcesService
from services.resources.tests.conftest import (ADMIN_A, ORG_A, call, publish, sha256, sql, streamed, upload_form,
                                               video_of_size)
from kepu_common.data.storage import Storage

CLAMD, SIGTOOL = shutil.which("clamd") or "/usr/sbin/clamd", shutil.which("sigtool")
# a file no real signature matches: its SHA-256 becomes this suite's own signature
EICAR_LIKE = video_of_size(64 * 1024, seconds=1)[:-64] + b"KEPU-TEST-VIRUS-SIGNATURE do not use outside tests!!" \
             + bytes(64 - len(b"KEPU-TEST-VIRUS-SIGNATURE do not use outside tests!!"))

pytestmark = pytest.mark.skipif(not (shutil.which("clamd") or shutil.which("/usr/sbin/clamd")) or not SIGTOOL,
                                reason="ClamAV's daemon is not installed (apt-get install clamav-daemon)")


def wait_for_clamd(address, seconds=60):
    scanner = virus_scan.Scanner(address, timeout=2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if scanner.ping():
            return
        time.sleep(0.2)
    raise AssertionError(f"clamd did not answer at {address}")


@pytest.fixture(scope="module")
def clamd(tmp_path_factory):
    """clamd on a free port with one database: the test signature, made with sigtool --sha256."""
    home = tmp_path_factory.mktemp("clamd")
    (home / "db").mkdir()
    sample = home / "kepu-test-virus.bin"
    sample.write_bytes(EICAR_LIKE)
    signature = subprocess.run([SIGTOOL, "--sha256", str(sample)], check=True, capture_output=True, text=True).stdout
    (home / "db" / "kepu-test.hsb").write_text(signature.replace(sample.name, "Kepu.Test.Signature"))
    port = devstack.free_port()
    (home / "clamd.conf").write_text(f"DatabaseDirectory {home / 'db'}\nTCPSocket {port}\nTCPAddr 127.0.0.1\n"
                                     f"Foreground yes\nStreamMaxLength 100M\nLogFile {home / 'clamd.log'}\n")
    process = subprocess.Popen([CLAMD, "-c", str(home / "clamd.conf")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    try:
        wait_for_clamd(f"127.0.0.1:{port}")
        yield {"address": f"127.0.0.1:{port}", "port": port, "conf": home / "clamd.conf"}
    finally:
        process.kill()
        process.wait(10)


@pytest.fixture
def scanning(start_service, amqp_uri, clamd):
    container = start_service(ResourcesService, RESOURCES={"part_size_mb": 5, "clamd_address": clamd["address"]})
    publish(container, amqp_uri, "org_registered", "on_org_registered", org_id=ORG_A, registrant_id=ADMIN_A,
            name="中国气象局气象宣传与科普中心", category="ministry", region_code="110105")
    publish(container, amqp_uri, "role_granted", "on_role_granted", user_id=ADMIN_A, role="org_admin", scope=ORG_A,
            actor_id=None)
    return container


def test_the_scanner_names_the_test_signature_and_passes_clean_bytes(clamd):
    scanner = virus_scan.Scanner(clamd["address"])
    assert scanner.scan([EICAR_LIKE[:1000], EICAR_LIKE[1000:]]) == "Kepu.Test.Signature.UNOFFICIAL"
    assert scanner.scan([b"clean bytes"]) is None
    down = virus_scan.Scanner(f"127.0.0.1:{devstack.free_port()}")
    assert not down.ping()
    with pytest.raises(Unavailable, match="virus_scanner_unavailable"):
        down.scan([b"x"])


def test_an_infected_upload_is_refused_quarantined_and_a_clean_one_passes(scanning):
    storage = Storage.from_config(scanning.config["STORAGE"])
    bucket = storage.bucket("resources")
    with pytest.raises(virus_scan.FileInfected) as refused:
        streamed(scanning, storage, EICAR_LIKE, filename="病毒.mp4")
    assert refused.value.status == 422 and refused.value.details["signature"] == "Kepu.Test.Signature.UNOFFICIAL"
    assert refused.value.fields["file"]["code"] == "virus_found"
    (upload_id, status, reason), = sql(scanning, "SELECT id::text, status, error FROM uploads")
    assert status == "rejected" and "file_infected" in reason
    names = [o.object_name for o in storage.client.list_objects(bucket, recursive=True)]
    assert names == [f"quarantine/{upload_id}"]  # nothing left where files are served from
    assert storage.open(bucket, names[0]).read() == EICAR_LIKE

    clean = streamed(scanning, storage, video_of_size(64 * 1024, seconds=1))
    assert clean["status"] == "complete"


def test_a_scanner_that_is_down_holds_the_upload_until_it_answers(scanning, clamd):
    storage = Storage.from_config(scanning.config["STORAGE"])
    data = video_of_size(80 * 1024, seconds=1)
    upload = call(scanning, "start_upload", ADMIN_A, upload_form(data, method="stream"))
    target = call(scanning, "stream_target", ADMIN_A, upload["id"])
    storage.put_stream(target["bucket"], target["key"], io.BytesIO(data), len(data))
    received = {"size": len(data), "sha256": sha256(data), "object_key": target["key"]}
    settings = next(d for d in scanning.dependencies if d.__class__.__name__ == "Settings").settings
    address, settings.scanner.address = settings.scanner.address, f"127.0.0.1:{devstack.free_port()}"
    with pytest.raises(Unavailable, match="virus_scanner_unavailable") as held:
        call(scanning, "complete_upload", ADMIN_A, upload["id"], {"received": received})
    assert held.value.status == 503 and held.value.details["retry_after"] == 30
    assert sql(scanning, "SELECT status FROM uploads") == [("pending",)]  # held, not passed, not lost
    settings.scanner.address = address
    assert call(scanning, "complete_upload", ADMIN_A, upload["id"], {"received": received})["status"] == "complete"
