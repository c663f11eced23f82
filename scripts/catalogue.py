"""Add messages to a domain's catalogues: python scripts/catalogue.py <domain> entries.json, entries {code: [zh, en]}.

Merges with the existing zh_CN and en .po files in kepu_common/locale and writes them sorted.
"""
import sys, json
from pathlib import Path
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

def write(domain, entries):
    root = Path("kepu_common/locale")
    for index, locale in enumerate(("zh_CN", "en")):
        path = root / locale / "LC_MESSAGES" / f"{domain}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=locale, domain=domain, project="kepu", charset="utf-8")
        if path.exists():
            with path.open("rb") as f:
                for m in read_po(f, locale=locale):
                    if m.id:
                        catalog.add(m.id, m.string)
        for code, texts in entries.items():
            catalog.add(code, texts[index])
        with path.open("wb") as f:
            write_po(f, catalog, width=120, omit_header=False, sort_output=True, no_location=True)

if __name__ == "__main__":
    domain, source = sys.argv[1], sys.argv[2]
    write(domain, json.load(open(source)))
