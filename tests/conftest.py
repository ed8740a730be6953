"""Fixtures shared by test modules."""

import pytest

from symconv.present.document import build_document


@pytest.fixture(scope="session")
def built_document():
    """The whole derivation document, built once: the snapshot and the Coq tests both read it."""
    return build_document()


# The proof cache: never the user's (~/.cache/symconv), and off unless a test turns it on (tests/test_cache.py, with
# symconv.proof.cache.using), so that every other test measures the prover itself. Set when pytest loads this file,
# before any test runs, so the doctests of symconv/ and docs/ and every subprocess inherit it.
def _scratch_cache() -> None:
    import atexit
    import os
    import shutil
    import tempfile

    scratch = tempfile.mkdtemp(prefix="symconv-test-cache-")
    atexit.register(shutil.rmtree, scratch, True)
    os.environ["SYMCONV_CACHE_DIR"] = scratch
    os.environ["SYMCONV_NO_CACHE"] = "1"


_scratch_cache()
