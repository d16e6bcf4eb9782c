"""Readable word-level diffs of a post's Markdown source, for its edit history.

``word_diff`` compares two versions word by word and returns (kind, text) segments, kind being
"same", "added" or "removed"; ``collapse`` then shortens long unchanged stretches to a few words
of context around a "gap". The text is plain source: templates escape it like any other string.
``versions_of`` lays out a post's history page: each version with the diff to the one after it.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher

# Words, runs of punctuation or Markdown marks ("*", "||", "](") and whitespace, each a token of its own:
# "*nothing*" → "*everything*" reads as one word replaced inside unchanged emphasis marks.
TOKEN = re.compile(r"\w+|\s+|[^\w\s]+")
WORD = re.compile(r"\w")
SPOILER_MARK = "||"  # the Markdown of an inline spoiler, shown plainly in a source diff
CONTEXT_WORDS = 6  # unchanged words kept on each side of a change when a stretch is collapsed


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Segments turning `old` into `new`: ("same" | "removed" | "added", text), neighbours of one kind merged."""
    segments: list[tuple[str, str]] = []
    # Lines first (cheap, and Markdown is written in lines), then words only where lines differ:
    # a long post with a small edit costs little, however large it is.
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for op, old_start, old_end, new_start, new_end in SequenceMatcher(None, old_lines, new_lines).get_opcodes():
        old_text, new_text = "".join(old_lines[old_start:old_end]), "".join(new_lines[new_start:new_end])
        if op == "equal":
            _append(segments, "same", old_text)
        else:
            _diff_words(segments, old_text, new_text)
    return _join_changes(segments)


def _diff_words(segments: list[tuple[str, str]], old: str, new: str) -> None:
    before, after = tokenize(old), tokenize(new)
    for op, old_start, old_end, new_start, new_end in SequenceMatcher(None, before, after).get_opcodes():
        if op == "equal":
            _append(segments, "same", "".join(before[old_start:old_end]))
        else:
            _append(segments, "removed", "".join(before[old_start:old_end]))
            _append(segments, "added", "".join(after[new_start:new_end]))


def _append(segments: list[tuple[str, str]], kind: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1][0] == kind:
        segments[-1] = (kind, segments[-1][1] + text)
    else:
        segments.append((kind, text))


def _join_changes(segments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Spaces between changed words on one line join them: "<del>a b</del><ins>x y</ins>", not four pieces."""
    joined: list[tuple[str, str]] = []
    index = 0
    while index < len(segments):
        if segments[index][0] == "same":
            joined.append(segments[index])
            index += 1
            continue
        removed, added = [], []
        while index < len(segments):
            kind, text = segments[index]
            if kind == "same" and not (text.isspace() and "\n" not in text and index + 1 < len(segments)):
                break
            if kind in ("same", "removed"):
                removed.append(text)
            if kind in ("same", "added"):
                added.append(text)
            index += 1
        joined += [(kind, "".join(parts)) for kind, parts in (("removed", removed), ("added", added)) if parts]
    return joined


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
        word_positions = [i for i, token in enumerate(tokens) if WORD.search(token)]
        if len(word_positions) <= keep_head + keep_tail + 1:
            result.append((kind, text))
            continue
        head_end = word_positions[keep_head - 1] + 1 if keep_head else 0
        tail_start = word_positions[-keep_tail] if keep_tail else len(tokens)
        # Whole words with their marks and punctuation ("*word*,"), never cut inside one.
        while 0 < head_end < len(tokens) and not tokens[head_end].isspace():
            head_end += 1
        while keep_tail and tail_start > 0 and not tokens[tail_start - 1].isspace():
            tail_start -= 1
        if head_end >= tail_start:  # words run together ("a,b,c…"): nothing to leave out between them
            result.append((kind, text))
            continue
        if head_end:
            result.append(("same", "".join(tokens[:head_end])))
        result.append(("gap", "…"))
        if tail_start < len(tokens):
            result.append(("same", "".join(tokens[tail_start:])))
    return result


def has_changes(segments: list[tuple[str, str]]) -> bool:
    return any(kind in ("added", "removed") for kind, _ in segments)


@dataclass(frozen=True)
class Version:
    """One version of a post in its history; `revision` is None for the current one."""

    number: int
    title: str | None
    body_html: str
    written_at: datetime
    revision: object | None = None  # the PostRevision
    title_diff: list = field(default_factory=list)  # word_diff segments, empty when the title stayed
    body_diff: list = field(default_factory=list)  # collapsed word_diff segments
    may_spoil: bool = False  # the diff's source text holds ||spoilers|| or the post is marked as one

    @property
    def body_changed(self) -> bool:
        return has_changes(self.body_diff)


def versions_of(post, revisions) -> list[Version]:
    """The current version, then each earlier one (newest first) with a diff against the version that replaced it."""
    newer = Version(
        number=len(revisions) + 1,
        title=post.thread.title if post.is_opening else None,
        body_html=post.body_html,
        written_at=post.edited_at or post.created_at,
    )
    versions, newer_source = [newer], post.body_source
    for number, revision in zip(range(len(revisions), 0, -1), revisions):
        older = Version(
            number=number,
            title=revision.title,
            body_html=revision.body_html,
            written_at=revision.written_at,
            revision=revision,
            title_diff=word_diff(revision.title, newer.title) if revision.title and revision.title != newer.title else [],
            body_diff=collapse(word_diff(revision.body_source, newer_source)),
            may_spoil=post.marked_spoiler or any(SPOILER_MARK in text for text in (revision.body_source, newer_source)),
        )
        versions.append(older)
        newer, newer_source = older, revision.body_source
    return versions
