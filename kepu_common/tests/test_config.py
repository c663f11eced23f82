import pytest

from kepu_common.operations.config import MissingSetting, load_config, substitute


def test_value_from_environment_wins_over_default():
    assert substitute("uri: ${AMQP_URI:amqp://x}", {"AMQP_URI": "amqp://y"}) == "uri: amqp://y"


def test_default_used_when_variable_absent():
    assert substitute("n: ${MAX_WORKERS:10}", {}) == "n: 10"


def test_empty_default_is_allowed():
    assert substitute("k: ${S3_PUBLIC_ENDPOINT:}", {}) == "k: "


def test_default_may_reference_another_variable():
    text = "${DATABASE_URL:${DATABASE_SERVER:postgresql://h}/${DATABASE_PREFIX:kepu_}${SERVICE_NAME}}"
    assert substitute(text, {"SERVICE_NAME": "identity"}) == "postgresql://h/kepu_identity"
    assert substitute(text, {"SERVICE_NAME": "identity", "DATABASE_URL": "postgresql://z/db"}) == "postgresql://z/db"


def test_missing_required_variable_is_named():
    with pytest.raises(MissingSetting, match="SECRET_KEY"):
        substitute("k: ${SECRET_KEY}", {})


def test_shipped_service_config_loads_with_types(tmp_path):
    from kepu_common.cli import DEFAULT_CONFIG

    config = load_config(DEFAULT_CONFIG, {"SERVICE_NAME": "metrics", "MAX_WORKERS": "7"})
    assert config["max_workers"] == 7
    assert config["DATABASE_URL"].endswith("/kepu_metrics")
    assert config["OUTBOX"]["relay"] is True
    assert set(config["STORAGE"]["buckets"]) == {"uploads", "resources", "licences"}
