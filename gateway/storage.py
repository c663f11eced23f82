"""The gateway's object storage client: one per process, made on first use (streamed uploads, licences,
/readyz)."""
from flask import current_app

from kepu_common.data.storage import Storage


def storage():
    if "storage" not in current_app.extensions:
        current_app.extensions["storage"] = Storage.from_config(current_app.config["STORAGE"])
    return current_app.extensions["storage"]
