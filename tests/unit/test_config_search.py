"""Finding the config file, and what runs when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_relay.config import (
    ConfigError,
    RelayConfig,
    candidate_paths,
    default_config,
    find_config,
    resolve_config,
)

PROVIDER = "providers:\n  - name: {name}\n    type: anthropic\n"


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A cwd and a HOME, both empty, with the process pointed at them."""
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    return {"cwd": cwd, "home": home, "tmp": tmp_path}


def put(path: Path, name: str) -> Path:
    """A valid config whose only provider is called ``name``, so we can tell files apart."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROVIDER.format(name=name), encoding="utf-8")
    return path


def home_config(places: dict[str, Path]) -> Path:
    return places["home"] / ".config" / "cc-relay" / "config.yaml"


def provider_name(explicit: str | Path | None, env: dict[str, str]) -> str:
    return resolve_config(explicit, env).config.providers[0].name


# --- search order ----------------------------------------------------------------------------


def test_find_config_explicit_wins_over_everything(places: dict[str, Path]) -> None:
    explicit = put(places["tmp"] / "explicit.yaml", "explicit")
    from_env = put(places["tmp"] / "env.yaml", "env")
    put(places["cwd"] / "cc-relay.yaml", "cwd")
    put(home_config(places), "home")

    env = {"CC_RELAY_CONFIG": str(from_env)}
    assert find_config(explicit, env) == explicit
    assert provider_name(str(explicit), env) == "explicit"


def test_find_config_env_var_wins_over_cwd_and_home(places: dict[str, Path]) -> None:
    from_env = put(places["tmp"] / "env.yaml", "env")
    put(places["cwd"] / "cc-relay.yaml", "cwd")
    put(home_config(places), "home")

    env = {"CC_RELAY_CONFIG": str(from_env)}
    assert find_config(None, env) == from_env
    assert provider_name(None, env) == "env"


def test_find_config_cwd_wins_over_home(places: dict[str, Path]) -> None:
    put(places["cwd"] / "cc-relay.yaml", "cwd")
    put(home_config(places), "home")

    found = find_config(None, {})
    assert found is not None
    assert found.resolve() == (places["cwd"] / "cc-relay.yaml").resolve()
    assert provider_name(None, {}) == "cwd"


def test_find_config_home_used_last(places: dict[str, Path]) -> None:
    put(home_config(places), "home")

    assert find_config(None, {}) == home_config(places)
    assert provider_name(None, {}) == "home"


def test_find_config_empty_env_var_is_ignored(places: dict[str, Path]) -> None:
    put(home_config(places), "home")

    assert find_config(None, {"CC_RELAY_CONFIG": ""}) == home_config(places)


def test_find_config_nothing_found_returns_none(places: dict[str, Path]) -> None:
    assert find_config(None, {}) is None


def test_find_config_directory_named_like_config_is_skipped(places: dict[str, Path]) -> None:
    (places["cwd"] / "cc-relay.yaml").mkdir()
    put(home_config(places), "home")

    assert find_config(None, {}) == home_config(places)


def test_find_config_missing_explicit_file_is_an_error(places: dict[str, Path]) -> None:
    put(places["cwd"] / "cc-relay.yaml", "cwd")
    missing = places["tmp"] / "nope.yaml"

    with pytest.raises(ConfigError, match="no such config file") as info:
        find_config(missing, {})
    assert str(missing) in str(info.value)


def test_find_config_missing_env_file_is_an_error(places: dict[str, Path]) -> None:
    put(places["cwd"] / "cc-relay.yaml", "cwd")
    missing = places["tmp"] / "nope.yaml"

    with pytest.raises(ConfigError, match="no such config file") as info:
        find_config(None, {"CC_RELAY_CONFIG": str(missing)})
    assert str(missing) in str(info.value)


def test_candidate_paths_lists_search_order(places: dict[str, Path]) -> None:
    assert candidate_paths(None, {}) == [Path("cc-relay.yaml"), home_config(places)]
    assert candidate_paths("x.toml", {"CC_RELAY_CONFIG": "y.yaml"}) == [Path("x.toml")]
    assert candidate_paths(None, {"CC_RELAY_CONFIG": "y.yaml"}) == [Path("y.yaml")]


# --- resolve_config and the defaults ---------------------------------------------------------


def test_resolve_config_without_file_uses_defaults(places: dict[str, Path]) -> None:
    loaded = resolve_config(None, {"ANTHROPIC_API_KEY": "sk-ant-default-0001"})

    assert loaded.path is None and loaded.warnings == ()
    assert loaded.config == default_config({"ANTHROPIC_API_KEY": "sk-ant-default-0001"})


def test_resolve_config_returns_path_and_expands_with_given_env(places: dict[str, Path]) -> None:
    path = places["cwd"] / "cc-relay.yaml"
    path.write_text(PROVIDER.format(name="a") + '    keys: ["${MY_KEY}"]\n', encoding="utf-8")

    loaded = resolve_config(None, {"MY_KEY": "key-from-mapping"})

    assert loaded.path is not None and loaded.path.resolve() == path.resolve()
    assert [k.key for k in loaded.config.providers[0].keys] == ["key-from-mapping"]


def test_resolve_config_file_without_providers_is_an_error(places: dict[str, Path]) -> None:
    path = places["cwd"] / "cc-relay.yaml"
    path.write_text('server:\n  listen: "127.0.0.1:9000"\n', encoding="utf-8")

    with pytest.raises(ConfigError, match="at least one provider") as info:
        resolve_config(None, {})
    assert "cc-relay.yaml" in str(info.value)


def test_resolve_config_empty_file_is_an_error(places: dict[str, Path]) -> None:
    # An empty file is not "use the defaults": it has no providers, so serve refuses it.
    (places["cwd"] / "cc-relay.yaml").write_text("# nothing yet\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="at least one provider"):
        resolve_config(None, {})


def test_default_config_without_key_passes_client_credentials() -> None:
    config = default_config({})

    (provider,) = config.providers
    assert (provider.name, provider.type) == ("anthropic", "anthropic")
    assert provider.keys == ()
    assert provider.url == "https://api.anthropic.com"
    assert provider.enabled


def test_default_config_with_key_uses_it() -> None:
    config = default_config({"ANTHROPIC_API_KEY": "sk-ant-default-0002"})

    (provider,) = config.providers
    assert [k.key for k in provider.keys] == ["sk-ant-default-0002"]


def test_default_config_empty_key_means_no_key() -> None:
    assert default_config({"ANTHROPIC_API_KEY": ""}).providers[0].keys == ()


def test_default_config_other_sections_are_defaults() -> None:
    config = default_config({})

    assert config.server == RelayConfig().server
    assert config.server.listen == "127.0.0.1:8787"
    assert config.server.auth == ()
    assert config.logging == RelayConfig().logging
    assert config.routing.strategy == "simple-shuffle"
