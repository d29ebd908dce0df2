"""Build hook for the one optional C extension; everything else is configured in pyproject.toml.

``shoal.privacy._windowfeat`` is the privacy model's per-token feature loop, compiled. It is optional:
where no C compiler is available the build goes on without it and the same loop runs in Python
(``shoal.privacy.features._window_features_py``; the same feature ids, a few times slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("shoal.privacy._windowfeat", ["src/shoal/privacy/_windowfeat.c"], optional=True)])
