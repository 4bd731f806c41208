"""Hands memory the server freed back to the operating system (glibc only)."""

import ctypes
import ctypes.util
import sys
from collections.abc import Callable


def _glibc_malloc_trim() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int

    def trim_all() -> None:
        trim(0)

    return trim_all


_trim = _glibc_malloc_trim()


def release_free_memory() -> None:
    """After a burst (a thousand clients joining, say) glibc keeps the freed heap; trimming
    returns it, so the server's resident size tracks what it really holds. A no-op elsewhere."""
    if _trim is not None:
        _trim()
