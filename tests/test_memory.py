"""wordlab._memory: giving heap and compiler pages back to the OS."""
import re
import sys

import numpy as np
import pytest

from wordlab._memory import compiler_mappings, release_compiler_pages

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self (Linux only)")


def _rss_file_kib() -> int:
    return int(re.search(r"RssFile:\s+(\d+)", open("/proc/self/status").read())[1])


@linux_only
def test_release_compiler_pages_shrinks_rss_and_kernels_still_run():
    from numba import njit

    from wordlab.trainers._sampling import thread_seeds   # loads a cached Numba kernel
    before_seeds = thread_seeds(7, 2, 3)

    @njit
    def fresh(x):            # compiling something brings LLVM's pages back in, whatever ran before
        return x * 2 + 1

    assert fresh(20) == 41
    ranges = compiler_mappings()
    assert ranges, "llvmlite's library should be mapped once Numba has loaded a kernel"
    assert all(stop > start for start, stop in ranges)
    before = _rss_file_kib()
    if not release_compiler_pages():
        pytest.skip("this kernel refuses madvise(MADV_PAGEOUT) (Linux < 5.4 or a sandbox)")
    after = _rss_file_kib()
    assert after < before
    # The kernel runs as before, and compiling something new still works.
    np.testing.assert_array_equal(thread_seeds(7, 2, 3), before_seeds)
    from numba import njit

    @njit
    def add_one(x):
        return x + 1

    assert add_one(41) == 42

