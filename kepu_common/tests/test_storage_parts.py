"""Streaming into storage part by part: the bytes arrive whole, or nothing is left behind."""
import hashlib
import io

import pytest

from kepu_common.data.storage import Storage

MB = 1024 * 1024


@pytest.fixture
def storage(storage_settings):
    store = Storage.from_config(storage_settings)
    store.ensure_buckets()
    return store


def test_a_stream_arrives_whole_and_is_observed_in_order(storage):
    data = bytes(range(256)) * (23 * MB // 256) + b"tail"
    seen = hashlib.sha256()
    bucket = storage.bucket("uploads")
    storage.put_in_parts(bucket, "k", io.BytesIO(data).read, len(data), part_size=5 * MB, observe=seen.update)
    assert storage.client.get_object(bucket, "k").read() == data
    assert seen.hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_source_that_ends_early_leaves_nothing(storage):
    bucket = storage.bucket("uploads")
    with pytest.raises(EOFError):
        storage.put_in_parts(bucket, "k", io.BytesIO(bytes(12 * MB)).read, 20 * MB, part_size=5 * MB)
    assert list(storage.client.list_objects(bucket)) == []
    assert storage.client._list_multipart_uploads(bucket).uploads == []
