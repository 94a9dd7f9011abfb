"""The CLI's shared connection options (--server, --timeout, --json) written before or
after the subcommand, and HERALD_SERVER, against a real heraldd."""
import json
import os

import pytest

import herald_fixtures
from test_cli import cli_env, run  # noqa: F401  (the module-scoped heraldd fixture)

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")


def _env(cli_env, server):
    env = dict(cli_env["env"])
    if server is None:
        env.pop("HERALD_SERVER", None)
    else:
        env["HERALD_SERVER"] = server
    return env


def _seed(cli_env):
    path = os.path.join(cli_env["tmp"], "options.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i in range(7):
            f.write(json.dumps({"id": f"opt{i}", "email": f"opt{i}@example.org", "tags": ["options"]}) + "\n")
    result = run(cli_env, "profiles", "import", path, "--json")
    assert result.returncode == 0, result.stderr


def test_connection_options_before_and_after_the_subcommand(cli_env):
    _seed(cli_env)
    real = f"127.0.0.1:{cli_env['port']}"
    nowhere = f"127.0.0.1:{herald_fixtures.free_port()}"
    unreachable_env = _env(cli_env, nowhere)
    spellings = [
        ["--server", real, "--timeout", "10", "--json", "profiles", "count", 'tags HAS "options"'],
        [f"--server={real}", "--json", "profiles", "count", 'tags HAS "options"', "--timeout", "10"],
        ["profiles", "count", 'tags HAS "options"', "--server", real, "--timeout", "10", "--json"],
        ["--json", "profiles", "count", "--server", real, 'tags HAS "options"'],
    ]
    for args in spellings:
        result = run(cli_env, *args, env=unreachable_env)  # HERALD_SERVER points nowhere: --server wins
        assert result.returncode == 0, (args, result.stderr)
        assert json.loads(result.stdout) == {"count": "7"}, (args, result.stdout)


def test_HERALD_SERVER_is_the_default_and_a_leading_server_overrides_it(cli_env):
    _seed(cli_env)
    real = f"127.0.0.1:{cli_env['port']}"
    result = run(cli_env, "--json", "profiles", "count", 'tags HAS "options"', env=_env(cli_env, real))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"count": "7"}

    nowhere = f"127.0.0.1:{herald_fixtures.free_port()}"
    down = run(cli_env, "--server", nowhere, "--timeout", "3", "profiles", "count", "", env=_env(cli_env, real))
    assert down.returncode == 5, down.stdout + down.stderr
    assert down.stderr.strip().splitlines()[-1].startswith("error: UNAVAILABLE"), down.stderr


def test_leading_options_on_nested_subcommands_and_their_usage_errors(cli_env):
    real = f"127.0.0.1:{cli_env['port']}"
    listed = run(cli_env, "--server", real, "--json", "deliveries", "list", env=_env(cli_env, None))
    assert listed.returncode == 0, listed.stderr
    for line in listed.stdout.splitlines():
        assert "id" in json.loads(line)
    bad = run(cli_env, "--timeout", "zero", "profiles", "count", "", env=_env(cli_env, real))
    assert bad.returncode == 2, bad.stderr
    assert "--timeout" in bad.stderr
    malformed = run(cli_env, "--server", "no-port", "profiles", "count", "", env=_env(cli_env, real))
    assert malformed.returncode == 2
    assert "--server must be HOST:PORT" in malformed.stderr
