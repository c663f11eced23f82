"""SMS texts as a mainland carrier's SMS service accepts them (Aliyun 短信服务, Tencent Cloud SMS and the like).

- A template is registered once with the provider: fixed Chinese text with variables (`${title}` here), and
  the signature 【科普中国】 registered beside it; the provider puts the signature in front. What is sent is the
  template's code and the variables' values, never free text.
- No links (a link needs its own registration), no marketing words: these are 通知类 templates.
- Length: one SMS is 70 characters, signature included; a longer one is split and billed per 67-character part.
  Every template here fits one SMS with each variable at its longest (VARIABLE_MAX characters; a longer value
  is cut and ends in "…"). tests/test_notification_texts.py checks it for every kind.

The zh-CN texts are the catalogue's "notification.<kind>.sms"; `provider_templates()` lists them in the
provider's `${var}` form, ready to register: `python -m services.identity.notifications.sms_templates`.
"""
import re

from kepu_common.interfaces.messages import catalogue, text
from services.identity.notifications import kinds, texts

SIGNATURE = "【科普中国】"
SMS_LIMIT = 70  # characters of one SMS, signature included
VARIABLE_MAX = {"title": 12, "org_name": 12, "item": 10, "deadline": 10, "carrier": 6, "tracking_number": 20,
                "pickup_code": 8, "pickup_place": 12, "reason": 20}
DEFAULT_VARIABLE_MAX = 12
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def template_code(kind_name):
    """The name a template is registered under (the provider answers with its own code, mapped in config)."""
    return f"KEPU_{kind_name.upper()}"


def has_sms(kind_name):
    return f"notification.{kind_name}.sms" in catalogue("zh_CN")


def variables(kind_name):
    return _PLACEHOLDER.findall(catalogue("zh_CN")[f"notification.{kind_name}.sms"])


def cut(value, limit):
    value = str(value)
    return value if len(value) <= limit else value[:limit - 1] + "…"


def sms_params(kind_name, params):
    """The template's variables with their values, each within its length."""
    shown = texts.filled(kind_name, params)
    return {name: cut(shown[name], VARIABLE_MAX.get(name, DEFAULT_VARIABLE_MAX)) for name in variables(kind_name)}


def render(kind_name, params):
    """(template code, variables, the text the reader's phone shows, signature included)."""
    values = sms_params(kind_name, params)
    return template_code(kind_name), values, SIGNATURE + text(f"notification.{kind_name}.sms", "zh_CN", **values)


def provider_templates():
    """{code: template text in the provider's ${var} form} for every kind that goes by SMS."""
    return {template_code(name): _PLACEHOLDER.sub(r"${\1}", catalogue("zh_CN")[f"notification.{name}.sms"])
            for name in kinds.SMS_KINDS}


if __name__ == "__main__":
    for code, template in provider_templates().items():
        print(f"{code}\t{SIGNATURE}\t{template}")
