"""Readable word-level diffs of a post's Markdown source, for its edit history.

``word_diff`` compares two versions word by word and returns (kind, text) segments, kind being
"same", "added" or "removed"; ``collapse`` then shortens long unchanged stretches to a few words
of context around a "gap". The text is plain source: templates escape it like any other string.
"""
import re
from difflib import SequenceMatcher

TOKEN = re.compile(r"\s+|\S+")  # words (with their punctuation) and the whitespace between them
CONTEXT_WORDS = 6  # unchanged words kept on each side of a change when a stretch is collapsed


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Segments turning `old` into `new`: ("same" | "removed" | "added", text), neighbours of one kind merged."""
    before, after = tokenize(old), tokenize(new)
    # Whitespace may extend a match but never anchor one, so a rewritten sentence reads as one change,
    # not as words interleaved with the spaces they happen to share.
    matcher = SequenceMatcher(str.isspace, before, after, autojunk=False)
    segments: list[tuple[str, str]] = []
    for op, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if op == "equal":
            _append(segments, "same", before[old_start:old_end])
            continue
        _append(segments, "removed", before[old_start:old_end])
        _append(segments, "added", after[new_start:new_end])
    return segments


def _append(segments: list[tuple[str, str]], kind: str, tokens: list[str]) -> None:
    text = "".join(tokens)
    if not text:
        return
    if segments and segments[-1][0] == kind:
        segments[-1] = (kind, segments[-1][1] + text)
    else:
        segments.append((kind, text))


def collapse(segments: list[tuple[str, str]], context: int = CONTEXT_WORDS) -> list[tuple[str, str]]:
    """Shorten each long unchanged stretch to `context` words beside the changes, with ("gap", "…") between."""
    result: list[tuple[str, str]] = []
    last = len(segments) - 1
    for index, (kind, text) in enumerate(segments):
        if kind != "same":
            result.append((kind, text))
            continue
        keep_head = context if index > 0 else 0  # words after the change before this stretch
        keep_tail = context if index < last else 0  # words before the change after it
        tokens = tokenize(text)
        word_positions = [i for i, token in enumerate(tokens) if not token.isspace()]
        if len(word_positions) <= keep_head + keep_tail + 1:
            result.append((kind, text))
            continue
        head_end = word_positions[keep_head - 1] + 1 if keep_head else 0
        tail_start = word_positions[-keep_tail] if keep_tail else len(tokens)
        if head_end:
            result.append(("same", "".join(tokens[:head_end])))
        result.append(("gap", "…"))
        if tail_start < len(tokens):
            result.append(("same", "".join(tokens[tail_start:])))
    return result


def has_changes(segments: list[tuple[str, str]]) -> bool:
    return any(kind in ("added", "removed") for kind, _ in segments)
