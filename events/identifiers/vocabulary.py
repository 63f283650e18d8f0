"""Word lists written as text: `words("rue avenue boulevard")` is the tuple of those words, so a
list of a language's words stays one readable line."""

__all__ = ["words"]


def words(*lines):
    """The whitespace-separated words of `lines`, in order, as a tuple."""
    return tuple(word for line in lines for word in line.split())
