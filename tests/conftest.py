"""Fixtures shared by test modules."""

import pytest

from symconv.present.document import build_document


@pytest.fixture(scope="session")
def built_document():
    """The whole derivation document, built once: the snapshot and the Coq tests both read it."""
    return build_document()
