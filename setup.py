"""Build hook for the optional C extensions; everything else is configured in pyproject.toml.

``shoal.privacy._windowfeat`` is the privacy model's per-token feature loop, compiled,
``shoal.privacy._nametok`` the name detector's word list and ``shoal.privacy._unitscore`` the
sensitivity model's scoring, ``shoal.privacy._wordscan`` the three word patterns (names, model,
topics) as one pass each. All are optional: where no C compiler is available the build goes on
without them and the same work runs in Python (``shoal.privacy.features._window_features_py``,
``shoal.privacy.names._tokens_py``, the patterns in ``re``, numpy in ``SensitivityModel.score``; the same results, a few
times slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("shoal.privacy._windowfeat", ["src/shoal/privacy/_windowfeat.c"], optional=True),
    Extension("shoal.privacy._nametok", ["src/shoal/privacy/_nametok.c"], optional=True),
    Extension("shoal.privacy._unitscore", ["src/shoal/privacy/_unitscore.c"], optional=True),
    Extension("shoal.privacy._wordscan", ["src/shoal/privacy/_wordscan.c"], optional=True),
])
