"""The reply tree as a flat walk: nested lists rendered from one ordered query, without recursion."""
from dataclasses import dataclass, field


@dataclass
class ReplyTree:
    """Replies in path order, each with how many open reply lists end just before it.

    Each reply opens `<li>…<ol>` for its own replies; a template closes `</ol></li>` `closes`
    times before the next reply and `trailing_closes` times after the last one.
    """

    items: list[tuple[object, int]] = field(default_factory=list)
    trailing_closes: int = 0

    def __len__(self) -> int:
        return len(self.items)


def reply_tree(replies) -> ReplyTree:
    """replies: a thread's replies ordered by path (depth ≥ 1, every parent before its children)."""
    tree = ReplyTree()
    previous_depth = 0
    for post in replies:
        tree.items.append((post, previous_depth - post.depth + 1))
        previous_depth = post.depth
    tree.trailing_closes = previous_depth
    return tree
