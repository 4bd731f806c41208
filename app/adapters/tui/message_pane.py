"""The message pane: the transcript, wrapped to the pane's width, with scrollback.

Lines are kept as (style, text) fragments so that a pending line can be replaced when the
server confirms it, and so that a resize re-wraps everything at the new width.
"""

from collections import OrderedDict
from typing import Final

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from app.adapters.terminal.render import Fragments

# Lines of scrollback kept (a message wrapped over two lines counts as one here).
SCROLLBACK: Final = 10_000


class MessagePane(ScrollView, can_focus=False):
    """While the view is at the bottom it follows what arrives; scrolled up, it stays put and
    counts what arrived below (`unseen`)."""

    class Unseen(Message):
        """The count of lines below the view changed."""

    DEFAULT_CSS = """
    MessagePane {
        height: 1fr; scrollbar-size-vertical: 1;
        /* Always room for the scroll bar, so that its coming never changes the width the
           lines were wrapped at; they never need a horizontal one. */
        overflow-y: scroll; overflow-x: hidden;
    }
    """

    def __init__(self, styles: dict[str, Style], *, scrollback: int = SCROLLBACK) -> None:
        super().__init__(id="messages")
        self._styles = styles
        self._scrollback = scrollback
        self._entries: OrderedDict[int, Fragments] = OrderedDict()
        self._wrapped: dict[int, list[Strip]] = {}  # at `_width`
        self._width = 0
        self._lines: list[Strip] = []
        self._stale = False  # `_lines` must be rebuilt from `_wrapped`
        self.unseen = 0
        # Whether the view sticks to the bottom: it does until the user scrolls up, and
        # again once they scroll back down. (Not "is it at the bottom now": content added
        # in a burst moves the bottom before the view has followed it.)
        self._follow = True

    # -- what the application does ---------------------------------------------------

    def add(self, key: int, line: Fragments) -> None:
        following = self._following()
        self._entries[key] = line
        while len(self._entries) > self._scrollback:
            self._forget_oldest()
        if self._width and not self._stale:
            self._lines.extend(self._wrap(key, line))
        else:
            self._stale = True
        self._changed(following, added=1)

    def replace(self, key: int, line: Fragments) -> None:
        if key not in self._entries:
            self.add(key, line)  # trimmed from the scrollback meanwhile: show it anew
            return
        following = self._following()
        self._entries[key] = line
        self._wrapped.pop(key, None)
        self._stale = True
        self._changed(following, added=0)

    def texts(self) -> list[str]:
        """Every line of the transcript as plain text (for tests and for copying)."""
        return ["".join(text for _, text in line) for line in self._entries.values()]

    def page_up(self) -> None:
        self._follow = False  # at once: a follow already on its way must not undo this
        self.scroll_page_up(animate=False)

    def page_down(self) -> None:
        self.scroll_page_down(animate=False)

    # -- Textual ---------------------------------------------------------------------

    def follow(self) -> None:
        """Back to the bottom, following again (the user just said something)."""
        self._follow = True
        self._bottom_after_refresh()

    def on_resize(self) -> None:
        following = self._following()
        width = self.scrollable_content_region.width
        if width != self._width:
            self._width = width
            self._wrapped.clear()
            self._stale = True
        self._changed(following, added=0)  # a shorter pane moves the bottom, too

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow = new_value >= self.max_scroll_y
        if self.unseen and self._follow:
            self.unseen = 0
            self.post_message(self.Unseen())

    def render_line(self, y: int) -> Strip:
        self._rebuild()
        _, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return (
            self._lines[index].crop_extend(0, width, self.rich_style).apply_style(self.rich_style)
        )

    # -- inside ----------------------------------------------------------------------

    def _bottom_after_refresh(self) -> None:
        """To the bottom once the new size is laid out, unless the user scrolled up by then."""

        def to_bottom() -> None:
            if self._follow:
                self.scroll_to(y=self.max_scroll_y, animate=False)

        self.call_after_refresh(to_bottom)

    def _forget_oldest(self) -> None:
        """Drop the oldest line of the scrollback without re-wrapping the rest; a view
        scrolled up keeps showing the same lines."""
        old, _ = self._entries.popitem(last=False)
        wrapped = self._wrapped.pop(old, None)
        if wrapped is None or self._stale:
            self._stale = True
            return
        del self._lines[: len(wrapped)]
        if not self._follow:
            self.scroll_to(y=max(0, self.scroll_y - len(wrapped)), animate=False)

    def _following(self) -> bool:
        return self._follow

    def _changed(self, following: bool, *, added: int) -> None:
        self._rebuild()
        self.virtual_size = Size(self._width, len(self._lines))
        if following:
            self._bottom_after_refresh()
        elif added:
            self.unseen += added
            self.post_message(self.Unseen())
        self.refresh()

    def _rebuild(self) -> None:
        if not self._stale or not self._width:
            return
        lines: list[Strip] = []
        for key, line in self._entries.items():
            lines.extend(self._wrap(key, line))
        self._lines = lines
        self._stale = False

    def _wrap(self, key: int, line: Fragments) -> list[Strip]:
        wrapped = self._wrapped.get(key)
        if wrapped is None:
            text = Text(no_wrap=False, overflow="fold")
            for style, part in line:
                text.append(part, self._styles.get(style))
            console = self.app.console
            options = console.options.update_width(self._width)
            segments = console.render(text, options)
            wrapped = [
                Strip(parts).adjust_cell_length(self._width)
                for parts in Segment.split_lines(segments)
            ] or [Strip.blank(self._width)]
            self._wrapped[key] = wrapped
        return wrapped
