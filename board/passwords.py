"""Password rules (OWASP ASVS 6.2): long enough, not a common password, not the member's own name.

Any characters are allowed (Unicode, spaces, emoji), up to PASSWORD_MAX, with no composition rules
(no "one digit, one capital"): ASVS and NIST SP 800-63B ask for length and a check against known
passwords instead, because composition rules only make passwords harder to remember.
"""
import functools
import gzip
import unicodedata
from pathlib import Path

PASSWORD_MIN = 10
PASSWORD_MAX = 1024
# SecLists' top 100,000 of the "10 million password list", unchanged (board/data/README.md says where from).
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"


def normalized(text: str) -> str:
    """The form compared: NFKC folds look-alike forms (fullwidth ｐａｓｓ), casefold folds case (PASSWORD)."""
    return unicodedata.normalize("NFKC", text).casefold()


@functools.cache
def common_passwords() -> frozenset[str]:
    """The list, normalized, read on first use and kept for the life of the process.

    Only entries of at least PASSWORD_MIN characters are kept: a shorter one can never equal a password
    that passed the length rule (the list is ASCII, and normalizing never makes an ASCII result shorter
    than what was typed). That keeps ~2,300 of the 100,000 and ~0.3 MB instead of ~10 MB per process.
    """
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        entries = (line.removesuffix("\n") for line in lines)
        return frozenset(normalized(entry) for entry in entries if len(entry) >= PASSWORD_MIN)


def password_problem(password: str, username: str | None) -> str | None:
    """Why this password can't be used by the member called `username`, or None when it can."""
    if len(password) < PASSWORD_MIN:
        return f"At least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"At most {PASSWORD_MAX:,} characters."
    typed = normalized(password)
    if typed in common_passwords():
        return "That is one of the most common passwords, among the first anyone guessing would try. Choose another."
    if username and normalized(username) in typed:
        return "A password can't contain your username. Choose one without it."
    return None
