"""Tencent Cloud SMS (短信 SendSms, API 2021-01-11) through its official SDK, `tencentcloud-sdk-python-sms`.

Why Tencent's and not Aliyun's `alibabacloud-dysmsapi20170525`: Tencent's SDK needs only `requests` (already
here) and signs with TC3-HMAC-SHA256 in plain synchronous code that eventlet makes cooperative; Aliyun's 4.x
SDK brings about fifteen packages (aiohttp, apscheduler, websocket-client, darabonba-core, ...) into a service
that runs on eventlet. Both take a signature and registered templates; Tencent's template variables are
positional (TemplateParamSet), so a notification's named variables are sent in the order its template names
them (notifications.sms_templates.variables).

- Signature: TENCENT_SMS_SIGN_NAME (科普中国, registered with the provider), SmsSdkAppId TENCENT_SMS_APP_ID.
- Templates: TENCENT_SMS_TEMPLATES maps our names to the provider's template ids: `code=2001` (the code
  template, "您的验证码为{1}，{2}分钟内有效。", used for every purpose unless `code_register=`, `code_login=`,
  `code_reset_password=` name their own), and `KEPU_ORG_VERIFIED=2101,...` for notification templates.
- Errors: the provider's codes map to SmsUnavailable (retry later), SmsMisconfigured (ops: credentials,
  signature, template, balance) and SmsRecipientRefused (this phone, now) in `classify` (tests beside it).
- Retries: here, not the SDK's StandardRetryer: in 3.1.195 it keeps the first failure and raises it even when a
  later attempt succeeded (its `err` is never reset), which would send a text twice and still report failure.
  A send that failed with SmsUnavailable (network, HTTP 5xx, InternalError, the provider's request-rate limit)
  is tried 3 times, 0.2 s then 0.4 s apart. Circuit breaker: pybreaker, open after 5 failed sends in a row (a
  refused recipient does not count), for 30 s; while open a send fails at once with SmsUnavailable.
- Logs: the SDK logs whole answers (which carry the phone) at DEBUG on its own logger: that logger is kept at
  WARNING. Nothing here logs a phone unmasked or a code.
"""
import logging
import time

import pybreaker
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from services.identity import phones
from services.identity.sms import SmsMisconfigured, SmsRecipientRefused, SmsUnavailable

log = logging.getLogger(__name__)
logging.getLogger("tencentcloud_sdk_common").setLevel(logging.WARNING)  # its DEBUG lines hold whole answers

CODE_TTL_MINUTES = "5"

# the provider's error codes (https://cloud.tencent.com/document/api/382/55981), by what they mean for us
_RECIPIENT = ("InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist",
              "FailedOperation.PhoneNumberOnBlacklist", "LimitExceeded.PhoneNumberDailyLimit",
              "LimitExceeded.PhoneNumberOneHourLimit", "LimitExceeded.PhoneNumberThirtySecondLimit",
              "LimitExceeded.PhoneNumberSameContentDailyLimit", "LimitExceeded.PhoneNumberCountLimit",
              "UnsupportedOperation.UnsupportedRegion", "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone",
              "FailedOperation.ContainSensitiveWord", "InvalidParameterValue.TemplateParameterLengthLimit",
              "InvalidParameterValue.TemplateParameterFormatError")
_MISCONFIGURED_PREFIXES = ("AuthFailure", "UnauthorizedOperation", "FailedOperation.InsufficientBalanceInSmsPackage",
                           "FailedOperation.SignatureIncorrectOrUnapproved", "FailedOperation.TemplateIncorrectOrUnapproved",
                           "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                           "FailedOperation.TemplateIdNotExist", "FailedOperation.MissingSignature",
                           "FailedOperation.MissingTemplateToModify", "InvalidParameterValue.SdkAppIdNotExist",
                           "InvalidParameterValue.SignNameLengthTooLong", "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
                           "InvalidParameter", "InvalidParameterValue", "MissingParameter", "UnknownParameter", "LimitExceeded.AppDailyLimit",
                           "LimitExceeded.DailyLimit", "LimitExceeded.AppCountryOrRegionDailyLimit",
                           "LimitExceeded.AppGlobalDailyLimit", "LimitExceeded.AppMainlandChinaDailyLimit",
                           "FailedOperation.JsonParseFail", "ClientParamsError", "ClientError")


def classify(provider_code):
    """SmsRecipientRefused, SmsMisconfigured or SmsUnavailable for one of the provider's error codes; anything
    unknown (InternalError.*, network, request-rate limits) is taken as the provider's trouble: try later."""
    if provider_code in _RECIPIENT:
        return SmsRecipientRefused
    if any(provider_code == prefix or provider_code.startswith(prefix + ".") for prefix in _MISCONFIGURED_PREFIXES):
        return SmsMisconfigured
    return SmsUnavailable


def parse_templates(text):
    """'code=2001, KEPU_ORG_VERIFIED=2101' -> {'code': '2001', 'KEPU_ORG_VERIFIED': '2101'}."""
    templates = {}
    for item in (text or "").replace(";", ",").split(","):
        if item.strip():
            name, _, template_id = item.partition("=")
            if not template_id.strip():
                raise ValueError(f"TENCENT_SMS_TEMPLATES: {item.strip()!r} names no template id (name=id)")
            templates[name.strip()] = template_id.strip()
    return templates


def positional(template_code, params):
    """A notification's named variables in its template's order ({1}, {2}, ... at the provider)."""
    from services.identity.notifications import sms_templates

    kind_name = template_code[len("KEPU_"):].lower() if template_code.startswith("KEPU_") else template_code
    try:
        names = sms_templates.variables(kind_name)
    except KeyError:
        names = list(params)
    return [str(params.get(name, "")) for name in names]


class TencentSender:
    REQUIRED = ("tencent_sms_secret_id", "tencent_sms_secret_key", "tencent_sms_app_id", "tencent_sms_sign_name")

    def __init__(self, secret_id, secret_key, app_id, sign_name, templates, region="ap-guangzhou",
                 endpoint="sms.tencentcloudapi.com", scheme="https", timeout=5, attempts=3, backoff=0.2,
                 breaker_failures=5, breaker_reset_seconds=30):
        if "code" not in templates:
            raise ValueError("TENCENT_SMS_TEMPLATES needs code=<template id> (the SMS code template)")
        self.app_id, self.sign_name, self.templates = app_id, sign_name, templates
        self.attempts, self.backoff = attempts, backoff
        profile = ClientProfile(httpProfile=HttpProfile(protocol=scheme, endpoint=endpoint, reqTimeout=timeout))
        self.client = sms_client.SmsClient(credential.Credential(secret_id, secret_key), region, profile)
        self.breaker = pybreaker.CircuitBreaker(fail_max=breaker_failures, reset_timeout=breaker_reset_seconds,
                                                exclude=[SmsRecipientRefused], name="tencent-sms")

    @classmethod
    def from_settings(cls, settings):
        missing = [name.upper() for name in cls.REQUIRED if not str(settings.get(name) or "").strip()]
        if missing:
            raise ValueError(f"SMS_SENDER=tencent needs {', '.join(missing)} (docs/operations.md, 'SMS in production')")
        return cls(settings["tencent_sms_secret_id"], settings["tencent_sms_secret_key"],
                   str(settings["tencent_sms_app_id"]), settings["tencent_sms_sign_name"],
                   parse_templates(settings.get("tencent_sms_templates")),
                   region=settings.get("tencent_sms_region") or "ap-guangzhou",
                   endpoint=settings.get("tencent_sms_endpoint") or "sms.tencentcloudapi.com",
                   scheme=settings.get("tencent_sms_scheme") or "https",
                   timeout=int(settings.get("tencent_sms_timeout_seconds") or 5))

    @property
    def open(self):
        """True while the breaker refuses sends (the provider failed too often just now)."""
        return self.breaker.current_state == pybreaker.STATE_OPEN

    # --- the two things identity sends ------------------------------------------------------------------------
    def send(self, phone, code, purpose):
        """A sign-in, registration or reset code."""
        template_id = self.templates.get(f"code_{purpose}") or self.templates["code"]
        self._send(phone, template_id, [code, CODE_TTL_MINUTES], purpose)

    def send_notice(self, phone, template_code, params, text, out_id):
        """A notification: its registered template and variables; out_id comes back as SessionContext."""
        template_id = self.templates.get(template_code)
        if template_id is None:
            raise SmsMisconfigured("TemplateNotConfigured", f"TENCENT_SMS_TEMPLATES has no {template_code}")
        self._send(phone, template_id, positional(template_code, params), template_code, out_id)

    def _send(self, phone, template_id, values, what, context=""):
        try:
            self.breaker.call(self._send_with_retries, phone, template_id, values, context)
        except pybreaker.CircuitBreakerError:
            raise SmsUnavailable("CircuitOpen", "the provider failed repeatedly; not tried for a while") from None
        except (SmsUnavailable, SmsMisconfigured, SmsRecipientRefused) as refused:
            level = logging.INFO if isinstance(refused, SmsRecipientRefused) else logging.ERROR
            log.log(level, "SMS %s to %s not sent: %s", what, phones.masked(phone), refused)
            raise

    def _send_with_retries(self, *args):
        for attempt in range(self.attempts):
            try:
                return self._send_once(*args)
            except SmsUnavailable:
                if attempt == self.attempts - 1:
                    raise
                time.sleep(self.backoff * 2 ** attempt)

    def _send_once(self, phone, template_id, values, context):
        request = models.SendSmsRequest()
        request.SmsSdkAppId, request.SignName, request.TemplateId = self.app_id, self.sign_name, str(template_id)
        request.PhoneNumberSet, request.TemplateParamSet = [f"+86{phone}"], values
        if context:
            request.SessionContext = context
        try:
            answer = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            raise classify(error.get_code() or "")(error.get_code(), error.get_message(), error.get_request_id()) \
                from None
        statuses = answer.SendStatusSet or []
        if not statuses:
            raise SmsUnavailable("NoSendStatus", "the provider answered without a send status", answer.RequestId)
        status = statuses[0]
        if status.Code != "Ok":
            raise classify(status.Code)(status.Code, status.Message, answer.RequestId)
        return status.SerialNo
