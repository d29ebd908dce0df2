"""The `store:` section of shoal.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StoreConfig(BaseModel):
    """Settings of shoal.store. Unknown keys are errors (they name the key and the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
