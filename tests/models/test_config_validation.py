"""shoal.yaml validation: every error names the file, the dotted key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoal import errors
from shoal.config import load_settings, parse_config
from shoal.wiring import catalog as build_catalog


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shoal.yaml"
    path.write_text(text)
    return path


def test_unknown_model_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, "models:\n  m:\n    provider: openai\n    base_uri: http://127.0.0.1:8000/v1\n")
    with pytest.raises(errors.ConfigError) as info:
        load_settings(path)
    text = str(info.value)
    assert str(path) in text and "models.m.base_uri" in text
    assert "unknown key 'base_uri'" in text and "did you mean 'base_url'?" in text
    assert info.value.key == "models.m.base_uri"


def test_unknown_top_level_key_suggests_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match=r"did you mean 'models'\?"):
        load_settings(write(tmp_path, "modles: {}\n"))


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, "models:\n  m:\n    provider: openai\n    timeout: fast\n")
    with pytest.raises(errors.ConfigError) as info:
        load_settings(path)
    text = str(info.value)
    assert str(path) in text and "models.m.timeout" in text and "'fast'" in text


def test_invalid_choice_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match=r"models\.m\.locality"):
        load_settings(write(tmp_path, "models:\n  m:\n    locality: on_prem\n"))


def test_literal_api_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError) as info:
        load_settings(write(tmp_path, "models:\n  m:\n    provider: openai\n    api_key: sk-abc123\n"))
    assert "env:OPENAI_API_KEY" in str(info.value) and "models.m.api_key" in str(info.value)
    assert "sk-abc123" not in str(info.value)


def test_missing_env_var_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOAL_TEST_MISSING_KEY", raising=False)
    path = write(tmp_path, "models:\n  m:\n    provider: openai\n    model: gpt-4o-mini\n"
                           "    api_key: env:SHOAL_TEST_MISSING_KEY\n")
    catalog = build_catalog(load_settings(path), check=False)
    assert catalog.spec("m", resolve_secret=False).api_key_ref == "env:SHOAL_TEST_MISSING_KEY"
    with pytest.raises(errors.MissingSecretError) as info:
        catalog.chat_model("m")
    text = str(info.value)
    assert info.value.env_var == "SHOAL_TEST_MISSING_KEY"
    assert "SHOAL_TEST_MISSING_KEY" in text and str(path) in text and "models.m.api_key" in text
    assert "export SHOAL_TEST_MISSING_KEY=" in text


def test_secret_file_reference(tmp_path: Path) -> None:
    (tmp_path / "key.txt").write_text("sk-from-file\n")
    path = write(tmp_path, "models:\n  m:\n    provider: openai\n    model: x\n"
                           "    base_url: http://127.0.0.1:1/v1\n    api_key: file:key.txt\n")
    spec = build_catalog(load_settings(path), check=False).spec("m")
    assert spec.api_key == "sk-from-file" and "sk-from-file" not in repr(spec)


def test_unknown_provider_lists_installed_ones(tmp_path: Path) -> None:
    catalog = build_catalog(load_settings(write(tmp_path, "models:\n  m:\n    provider: opneai\n")), check=False)
    with pytest.raises(errors.ConfigError) as info:
        catalog.chat_model("m")
    text = str(info.value)
    assert "models.m.provider" in text and "'opneai'" in text
    for name in ("anthropic", "gemini", "openai", "testing"):
        assert name in text


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "models:\n\tm: {}\n")
    with pytest.raises(errors.ConfigError) as info:
        load_settings(path)
    assert str(path) in str(info.value) and "line 2" in str(info.value)


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(errors.ConfigError, match="mapping"):
        parse_config(["a", "b"], "x.yaml")


def test_a_provider_typo_stops_the_wiring_naming_key_file_and_fix(tmp_path: Path) -> None:
    from shoal.wiring import catalog as wired_catalog

    path = write(tmp_path, "models:\n  gpt:\n    provider: opneai\n    model: gpt-4o-mini\n")
    with pytest.raises(errors.ConfigError) as info:
        wired_catalog(load_settings(path))
    text = str(info.value)
    assert str(path) in text and "models.gpt.provider" in text and "did you mean 'openai'?" in text


@pytest.mark.parametrize("provider, key, suggestion", [("llama_cpp", "n_thread", "n_threads"),
                                                       ("openai", "extra_bdy", "extra_body"),
                                                       ("testing", "responsez", "responses")])
def test_unknown_option_keys_are_errors(tmp_path: Path, provider: str, key: str, suggestion: str) -> None:
    from shoal.wiring import catalog as wired_catalog

    path = write(tmp_path, f"models:\n  m:\n    provider: {provider}\n    base_url: http://127.0.0.1:9/v1\n"
                           f"    options: {{{key}: 2}}\n")
    with pytest.raises(errors.ConfigError) as info:
        wired_catalog(load_settings(path))
    text = str(info.value)
    assert f"models.m.options.{key}" in text and f"did you mean {suggestion!r}?" in text and str(path) in text
