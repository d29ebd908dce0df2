"""Build hook for the optional C extensions; everything else is configured in pyproject.toml.

``shoal.privacy._windowfeat`` is the privacy model's per-token feature loop, compiled, and
``shoal.privacy._nametok`` the name detector's word list. Both are optional: where no C compiler is
available the build goes on without them and the same loops run in Python
(``shoal.privacy.features._window_features_py``, ``shoal.privacy.names._tokens_py``; the same
results, a few times slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("shoal.privacy._windowfeat", ["src/shoal/privacy/_windowfeat.c"], optional=True),
    Extension("shoal.privacy._nametok", ["src/shoal/privacy/_nametok.c"], optional=True),
])
