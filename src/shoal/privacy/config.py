"""The `privacy:` section of shoal.yaml.

Example::

    privacy:
      disabled_entities: [IP_ADDRESS]        # or `entities: [...]` to list exactly the ones wanted
      levels: {CREDENTIAL: restricted, topic:m_and_a: restricted}
      model: {path: ~/.shoal/privacy-model.npz}   # written by `shoal privacy train --data labelled.jsonl`
      organisation:
        terms: [Project Bluebird, Falcon-2]
        customers: [Hartwell Pharma, Castellan Retail]
        domains: [corp.example.com]
      topics:
        remove: [health_and_leave]
        add:
          clinical_trials:
            examples: ["the interim readout of trial NX-12 shows a 30% drop in efficacy"]
        extra_examples:
          compensation: ["how much equity is Priya getting in the refresh"]
        extra_negatives: ["what is a typical vesting schedule?"]
      redact:
        placeholder: "[{type}_{n}]"
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shoal.privacy.types import LEVELS, Level

ENTITY_TYPES: tuple[str, ...] = (
    "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "US_BANK_ROUTING", "US_BANK_NUMBER",
    "IP_ADDRESS", "STREET_ADDRESS", "DATE_OF_BIRTH", "CREDENTIAL", "US_DRIVER_LICENSE", "NATIONAL_ID", "PERSON",
)
"""Every entity type the scanner can report."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TopicSpec(_Strict):
    """A topic added by the user: confidential examples (specific requests) in the user's words."""

    examples: list[str] = Field(min_length=3, description="at least three confidential requests on the topic")
    terms: list[str] = Field(default_factory=list, description="words and word starts typical of the topic")
    level: Level | None = None


class TopicsConfig(_Strict):
    enabled: bool = True
    remove: list[str] = Field(default_factory=list, description="built-in topics to switch off")
    add: dict[str, TopicSpec] = Field(default_factory=dict, description="new topics with their examples")
    extra_examples: dict[str, list[str]] = Field(default_factory=dict,
                                                 description="more confidential examples for existing topics")
    extra_negatives: list[str] = Field(default_factory=list,
                                       description="requests that must NOT count as confidential")
    threshold: float = Field(default=0.5, gt=0, lt=1, description="topic probability needed")
    specificity_threshold: float = Field(default=0.5, ge=0, le=1,
                                         description="how specific (our people, numbers, dates) a request must be")


class RedactConfig(_Strict):
    placeholder: str = Field(default="[{type}_{n}]", description="format of a placeholder; {type} and {n}")
    entities: list[str] | None = Field(default=None, description="types to pseudonymise; default: all detected")

    @field_validator("placeholder")
    @classmethod
    def _has_fields(cls, value: str) -> str:
        if "{type}" not in value or "{n}" not in value:
            raise ValueError("placeholder must contain {type} and {n}, e.g. '[{type}_{n}]'")
        return value


class ModelConfig(_Strict):
    """The learned sensitivity model (``shoal.privacy.model``)."""

    enabled: bool = True
    path: str | None = Field(default=None, description="model written by `shoal privacy train`; default: the shipped one")
    threshold: float | None = Field(default=None, gt=0, lt=1,
                                    description="probability at which a request is sensitive; default: the model's own")
    topic_floor: float = Field(default=0.1, ge=0, le=1, description=(
        "a built-in confidential topic (the topic model: subject and specificity) makes a request sensitive "
        "when the model gives it at least this probability; 1 leaves topics as labels only"))
    semantic: bool = Field(default=True, description=(
        "refine the model with the semantic stage (static word-piece vectors distilled from MiniLM, shipped) "
        "where it is unsure; ~0.1 ms where it runs. It refines the shipped model only: its stacker was fitted "
        "on that model's probabilities, so a model of your own (path) decides alone, at its own threshold"))
    semantic_windows: int = Field(default=1, ge=1, le=64, description=(
        "most scan windows (8 KB each) the semantic stage reads per request: bounds its cost on long prompts"))
    level: Level = "confidential"


class OrganisationConfig(_Strict):
    """Words that make a request confidential in this organisation, whatever else it says."""

    terms: list[str] = Field(default_factory=list, description="project code names and other internal terms")
    customers: list[str] = Field(default_factory=list, description="customer names")
    domains: list[str] = Field(default_factory=list, description="internal domains, e.g. corp.example.com")
    level: Level = "confidential"

    @field_validator("terms", "customers", "domains")
    @classmethod
    def _not_blank(cls, value: list[str]) -> list[str]:
        for item in value:
            if len(item.strip()) < 2:
                raise ValueError(f"{item!r} is too short to match reliably (at least 2 characters)")
        return value


class PrivacyConfig(_Strict):
    """Settings of shoal.privacy. Unknown keys are errors (they name the key and the file)."""

    enabled: bool = True
    entities: list[str] | None = Field(default=None, description="entity types to detect; default: all")
    disabled_entities: list[str] = Field(default_factory=list)
    min_score: float = Field(default=0.5, ge=0, le=1, description="drop detections scored below this")
    pii_level: Level = "confidential"
    topic_level: Level = "confidential"
    levels: dict[str, Level] = Field(
        default_factory=dict,
        description="level per finding: an entity type (EMAIL_ADDRESS) or topic:<name> → level")
    model: ModelConfig = Field(default_factory=lambda: ModelConfig())
    organisation: OrganisationConfig = Field(default_factory=lambda: OrganisationConfig())
    topics: TopicsConfig = Field(default_factory=TopicsConfig)
    redact: RedactConfig = Field(default_factory=RedactConfig)

    @field_validator("entities", "disabled_entities")
    @classmethod
    def _known_types(cls, value: list[str] | None) -> list[str] | None:
        for name in value or ():
            if name not in ENTITY_TYPES:
                raise ValueError(f"unknown entity type {name!r}; known: {', '.join(ENTITY_TYPES)}")
        return value

    @field_validator("levels")
    @classmethod
    def _known_keys(cls, value: dict[str, Level]) -> dict[str, Level]:
        for key in value:
            if key not in ENTITY_TYPES and not key.startswith("topic:"):
                raise ValueError(f"levels key {key!r} is neither an entity type ({', '.join(ENTITY_TYPES)}) "
                                 "nor topic:<name>")
        return value

    def enabled_entities(self) -> frozenset[str]:
        chosen = set(self.entities if self.entities is not None else ENTITY_TYPES)
        return frozenset(chosen - set(self.disabled_entities))


__all__ = ["ENTITY_TYPES", "LEVELS", "ModelConfig", "OrganisationConfig", "PrivacyConfig", "RedactConfig", "TopicSpec", "TopicsConfig"]
