"""The reply tree as a flat walk: nested lists rendered from one ordered query, without recursion."""
from dataclasses import dataclass, field


@dataclass
class ReplyTree:
    """Replies in path order, each with how many open reply lists end just before it.

    Each reply opens `<li>…<ol>` for its own replies (inside a `<details>` when it has some); a template
    closes `</ol></li>` `closes` times before the next reply and `trailing_closes` times after the last one.
    """

    items: list[tuple[object, int]] = field(default_factory=list)
    trailing_closes: int = 0

    def __len__(self) -> int:
        return len(self.items)


def reply_tree(replies, base_depth: int = 0) -> ReplyTree:
    """replies: the replies under a post at base_depth (the opening post: 0), every parent before its children.

    Of the lists closed before a reply, the first is always the previous reply's own (empty) list and the
    others are its ancestors' (each with replies in it): templates rely on that to close what they opened.
    """
    tree = ReplyTree()
    previous_depth = base_depth
    for post in replies:
        tree.items.append((post, previous_depth - post.depth + 1))
        previous_depth = post.depth
    tree.trailing_closes = previous_depth - base_depth
    return tree
