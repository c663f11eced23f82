"""A WSGI app for testing gunicorn's worker itself: answers with its process id after ?sleep= seconds."""
import os
import time
from urllib.parse import parse_qs


def app(environ, start_response):
    seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("sleep", ["0"])[0])
    time.sleep(min(seconds, 10.0))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
