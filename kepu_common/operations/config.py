"""Service configuration: YAML with ${VAR} / ${VAR:default} substituted from the environment."""
import os
import re

import yaml

# a default may itself hold a reference (${A:x_${B}}): innermost references are replaced first
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^${}]*))?\}")


class MissingSetting(KeyError):
    pass


def substitute(text, environ=None):
    environ = os.environ if environ is None else environ

    def replace(match):
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is None:
            raise MissingSetting(f"environment variable {name} is required by the config")
        return default

    while True:
        replaced = _ENV_REF.sub(replace, text)
        if replaced == text:
            return replaced
        text = replaced


def load_config(path, environ=None):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(substitute(handle.read(), environ)) or {}
