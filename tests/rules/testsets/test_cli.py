import json
from pathlib import Path

from click.testing import CliRunner, Result

from cli.testset import testset_group as cli_group
from rules.signing import load_public_key_pem, verify_document

BASE = ["generate", "--rfc", "CAC840428RH1", "--folio", "0501423523"]
EMITIDO = ["--emitido", "2026-03-02T10:00:00"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli_group, list(args))


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_generate_writes_the_round_files(tmp_path: Path, monkeypatch) -> None:
    from core import config

    monkeypatch.setenv("SIA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SIA_STORAGE_DIR", raising=False)
    monkeypatch.delenv("SIA_AVISOS_KEY_FILE", raising=False)
    config.get_settings.cache_clear()
    out = tmp_path / "set"
    result = run(*BASE, "--seed", "s1", "--out", str(out), *EMITIDO)
    assert result.exit_code == 0, result.output
    assert "semilla: s1" in result.output
    assert "respuestas.json" in result.output and "no se envía" in result.output
    names = set(_files(out))
    assert {
        "set-de-pruebas.json",
        "respuestas.json",
        "llave-publica.pem",
        "plantilla-evidencias.xlsx",
    } <= names
    # Signed with the back office's own key, which never lands among the vendor's files.
    assert not any("privada" in name for name in names)
    assert (tmp_path / "var" / "storage" / "llaves" / "llave-privada.pem").exists()
    config.get_settings.cache_clear()
    assert any(name.startswith("avisos/") for name in names)
    test_set = json.loads((out / "set-de-pruebas.json").read_text(encoding="utf-8"))
    assert test_set["semilla"] == "s1" and test_set["ronda"] == 1
    # A time without offset is Mexico City time.
    assert test_set["emitido"] == "2026-03-02T10:00:00-06:00"


def test_same_seed_and_keys_give_identical_files(tmp_path: Path) -> None:
    keys = tmp_path / "llaves"
    for name in ("a", "b"):
        args = ["--seed", "s2", "--out", str(tmp_path / name), "--llaves", str(keys)]
        result = run(*BASE, *args, "--ronda", "3", *EMITIDO)
        assert result.exit_code == 0, result.output
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert not (tmp_path / "a" / "llaves").exists()


def test_avisos_are_signed_with_the_key_pair_in_llaves(tmp_path: Path) -> None:
    keys = tmp_path / "llaves"
    result = run(*BASE, "--seed", "s3", "--out", str(tmp_path / "out"), "--llaves", str(keys))
    assert result.exit_code == 0, result.output
    public_key = load_public_key_pem((keys / "llave-publica.pem").read_bytes())
    assert (tmp_path / "out" / "llave-publica.pem").read_bytes() == (
        keys / "llave-publica.pem"
    ).read_bytes()
    for path in (tmp_path / "out" / "avisos").glob("*.json"):
        assert verify_document(json.loads(path.read_text(encoding="utf-8")), public_key)


def test_without_seed_a_fresh_one_is_used_and_recorded(tmp_path: Path) -> None:
    seeds = []
    for name in ("a", "b"):
        result = run(*BASE, "--out", str(tmp_path / name), *EMITIDO)
        assert result.exit_code == 0, result.output
        test_set = json.loads((tmp_path / name / "set-de-pruebas.json").read_text("utf-8"))
        assert f"semilla: {test_set['semilla']}" in result.output
        seeds.append(test_set["semilla"])
    assert seeds[0] != seeds[1]


def test_default_emitido_is_now_in_mexico_city(tmp_path: Path) -> None:
    result = run(*BASE, "--seed", "s4", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    test_set = json.loads((tmp_path / "set-de-pruebas.json").read_text("utf-8"))
    assert test_set["emitido"].endswith("-06:00")


def test_invalid_rfc_is_refused_in_spanish_with_exit_2(tmp_path: Path) -> None:
    args = ["--folio", "0501423523", "--out", str(tmp_path), *EMITIDO]
    result = run("generate", "--rfc", "CAC840428RH2", *args)
    assert result.exit_code == 2
    assert "RFC «CAC840428RH2» no es válido" in result.output
    assert not (tmp_path / "set-de-pruebas.json").exists()


def test_missing_or_bad_options_are_refused_in_spanish(tmp_path: Path) -> None:
    out = ["--out", str(tmp_path)]
    cases = [
        (["generate", "--folio", "0501423523", *out], "falta la opción --rfc"),
        (["generate", "--rfc", "CAC840428RH1", *out], "falta la opción --folio"),
        ([*BASE], "falta la opción --out"),
        ([*BASE, *out, "--folio", "123"], "10 dígitos"),
        ([*BASE, *out, "--ronda", "0"], "ronda"),
        ([*BASE, *out, "--emitido", "ayer"], "ISO 8601"),
        ([*BASE, *out, "--emitido", "2025-05-01T10:00:00"], "reforma"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
