"""Process-wide settings for the platform's long-running processes (gunicorn workers, services)."""
import contextlib
import gc
import logging


def freeze_startup_objects():
    """Move everything alive now (modules, classes, the Flask app and its schemas, the nameko service)
    into the collector's permanent generation, once the process has loaded its code.

    Python's full (generation 2) collection walks every tracked object. In a gateway worker that is the
    whole application, and each full collection held the GIL for 110 to 260 ms (measured under the
    one-RPC benchmark, bench/gateway_rpc.py): every request in the worker waited that long, which made
    the tail of the latency distribution. Frozen objects are never walked again; what requests allocate
    is still collected as before. This is what the gc.freeze() documentation advises for long-lived
    objects made before serving starts.
    """
    gc.collect()  # what startup left as garbage goes now, not into the permanent generation
    gc.freeze()


def _untimed(message, *args):
    return contextlib.nullcontext()


def skip_nameko_worker_timing():
    """nameko times every worker and every handler in a context manager for a DEBUG log line ("ran worker
    ... in 0.001s"), two per RPC call whether DEBUG is on or not. Unless the service logs at DEBUG (its
    LOG_LEVEL, read once at start), the timing is skipped."""
    import nameko.containers

    from kepu_common.operations import patches

    if logging.getLogger(nameko.containers.__name__).isEnabledFor(logging.DEBUG):
        return False
    patches.guard_nameko_timing_logger()
    nameko.containers._log_time = _untimed
    return True
