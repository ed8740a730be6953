"""The pages' examples run as doctests; a page that needs an optional extra is skipped, with the reason, without it."""

import importlib.util

import pytest

#: page -> the extras its examples import
NEEDS = {"your-model.md": ("torch", "onnx", "onnxruntime")}


def pytest_runtest_setup(item):
    for page, modules in NEEDS.items():
        if item.path.name == page:
            missing = [name for name in modules if importlib.util.find_spec(name) is None]
            if missing:
                pytest.skip(f"{page} needs {', '.join(missing)}: pip install 'symconv[torch,onnx]'")
