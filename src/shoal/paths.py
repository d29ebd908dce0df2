"""Where a project's files are: the explicit paths every component receives instead of ``Settings``.

The wiring reads ``shoal.yaml`` once and hands each component its own config section plus one
``Paths``: the folder relative paths are resolved against (the config file's folder), the state
directory, the name of the config for error messages, and the resolver for ``env:`` / ``file:``
secret references. Nothing below the wiring sees the whole config.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shoal.errors import MissingSecretError


@dataclass(frozen=True, slots=True)
class Paths:
    """The folders a component resolves its configured paths against.

    ``base_dir`` is the config file's folder (the current folder without one); ``data_dir`` is the
    state directory (indexes, logs, caches); ``source`` names the config file in error messages.
    """

    base_dir: Path
    data_dir: Path
    source: str = "(built-in defaults)"

    @classmethod
    def at(cls, base_dir: str | Path, data_dir: str | Path = ".shoal", source: str = "(built-in defaults)") -> Paths:
        """Paths rooted at ``base_dir``; a relative ``data_dir`` lies under it."""
        base = Path(base_dir)
        data = Path(os.path.expanduser(str(data_dir)))
        return cls(base, data if data.is_absolute() else base / data, source)

    def resolve(self, value: str | Path) -> Path:
        """``value`` with ``~`` expanded; a relative path is relative to ``base_dir``."""
        p = Path(os.path.expanduser(str(value)))
        return p if p.is_absolute() else self.base_dir / p

    def under_data(self, value: str | Path | None, default: str | Path) -> Path:
        """A configured location (relative to ``base_dir``), or ``default`` under ``data_dir``."""
        return self.resolve(value) if value else self.data_dir / default

    def secret(self, ref: str, *, key: str) -> str:
        """Resolve ``env:NAME`` / ``file:PATH``. The value is returned, never included in errors."""
        kind, _, target = ref.partition(":")
        if kind == "env":
            value = os.environ.get(target)
            if not value:
                raise MissingSecretError(
                    f"environment variable {target} is not set", env_var=target, file=self.source, key=key,
                    hint=f"export {target}=... (or point {key} at another env:/file: reference)")
            return value
        path = self.resolve(target)
        try:
            value = path.read_text().strip()
        except OSError as exc:
            raise MissingSecretError(f"cannot read secret file {path}: {exc.strerror}", file=self.source,
                                     key=key, hint="create the file or change the reference") from None
        if not value:
            raise MissingSecretError(f"secret file {path} is empty", file=self.source, key=key)
        return value
