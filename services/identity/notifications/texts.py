"""How a notification reads: its title and body in the reader's language, from the catalogues (notifications.po).

A notification stores its kind and parameters; it is rendered when it is read, so the same row reads in Chinese
(the default) or English (Accept-Language: en). A parameter the event could not give (a reviewer who wrote no
reason, a title identity never saw) reads as the catalogue's "notification.param.<name>"; any other missing
parameter is a programming error.
"""
from kepu_common.interfaces.messages import has, text
from services.identity.notifications import kinds

# parameters rendered in the reader's language from a stored code: role_label from role
DERIVED = {"role_label": ("role", "notification.role.{}")}


def filled(kind_name, params, locale="zh_CN"):
    """The kind's parameters, each given or replaced by its catalogue fallback."""
    kind = kinds.KINDS[kind_name]
    shown = {}
    for name in kind.params:
        value = params.get(name)
        if name in DERIVED and params.get(DERIVED[name][0]):
            source, key = DERIVED[name]
            value = text(key.format(params[source]), locale)
        if value in (None, ""):
            if not has(f"notification.param.{name}"):
                raise ValueError(f"{kind_name}: parameter {name} missing")
            value = text(f"notification.param.{name}", locale)
        shown[name] = value
    return shown


def render(kind_name, params, locale="zh_CN"):
    """{"title", "body"} for a notification of that kind."""
    shown = filled(kind_name, params, locale)
    return {"title": text(f"notification.{kind_name}.title", locale, **shown),
            "body": text(f"notification.{kind_name}.body", locale, **shown)}


def has_texts(kind_name, locale):
    return all(has(f"notification.{kind_name}.{part}", locale) for part in ("title", "body"))
