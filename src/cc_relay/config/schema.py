"""The configuration model: frozen pydantic models, checked when they are built.

Unknown keys are errors everywhere (``extra="forbid"``) so that a typo never silently
turns into a default. Defaults are named constants beside the model that uses them.
"""

from __future__ import annotations

import fnmatch
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

DEFAULT_LISTEN = "127.0.0.1:8787"
#: Where the management service's gRPC listener binds (``admin.grpc_listen``).
DEFAULT_GRPC_LISTEN = "127.0.0.1:8788"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_FIRST_BYTE_TIMEOUT = 600.0
DEFAULT_IDLE_TIMEOUT = 600.0
DEFAULT_RETRY_ATTEMPTS = 6
DEFAULT_RETRY_BUDGET = 120.0
DEFAULT_PING_INTERVAL = 10.0
#: Circuit breakers (``cc_relay.health`` takes its defaults from here): five consecutive
#: failures open a circuit for thirty seconds, then one trial request decides.
DEFAULT_FAILURE_THRESHOLD = 5
DEFAULT_COOLDOWN = 30.0
DEFAULT_HALF_OPEN_PROBES = 1
#: Seconds between the prober's rounds over the open circuits.
DEFAULT_PROBE_INTERVAL = 15.0
DEFAULT_SHUTDOWN_GRACE = 10.0
DEFAULT_MAX_CONNECTIONS = 1024
DEFAULT_HEAD_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 60.0
#: 64 KiB/s: a 32 MiB body may take 60 s + 512 s, a trickle of a byte a second cannot.
DEFAULT_BODY_MIN_RATE = 64 * 1024
DEFAULT_KEEPALIVE_TIMEOUT = 75.0
#: Days of usage rows the ledger keeps; older rows are pruned once a day.
DEFAULT_RETENTION_DAYS = 90
#: The time zone budget periods (days, months) are aligned to.
DEFAULT_LEDGER_TIMEZONE = "UTC"

ProviderType = Literal["anthropic", "zai", "ollama", "bedrock", "vertex", "azure", "openai"]
StrategyName = Literal[
    "simple-shuffle",
    "round-robin",
    "weighted-round-robin",
    "failover",
    "least-loaded",
    "cost-based",
    "latency-based",
    "model-based",
]
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


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ListenAddress(_Frozen):
    host: str
    port: int


def parse_listen(value: str) -> ListenAddress:
    """Split ``host:port`` (``[::1]:8787`` for IPv6) and check the port."""
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise ValueError(f"expected 'host:port', got {value!r}")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"port must be a number from 0 to 65535, got {port!r}")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise ValueError(f"put an IPv6 address in brackets, as in '[::1]:8787', got {value!r}")
    return ListenAddress(host=host.strip("[]"), port=int(port))


def _non_empty_relay_key(key: str) -> str:
    # Dropping an empty entry (an unset ${VAR}) could leave no key at all, which would
    # turn authentication off without a word: refuse to start instead.
    if not key:
        raise ValueError(
            "relay key is empty, and leaving it out could turn authentication off; "
            "give it a value, or remove the entry"
        )
    return key


class ServerTimeouts(_Frozen):
    """How long a client may take to send a request, or keep a connection idle.

    A body gets ``body`` seconds plus one second per ``body_min_rate`` bytes received, so
    a large body on a slow link still arrives while a trickle is cut off.
    """

    head: float = Field(DEFAULT_HEAD_TIMEOUT, gt=0)
    """Seconds from a connection's (or a request's) first byte to the end of its headers."""
    body: float = Field(DEFAULT_BODY_TIMEOUT, gt=0)
    """Seconds a request body may take, before the time its size earns at ``body_min_rate``."""
    body_min_rate: int = Field(DEFAULT_BODY_MIN_RATE, gt=0)
    """Bytes per second a body must keep up, on average, past the first ``body`` seconds."""
    keepalive: float = Field(DEFAULT_KEEPALIVE_TIMEOUT, gt=0)
    """Seconds an idle keep-alive connection stays open between requests."""


class Budget(_Frozen):
    """Spending limits in USD per calendar day and month (``ledger.timezone``)."""

    daily_usd: float | None = Field(None, gt=0)
    monthly_usd: float | None = Field(None, gt=0)


class ClientKey(_Frozen):
    """A relay key a client presents, with an optional name and budget."""

    key: Annotated[str, AfterValidator(_non_empty_relay_key)] = Field(repr=False)
    name: str | None = None
    """Shown in usage reports and budget refusals instead of the key's fingerprint."""
    budget: Budget | None = None


class ServerConfig(_Frozen):
    listen: str = DEFAULT_LISTEN
    """``host:port`` to bind; port 0 picks a free one."""
    auth: tuple[ClientKey, ...] = Field((), repr=False)
    """Relay API keys clients must present; none means open (refused off loopback).
    Each is a string or ``{key, name, budget}``."""
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, gt=0)
    watch_config: bool = True
    """Reload when the config file changes; SIGHUP and ``cc-relay reload`` work anyway."""
    allowed_hosts: tuple[str, ...] = ()
    """``Host`` names the relay answers to besides loopback and its listen host (DNS
    rebinding guard); ``"*"`` allows any."""
    allowed_origins: tuple[str, ...] = ()
    """Browser origins (``https://app.example``) allowed to call the relay; ``"*"`` any."""
    shutdown_grace: float = Field(DEFAULT_SHUTDOWN_GRACE, ge=0)
    """Seconds in-flight requests get to finish on SIGTERM before streams are ended."""
    max_connections: int = Field(DEFAULT_MAX_CONNECTIONS, gt=0)
    """Open client connections at most; past it, requests get 503 ``overloaded_error``."""
    timeouts: ServerTimeouts = ServerTimeouts()

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        parse_listen(value)
        return value

    @field_validator("auth", mode="before")
    @classmethod
    def _auth_as_objects(cls, value: object) -> object:
        # A bare string is shorthand for {key: "..."}.
        if isinstance(value, (list, tuple)):
            return [{"key": item} if isinstance(item, str) else item for item in value]
        return value

    @property
    def auth_keys(self) -> tuple[str, ...]:
        """The relay keys alone, in config order."""
        return tuple(client.key for client in self.auth)

    @property
    def address(self) -> ListenAddress:
        return parse_listen(self.listen)


class AdminConfig(_Frozen):
    """The management service: gRPC on its own port, JSON and /metrics on the relay's."""

    keys: tuple[Annotated[str, AfterValidator(_non_empty_relay_key)], ...] = Field((), repr=False)
    """Admin bearer tokens (not the client keys of ``server.auth``); none means the
    admin surface answers loopback clients only."""
    grpc_listen: str | None = DEFAULT_GRPC_LISTEN
    """``host:port`` for gRPC; port 0 picks a free one; null turns the listener off."""
    metrics: bool = True
    """Count Prometheus metrics and serve them at ``GET /metrics``."""

    @field_validator("grpc_listen")
    @classmethod
    def _check_listen(cls, value: str | None) -> str | None:
        if value is not None:
            parse_listen(value)
        return value

    @property
    def grpc_address(self) -> ListenAddress | None:
        return None if self.grpc_listen is None else parse_listen(self.grpc_listen)


class LoggingConfig(_Frozen):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["console", "json"] = "console"
    debug_bodies: bool = False
    """Log request and response bodies (secrets redacted); ``--debug`` turns it on."""


class RetryConfig(_Frozen):
    max_attempts: int = Field(DEFAULT_RETRY_ATTEMPTS, ge=1)
    """Attempts per request before the first byte, across keys and providers."""
    budget: float = Field(DEFAULT_RETRY_BUDGET, gt=0)
    """Seconds a request may spend on failed attempts before the relay gives up."""


class RoutingConfig(_Frozen):
    strategy: StrategyName = "simple-shuffle"
    model_routes: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """model-based: model pattern -> provider names in order; ``*`` is the default."""
    max_cost_per_million_tokens: float | None = Field(None, gt=0)
    """cost-based: leave out providers whose input or output price is above this."""
    session_affinity: bool = True
    """Keep a Claude Code session on one provider and key while healthy (prompt cache)."""
    queue_timeout: float = Field(0.0, ge=0)
    """Seconds a request may wait for a rate-limited key to free up; 0 answers 429."""
    ping_interval: float = Field(DEFAULT_PING_INTERVAL, gt=0)
    """Seconds between ``ping`` events to a streaming client that is kept waiting."""
    retry: RetryConfig = RetryConfig()
    debug: bool = False
    """Add x-cc-relay-* response headers saying which provider and key answered."""
    prefix_non_claude_models: bool = False
    """Also list non-Claude models as ``anthropic/<provider>/<model>``, the only form
    Claude Code's model picker keeps; such ids are mapped back on the way in."""


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


def _check_zone(value: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'UTC'") from None
    return value


class LedgerConfig(_Frozen):
    """The usage and cost ledger (SQLite); see ``cc_relay.ledger``."""

    enabled: bool = True
    path: str | None = None
    """The database file; default ``$XDG_DATA_HOME/cc-relay/usage.db``."""
    retention_days: int = Field(DEFAULT_RETENTION_DAYS, ge=1)
    timezone: Annotated[str, AfterValidator(_check_zone)] = DEFAULT_LEDGER_TIMEZONE
    """Budget days and months begin at midnight in this zone."""


DEFAULT_STATE_URL = "redis://127.0.0.1:6379/0"
DEFAULT_STATE_PREFIX = "cc-relay"


class StateConfig(_Frozen):
    """Where state shared by replicas lives; see ``cc_relay.state``. Read at start only."""

    backend: Literal["memory", "redis"] = "memory"
    """``memory``: this process alone (the default). ``redis``: shared by every relay
    pointing at the same server and prefix."""
    url: str = DEFAULT_STATE_URL
    prefix: str = Field(DEFAULT_STATE_PREFIX, min_length=1)
    """Every Redis key the relay writes starts with ``<prefix>:``."""


class RelayConfig(_Frozen):
    server: ServerConfig = ServerConfig()
    admin: AdminConfig = AdminConfig()
    logging: LoggingConfig = LoggingConfig()
    routing: RoutingConfig = RoutingConfig()
    aliases: dict[str, str] = Field(default_factory=dict)
    """Model names clients may use (exact, or globs such as ``claude-haiku-*``) -> the
    model to serve, optionally provider-qualified (``zai/glm-4.5-air``)."""
    providers: tuple[ProviderConfig, ...] = ()
    ledger: LedgerConfig = LedgerConfig()
    state: StateConfig = StateConfig()

    def provider(self, name: str) -> ProviderConfig | None:
        return next((p for p in self.providers if p.name == name), None)

    @field_validator("providers")
    @classmethod
    def _check_providers(cls, value: tuple[ProviderConfig, ...]) -> tuple[ProviderConfig, ...]:
        names = [p.name for p in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"provider names must be unique; repeated: {', '.join(dupes)}")
        if value and not any(p.enabled for p in value):
            raise ValueError("every provider is disabled; enable at least one")
        return value
