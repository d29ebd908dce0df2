"""The `privacy:` section of shoal.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PrivacyConfig(BaseModel):
    """Settings of shoal.privacy. Unknown keys are errors (they name the key and the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
