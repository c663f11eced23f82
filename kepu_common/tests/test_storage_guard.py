"""The guard on minio's private multipart calls passes on the pinned minio and names what changed."""
import pytest
from minio import Minio

from kepu_common.data import storage
from kepu_common.operations.patches import UnsupportedLibrary


def test_the_pinned_minio_passes():
    storage.guard_multipart()


def test_a_missing_private_call_is_named():
    class Upgraded(Minio):
        _upload_part = None  # what a release that renamed the call would look like

    with pytest.raises(UnsupportedLibrary, match=r"minio.Minio._upload_part is gone"):
        storage.guard_multipart(Upgraded)


def test_a_changed_signature_is_named():
    class Upgraded(Minio):
        def _complete_multipart_upload(self, bucket_name, object_name, parts, upload_id):
            pass

    with pytest.raises(UnsupportedLibrary, match="_complete_multipart_upload.*no longer takes"):
        storage.guard_multipart(Upgraded)


def test_another_minio_version_is_refused(monkeypatch):
    from kepu_common.operations import patches

    monkeypatch.setattr(patches, "version", lambda package: "8.0.0")
    with pytest.raises(UnsupportedLibrary, match="minio 7.2"):
        storage.guard_multipart()
