"""The provider half of the configuration: one upstream, its keys, limits and prices.

Defaults are named constants beside the models that use them; the circuit and probe
defaults are also what ``cc_relay.health`` uses on its own.
"""

from __future__ import annotations

import fnmatch
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from cc_relay.config._base import Frozen as _Frozen

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_FIRST_BYTE_TIMEOUT = 600.0
DEFAULT_IDLE_TIMEOUT = 600.0
#: Circuit breakers (``cc_relay.health`` takes its defaults from here): five consecutive
#: failures open a circuit for thirty seconds, then one trial request decides.
DEFAULT_FAILURE_THRESHOLD = 5
DEFAULT_COOLDOWN = 30.0
DEFAULT_HALF_OPEN_PROBES = 1
#: Seconds between the prober's rounds over the open circuits.
DEFAULT_PROBE_INTERVAL = 15.0
ProviderType = Literal["anthropic", "zai", "ollama", "bedrock", "vertex", "azure", "openai"]
KeySelection = Literal["least-loaded", "round-robin", "random", "weighted"]

#: Where each provider type lives when ``base_url`` is not given; ``{region}`` and
#: ``{resource}`` come from the provider's own keys.
DEFAULT_BASE_URLS: dict[str, str] = {
    "anthropic": "https://api.anthropic.com",
    "zai": "https://api.z.ai/api/anthropic",
    "ollama": "http://localhost:11434",
    "bedrock": "https://bedrock-runtime.{region}.amazonaws.com",
    "vertex": "https://{region}-aiplatform.googleapis.com",
    "azure": "https://{resource}.services.ai.azure.com/anthropic",
}
#: Vertex AI's ``global`` region has a host without a region prefix.
VERTEX_GLOBAL_URL = "https://aiplatform.googleapis.com"

#: Model patterns a provider serves when its ``models`` list is empty.
DEFAULT_MODEL_PATTERNS: dict[str, tuple[str, ...]] = {
    "anthropic": ("claude-*",),
    "zai": ("glm-*",),
    "ollama": (),
    "bedrock": ("claude-*", "anthropic.*", "*.anthropic.*"),
    "vertex": ("claude-*",),
    "azure": ("claude-*",),
    "openai": (),
}

#: Keys each provider type cannot do without (besides name and type).
_REQUIRED: dict[str, tuple[tuple[str, ...], str]] = {
    "bedrock": (("region",), "region"),
    "vertex": (("project_id",), "project_id"),
    "azure": (("resource", "base_url"), "resource or base_url"),
    "openai": (("base_url",), "base_url"),
}


class Budget(_Frozen):
    """Spending limits in USD per calendar day and month (``ledger.timezone``)."""

    daily_usd: float | None = Field(None, gt=0)
    monthly_usd: float | None = Field(None, gt=0)


class KeyConfig(_Frozen):
    key: str = Field(repr=False)
    rpm_limit: int | None = Field(None, gt=0)
    tpm_limit: int | None = Field(None, gt=0)
    itpm_limit: int | None = Field(None, gt=0)
    otpm_limit: int | None = Field(None, gt=0)
    weight: float = Field(1.0, gt=0)
    priority: int = 0
    budget: Budget | None = None
    """When spent, the key is skipped like a rate-limited one until the period ends."""


class TimeoutConfig(_Frozen):
    connect: float = Field(DEFAULT_CONNECT_TIMEOUT, gt=0)
    first_byte: float = Field(DEFAULT_FIRST_BYTE_TIMEOUT, gt=0)
    """Seconds from sending the request to the first response byte."""
    idle: float = Field(DEFAULT_IDLE_TIMEOUT, gt=0)
    """Seconds a started stream may go without a byte (upstream pings count)."""


class Pricing(_Frozen):
    """USD per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float | None = Field(None, ge=0)
    cache_write: float | None = Field(None, ge=0)


class CircuitConfig(_Frozen):
    failure_threshold: int = Field(DEFAULT_FAILURE_THRESHOLD, ge=1)
    cooldown: float = Field(DEFAULT_COOLDOWN, gt=0)
    """Seconds an open circuit waits before letting a probe request through."""
    half_open_probes: int = Field(DEFAULT_HALF_OPEN_PROBES, ge=1)


class ProbeConfig(_Frozen):
    enabled: bool = True
    interval: float = Field(DEFAULT_PROBE_INTERVAL, gt=0)
    kind: Literal["count_tokens", "message"] = "message"
    """A 1-token message works everywhere; count_tokens costs nothing where it exists."""
    model: str | None = None
    """Model to probe with; default: the first model the provider lists."""


class ProviderConfig(_Frozen):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    type: ProviderType
    base_url: str | None = None
    keys: tuple[KeyConfig, ...] = ()
    models: tuple[str, ...] = ()
    """Model ids this provider serves; ``*`` and ``?`` make a pattern."""
    model_map: dict[str, str] = Field(default_factory=dict)
    """Client model id -> upstream model id."""
    weight: float = Field(1.0, gt=0)
    priority: int = 0
    enabled: bool = True
    timeouts: TimeoutConfig = TimeoutConfig()
    key_selection: KeySelection = "least-loaded"
    pricing: Pricing | None = None
    model_pricing: dict[str, Pricing] = Field(default_factory=dict)
    """Per-model prices (ids or globs), over ``pricing``."""
    circuit: CircuitConfig = CircuitConfig()
    health_probe: ProbeConfig = ProbeConfig()

    # -- cloud providers ---------------------------------------------------------------
    region: str | None = None
    """Bedrock: AWS region. Vertex: location, ``global`` included (default us-east5)."""
    project_id: str | None = None
    """Vertex: Google Cloud project."""
    credentials_file: str | None = None
    """Vertex: service-account JSON; default: Application Default Credentials."""
    resource: str | None = None
    """Azure AI Foundry: resource name, for ``https://{resource}.services.ai.azure.com``."""
    entra: bool = False
    """Azure: authenticate with Entra ID tokens (azure-identity) instead of keys."""
    aws_profile: str | None = None
    aws_access_key_id: str | None = Field(None, repr=False)
    aws_secret_access_key: str | None = Field(None, repr=False)
    aws_session_token: str | None = Field(None, repr=False)

    @model_validator(mode="after")
    def _check_type_keys(self) -> ProviderConfig:
        needed = _REQUIRED.get(self.type)
        if needed and not any(getattr(self, key) for key in needed[0]):
            raise ValueError(f"provider type {self.type!r} needs {needed[1]}")
        return self

    @field_validator("keys", mode="before")
    @classmethod
    def _keys_as_objects(cls, value: object) -> object:
        # Accept a bare string as shorthand for {key: "..."}.
        if isinstance(value, (list, tuple)):
            return [{"key": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("keys")
    @classmethod
    def _drop_empty_keys(cls, value: tuple[KeyConfig, ...]) -> tuple[KeyConfig, ...]:
        return tuple(key for key in value if key.key)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @property
    def url(self) -> str:
        if self.base_url:
            return self.base_url
        if self.type == "vertex" and self.vertex_region == "global":
            return VERTEX_GLOBAL_URL
        region = self.vertex_region if self.type == "vertex" else self.region
        return DEFAULT_BASE_URLS[self.type].format(region=region, resource=self.resource)

    @property
    def connection(self) -> tuple[object, ...]:
        """What the provider's open session and credentials depend on. A reload that
        leaves it unchanged keeps the provider object: its session, circuit, latency
        window, discovered models and tokens."""
        return (
            self.type, self.url, self.enabled, self.region, self.project_id,
            self.credentials_file, self.resource, self.entra, self.aws_profile,
            self.aws_access_key_id, self.aws_secret_access_key, self.aws_session_token,
            self.timeouts.connect,
        )  # fmt: skip

    @property
    def vertex_region(self) -> str:
        return self.region or "us-east5"

    def price(self, model: str) -> Pricing | None:
        for pattern, price in self.model_pricing.items():
            if model_matches(model, (pattern,)):
                return price
        return self.pricing

    @property
    def model_patterns(self) -> tuple[str, ...]:
        return self.models or DEFAULT_MODEL_PATTERNS[self.type]

    @property
    def listed_models(self) -> tuple[str, ...]:
        """Exact model ids named in config (patterns excluded), in config order."""
        exact = [m for m in self.models if not is_pattern(m)]
        return tuple(dict.fromkeys([*exact, *self.model_map]))


def is_pattern(model: str) -> bool:
    """A model id with glob characters (``*``, ``?``, ``[``) is a pattern."""
    return any(ch in model for ch in "*?[")


def model_matches(model: str, patterns: tuple[str, ...]) -> bool:
    """True if ``model`` is one of ``patterns`` or matches one of its globs."""
    return any(model == p or (is_pattern(p) and fnmatch.fnmatchcase(model, p)) for p in patterns)
