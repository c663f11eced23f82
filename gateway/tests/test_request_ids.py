"""Request ids the gateway makes (gateway/requests_log.py): 32 hex digits, never repeated, also across the
processes gunicorn forks from one master."""
import os

from gateway.requests_log import SANE_REQUEST_ID, RequestIds, new_request_id


def test_ids_are_32_hex_digits_accepted_as_incoming_ids_and_all_different():
    ids = [new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 and SANE_REQUEST_ID.match(i) for i in ids)


def test_a_forked_worker_makes_ids_of_its_own():
    made = RequestIds()
    parent = [made.new() for _ in range(3)]
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what a gunicorn worker would make
        os.write(writer, " ".join(made.new() for _ in range(3)).encode())
        os._exit(0)
    os.close(writer)
    child = os.read(reader, 4096).decode().split()
    os.waitpid(pid, 0)
    os.close(reader)
    assert len(child) == 3 and not set(child) & set(parent)
    assert {c[:20] for c in child} != {p[:20] for p in parent}  # another process prefix, not just later numbers
