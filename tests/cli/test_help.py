import click
from click.testing import CliRunner

from cli.main import sia


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name in group.list_commands(click.Context(group)):
        command = group.get_command(click.Context(group), name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


def test_help_everywhere():
    paths = list(_all_commands(sia))
    expected = {
        ("run",),
        ("web",),
        ("worker",),
        ("beat",),
        ("migrate",),
        ("create-staff",),
        ("audit", "verify"),
    }
    assert expected <= set(paths)
    for path in [(), *paths]:
        result = CliRunner().invoke(sia, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_create_staff(settings):
    runner = CliRunner()
    args = [
        "create-staff",
        "--email",
        "Revisora@Infonavit.example",
        "--nombre",
        "Ana Núñez",
        "--rol",
        "revisor",
    ]
    ok = runner.invoke(sia, [*args, "--password", "una-contraseña-larga"])
    assert ok.exit_code == 0, ok.output
    assert "revisora@infonavit.example" in ok.output
    again = runner.invoke(sia, [*args, "--password", "una-contraseña-larga"])
    assert again.exit_code == 1 and "Ya existe" in again.output
    short = runner.invoke(
        sia, ["create-staff", "--email", "b@x.example", "--nombre", "B", "--password", "corta"]
    )
    assert short.exit_code == 2 and "12 caracteres" in short.output
    audit = runner.invoke(sia, ["audit", "verify"])
    assert audit.exit_code == 0 and "verificados: 1" in audit.output
