"""Page numbers for lists paged in Python, with the interface _macros.html's pagination expects."""


class PageNumbers:
    """Mix into a class with `page` and `pages`: the same navigation Flask-SQLAlchemy's pages offer."""

    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
