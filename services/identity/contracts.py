"""Code the identity service and the gateway (its schemas) share across the boundary: stdlib only, no I/O
(the import boundary, kepu_common/tests/test_import_contracts.py).

Numbers as people type them: one ID number, phone or code, whatever digits the keyboard produced.
Python's str.isdigit() and re's \\d accept every Unicode decimal digit (full-width ４, Arabic-Indic ٤,
Devanagari ४…), and PostgreSQL compares the text as written: left alone, "１３８…" and "138…" would be
two accounts for one phone. Every identity boundary that takes a number passes it through `ascii_digits`
first, and the checks after it accept only 0-9.

Where the gateway stores a person's evidence pictures, and so where the service accepts them from.
"""
import unicodedata


def ascii_digits(raw):
    """The text with every decimal digit as 0-9 and full-width letters and signs (Ｘ, ＋, －) as ASCII."""
    text = str(raw if raw is not None else "")
    out = []
    for char in text:
        if unicodedata.category(char) == "Nd":
            out.append(str(unicodedata.digit(char)))
        else:
            out.append(unicodedata.normalize("NFKC", char))
    return "".join(out)


def is_ascii_digits(text, length=None):
    return (length is None or len(text) == length) and text != "" and all("0" <= c <= "9" for c in text)


def licence_prefix(user_id):
    """Where a user's business licence pictures (POST /orgs/licence) are stored."""
    return f"licences/{user_id}/"


def letter_prefix(user_id):
    """Where a user's appointment letters (a district or street admin's evidence) are stored."""
    return f"appointments/{user_id}/"
