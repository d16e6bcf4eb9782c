"""Bringing a film blog over: WordPress (WXR) and Disqus exports read into threads, replies and members.

`wordpress.py` and `disqus.py` only read their export into the plain records of `common.py` (a blog post with its
comments); `writer.py` writes those through the board's own write path (Thread.start, Post.add_reply, the one
sanitizer in board/markup.py), one transaction per post, remembering each source id in ImportSource so a second run
changes nothing. The `flask import` commands (board/cli.py) wire the two together.
"""
