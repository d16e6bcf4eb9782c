"""Characters nobody can see: refused in what members name things, escaped in the log.

A bidi control reorders the text around it (a title typed `admin\u202egnp.exe` shows as `adminexe.png`), a
zero-width character hides inside a word, a control character acts on whatever displays it (ESC starts a
terminal escape in a log), and dozens of stacked combining marks spill over the lines above and below. Real
Arabic, Hebrew, Persian or any other script needs none of these: its direction comes from its letters (and the
templates isolate member-typed names with <bdi> or dir="auto"), so a refusal costs an honest member nothing.
"""
import unicodedata

# Named, so that a refusal says which one it found: the member can't see it.
INVISIBLE = {
    "\u061c": "Arabic letter mark",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
    "\u202a": "left-to-right embedding",
    "\u202b": "right-to-left embedding",
    "\u202c": "pop directional formatting",
    "\u202d": "left-to-right override",
    "\u202e": "right-to-left override",
    "\u2066": "left-to-right isolate",
    "\u2067": "right-to-left isolate",
    "\u2068": "first strong isolate",
    "\u2069": "pop directional isolate",
    "\u200b": "zero-width space",
    "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner",
    "\u2060": "word joiner",
    "\ufeff": "zero-width no-break space",
    "\u00ad": "soft hyphen",
    "\u180e": "Mongolian vowel separator",
    "\u2061": "function application",
    "\u2062": "invisible times",
    "\u2063": "invisible separator",
    "\u2064": "invisible plus",
    "\u115f": "Hangul choseong filler",
    "\u1160": "Hangul jungseong filler",
    "\u3164": "Hangul filler",
    "\uffa0": "halfwidth Hangul filler",
}
# Persian writes "می‌خواهم" with a zero-width non-joiner and emoji such as 👩‍👩‍👧 are joined by zero-width
# joiners: between two non-ASCII characters they are part of the text, anywhere else they only hide.
JOINERS = frozenset({"\u200c", "\u200d"})
MAX_COMBINING_MARKS = 4  # on one base character: Vietnamese uses two, pointed Hebrew with cantillation four
CONTROL_NAMES = {"\x1b": "ESC", "\x07": "BEL", "\x08": "backspace", "\r": "carriage return", "\x7f": "DEL"}


def refused_character(text: str, newlines: bool = False) -> str | None:
    """Why `text` can't be kept as typed ("contains … at character N"), or None if every character may stay.

    `newlines`: a multi-line field keeps line feeds and tabs; a single-line one has folded them already.
    """
    marks = 0
    for index, character in enumerate(text):
        where = f"at character {index + 1}"
        if unicodedata.category(character) in ("Mn", "Me"):
            marks += 1
            if marks > MAX_COMBINING_MARKS:
                return f"stacks more than {MAX_COMBINING_MARKS} combining marks on one character {where}"
            continue
        marks = 0
        if character in INVISIBLE and not (character in JOINERS and joins(text, index)):
            return f"contains an invisible {INVISIBLE[character]} ({code_point(character)}) {where}"
        if unicodedata.category(character) in ("Cc", "Zl", "Zp") and not (newlines and character in "\n\t"):
            name = CONTROL_NAMES.get(character) or unicodedata.name(character, "")
            return f"contains a control character {name} ({code_point(character)}) {where}".replace("  ", " ")
    return None


def joins(text: str, index: int) -> bool:
    """A joiner between two visible non-ASCII characters (Persian letters, parts of an emoji), not at an edge."""
    if index == 0 or index == len(text) - 1:
        return False
    return all(
        not neighbour.isascii() and neighbour.isprintable() and not neighbour.isspace() and neighbour not in INVISIBLE
        for neighbour in (text[index - 1], text[index + 1])
    )


def code_point(character: str) -> str:
    return f"U+{ord(character):04X}"


def for_log(text: str) -> str:
    """The text on one log line: line breaks, ESC, every other control and invisible character as an escape (\\n, \\x1b, \\u202e)."""
    return "".join(
        character if character.isprintable() and character not in INVISIBLE
        else character.encode("unicode_escape").decode("ascii")
        for character in text
    )
