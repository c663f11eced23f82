"""The gateway application for WSGI servers: gunicorn (gateway/gunicorn.conf.py) and granian
(kepu_common/edge/granian_server.py) import it in each worker process."""
from gateway import create_app
from kepu_common.operations.runtime import freeze_startup_objects

app = create_app()
# the application is loaded: its objects leave the collector's full walks (kepu_common/operations/runtime.py)
freeze_startup_objects()
