"""glibc's malloc tuned for a process that frees large buffers all the time."""

import ctypes

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
MMAP_THRESHOLD = 128 * 1024  # glibc's initial threshold, here kept for good


def unmap_large_buffers() -> None:
    """Allocations of MMAP_THRESHOLD bytes and more are mapped on their own and given back to
    the system once freed. By default glibc raises the threshold to the size of every such
    buffer freed (up to 32 MiB); after that, Kafka fetch responses and the like come from the
    heap, whose freed space stays resident: a few MiB of RSS for good. Any other libc: as is."""
    try:
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass
