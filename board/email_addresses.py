"""Members' email addresses: which are accepted, and the one form each is stored in.

The domain is lowercased (and an internationalised one stored in its ASCII "xn--" form): domains are
case-insensitive everywhere. The local part (before the @) is kept as typed, because RFC 5321 lets a mail server
treat it case-sensitively and mail must reach exactly the mailbox the member gave; but two addresses that differ
only in its case are one address for uniqueness and lookups (the users table's unique index is on lower(email)),
since practically every provider delivers them to one mailbox. Dots and "+tags" are left alone: what they mean
is each provider's own rule, not the board's to guess.
"""
import re

EMAIL_MAX = 254  # RFC 5321's limit on a path, less the angle brackets
LOCAL_PART_MAX = 64
# An unquoted RFC 5322 dot-atom: the local parts people actually have (quoted ones are refused: no provider hands
# them out, and they are a classic way to smuggle characters through).
LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z")


def normalized_address(typed: str) -> str | None:
    """The address in its stored form, or None when it is not an address the board can send to."""
    address = typed.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or len(local) > LOCAL_PART_MAX or not LOCAL_PART.match(local):
        return None
    try:
        domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(DOMAIN_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return None
    address = f"{local}@{domain}"
    return address if len(address) <= EMAIL_MAX else None


def folded(address: str) -> str:
    """The form compared for uniqueness and lookups (what the unique index on lower(email) compares)."""
    return address.lower()
