"""The configuration model: frozen pydantic models, checked when they are built.

Unknown keys are errors everywhere (``extra="forbid"``) so that a typo never silently
turns into a default. Defaults are named constants beside the model that uses them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
)

from cc_relay.config._base import Frozen as _Frozen
from cc_relay.config.provider import (
    Budget,
    ProviderConfig,
)

DEFAULT_LISTEN = "127.0.0.1:8787"
#: Where the management service's gRPC listener binds (``admin.grpc_listen``).
DEFAULT_GRPC_LISTEN = "127.0.0.1:8788"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_RETRY_ATTEMPTS = 6
DEFAULT_RETRY_BUDGET = 120.0
DEFAULT_PING_INTERVAL = 10.0
DEFAULT_EXPLORATION = 0.05
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
    exploration: float = Field(DEFAULT_EXPLORATION, ge=0, le=1)
    """latency-based: the chance a request leads with another provider than the fastest,
    so that one which recovered from a slow spell is measured again; 0 never explores."""
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
    replica: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    """This replica's id in fleet views (``--scope``, ListReplicas); default
    ``<hostname>:<pid>``. Give each replica its own."""


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
