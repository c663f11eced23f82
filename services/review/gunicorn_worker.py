"""The review UI's gunicorn worker (services/review/gunicorn.conf.py selects it): gthread hardened against
slow and hostile clients as the gateway's is (kepu_common/edge/edge_worker.py: REVIEW_UI_CLIENT_TIMEOUT seconds
per read and write, 30 by default; REVIEW_UI_HEADER_TIMEOUT seconds for a request's whole header, 10 by
default), with gunicorn's own error answers (400, 408, 414, 431 ...) as a short zh-CN page (English with
Accept-Language: en) naming the request id, instead of gunicorn's English HTML."""
from html import escape

from kepu_common.edge.edge_worker import HardenedWorker, http_answer
from kepu_common.interfaces.messages import negotiate, text

# gunicorn's status -> message key of the common catalogue; unlisted statuses are 400 bad_request
MESSAGES = {400: "bad_request", 403: "forbidden", 408: "edge_request_timeout", 414: "uri_too_long",
            417: "edge_expectation_failed", 431: "request_header_fields_too_large", 500: "internal_error",
            501: "edge_transfer_coding_unsupported"}
TITLES = {"zh_CN": "科普平台审核系统", "en": "Kepu review"}
REQUEST_ID = {"zh_CN": "请求编号", "en": "Request ID"}


def error_page(status, accept_language=None, request_id=""):
    locale = negotiate(accept_language)
    message = text(MESSAGES.get(status, "bad_request"), locale, fallback="bad_request")
    lang = "zh-CN" if locale == "zh_CN" else "en"
    title = TITLES.get(locale, TITLES["zh_CN"])
    label = REQUEST_ID.get(locale, REQUEST_ID["zh_CN"])
    body = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body><h1>{status}</h1><p>{escape(message)}</p><p>{label}：{escape(request_id)}</p></body></html>")
    return http_answer(status, "text/html; charset=utf-8", body.encode("utf-8"), request_id)


class ReviewUIWorker(HardenedWorker):
    client_timeout_env, client_timeout_default = "REVIEW_UI_CLIENT_TIMEOUT", "30"
    header_timeout_env, header_timeout_default = "REVIEW_UI_HEADER_TIMEOUT", "10"

    def error_answer(self, status, accept_language, request_id):
        return error_page(status, accept_language, request_id)
