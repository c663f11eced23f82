"""A client's mistake in identity is one quiet INFO line that carries the gateway's request id."""
import logging

import pytest

from gateway.tests.test_error_contract import Records  # a handler with the filters a service's logging installs
from kepu_common.interfaces.errors import problem_of_remote
from kepu_common.operations.log_context import install_expected_filter
from kepu_common.bus.rpc_client import RemoteError, RpcClient
from services.identity.service import IdentityService
from services.identity.tests.test_accounts import register
from services.identity.tests.test_verification import form


@pytest.fixture
def records():
    install_expected_filter()
    handler, root = Records(), logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.records
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_a_wrong_id_checksum_is_one_info_line_with_the_request_id(start_service, amqp_uri, records):
    identity = start_service(IdentityService)
    user_id = register(identity, "13800141000")["user"]["id"]
    client = RpcClient(amqp_uri)
    try:
        with pytest.raises(RemoteError) as error:
            client.call("identity", "submit_verification", user_id, form(id_number="11010519491231003X"),
                        context={"request_id": "req-id-checksum"})
    finally:
        client.close()
    problem = problem_of_remote(error.value.exc_type, error.value.exc_args, "identity")
    assert (problem.status, problem.fields["id_number"]["code"]) == (400, "id_checksum")

    mine = [r for r in records if r.context == "request=req-id-checksum" and r.levelno >= logging.INFO]
    assert len(mine) == 1
    [line] = mine
    assert line.levelno == logging.INFO and line.exc_info is None and line.exc_text is None
    assert "id_number_invalid" in line.getMessage() and "id_checksum" in line.getMessage()
    assert "Traceback" not in line.getMessage() and "110105194912310" not in line.getMessage()
    assert not [r for r in records if r.levelno >= logging.WARNING]
