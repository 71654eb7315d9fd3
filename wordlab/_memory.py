"""Giving memory back to the operating system (Linux/glibc; no-ops elsewhere).

Two situations in wordlab leave a process holding memory it will not use again:

* Encoding a corpus allocates and frees millions of small strings; glibc keeps the
  freed heap unless asked (:func:`trim_heap`).
* Loading a Numba kernel, even from the on-disk cache, brings LLVM's code into the
  resident set: about 70 MB of read-only pages of ``libllvmlite.so``. Once a trainer's
  kernels are loaded, training runs only their machine code and never enters LLVM, so
  :func:`release_compiler_pages` asks the kernel to reclaim those pages
  (``madvise(MADV_PAGEOUT)``). They are clean, file-backed pages: nothing is lost, and
  if Numba compiles again later they are read back from the page cache on demand.
"""
from __future__ import annotations

import ctypes
import gc
import sys

_MADV_PAGEOUT = 21          # Linux >= 5.4; older kernels answer EINVAL and nothing happens
_COMPILER_LIBRARIES = ("libllvmlite",)


def _libc():
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


def trim_heap() -> None:
    """Collect garbage and hand the freed heap back to the OS (glibc's ``malloc_trim``)."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        try:
            libc.malloc_trim(0)
        except AttributeError:  # pragma: no cover - not glibc
            pass


def compiler_mappings() -> list[tuple[int, int]]:
    """Address ranges of the read-only mappings of LLVM's library in this process."""
    if not sys.platform.startswith("linux"):
        return []
    ranges = []
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) < 6 or "w" in parts[1]:
                    continue   # writable pages may hold data: never advise those away
                if any(name in parts[5] for name in _COMPILER_LIBRARIES):
                    start, stop = (int(x, 16) for x in parts[0].split("-"))
                    ranges.append((start, stop))
    except OSError:
        return []
    return ranges


def release_compiler_pages() -> bool:
    """Ask the OS to reclaim LLVM's read-only pages; return whether it accepted.

    Call it after a trainer's kernels are loaded and before its weights are
    allocated, so that the compiler's footprint and the weights are not resident at
    the same time.
    """
    libc = _libc()
    ranges = compiler_mappings()
    if libc is None or not ranges:
        return False
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    ok = True
    for start, stop in ranges:
        ok &= libc.madvise(start, stop - start, _MADV_PAGEOUT) == 0
    return ok
