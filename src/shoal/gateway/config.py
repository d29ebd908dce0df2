"""The `gateway:` section of shoal.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class GatewayConfig(BaseModel):
    """Settings of shoal.gateway. Unknown keys are errors (they name the key and the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
