"""`herald deliveries create|update` with YAML files: the same delivery as its JSON twin,
format by extension or by sniffing the content, and YAML errors with line and column."""
import json
import os

import pytest

from test_cli import cli_env, run  # noqa: F401  (the module-scoped heraldd fixture)

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")

DELIVERY = {
    "name": "Spring sale: YAML twin",
    "content": {
        "subject": "Hi {{first_name}}",
        "sender": {"name": "Herald", "address": "news@example.com"},
        "replyTo": "help@example.com",
        "htmlBody": "<p>Hello {{first_name}} in {{attributes.city}}</p>\n<p><a href=\"{{unsubscribe_url}}\">Unsubscribe</a></p>\n",
    },
    "audience": {"filter": 'tags HAS "vip" AND attributes.age >= 18'},
    "schedule": {"validUntil": "2030-01-01T00:00:00Z"},
    "typology": {
        "rules": [
            {"filtering": {"name": "No Oslo", "filter": 'attributes.city = "Oslo"'}},
            {"pressure": {"name": "Two a week", "maxMessages": "2", "periodDays": 7}},
            {"controlGroup": {"name": "Holdout", "percent": 5.5, "seed": "42"}},
            {"capacity": {"name": "Cap", "maxMessages": "15000"}},
        ],
        "rateLimitPerSecond": 50,
        "trackingDisabled": False,
    },
}

YAML = """\
# The same delivery, in YAML: comments, block scalars, flow mappings, unquoted numbers.
name: 'Spring sale: YAML twin'
content:
  subject: "Hi {{first_name}}"
  sender: {name: Herald, address: news@example.com}
  replyTo: help@example.com
  htmlBody: |
    <p>Hello {{first_name}} in {{attributes.city}}</p>
    <p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>
audience:
  filter: tags HAS "vip" AND attributes.age >= 18
schedule:
  validUntil: 2030-01-01T00:00:00Z
typology:
  rules:
    - filtering: {name: No Oslo, filter: 'attributes.city = "Oslo"'}
    - pressure:
        name: Two a week
        maxMessages: 2
        periodDays: 7
    - controlGroup: {name: Holdout, percent: 5.5, seed: 42}
    - capacity: {name: Cap, maxMessages: 15000}
  rateLimitPerSecond: 50
  trackingDisabled: false
"""

SERVER_FIELDS = ("id", "createTime", "updateTime", "state")


def _without_server_fields(delivery):
    return {k: v for k, v in delivery.items() if k not in SERVER_FIELDS}


def _write(cli_env, name, text):
    path = os.path.join(cli_env["tmp"], name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def _create(cli_env, path, input=None):
    result = run(cli_env, "deliveries", "create", path, "--json", input=input)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_yaml_delivery_creates_the_same_delivery_as_its_json_twin(cli_env):
    from_json = _create(cli_env, _write(cli_env, "twin.json", json.dumps(DELIVERY)))
    for name in ("twin.yaml", "twin.yml", "twin.delivery"):  # by extension, then sniffed
        from_yaml = _create(cli_env, _write(cli_env, name, YAML))
        assert from_yaml["id"] != from_json["id"]
        assert _without_server_fields(from_yaml) == _without_server_fields(from_json), name
    # The server kept what the file said.
    assert from_json["typology"]["rules"][2]["controlGroup"] == {"name": "Holdout", "percent": 5.5, "seed": "42"}
    assert from_json["content"]["htmlBody"] == DELIVERY["content"]["htmlBody"]
    # Standard input is sniffed too: YAML, then JSON.
    stdin_yaml = _create(cli_env, "-", input=YAML)
    stdin_json = _create(cli_env, "-", input=json.dumps(DELIVERY))
    assert _without_server_fields(stdin_yaml) == _without_server_fields(stdin_json) == _without_server_fields(from_json)
    fetched = json.loads(run(cli_env, "deliveries", "get", from_yaml["id"], "--json").stdout)
    assert _without_server_fields(fetched) == _without_server_fields(from_json)


def test_update_takes_yaml(cli_env):
    created = _create(cli_env, _write(cli_env, "base.json", json.dumps(DELIVERY)))
    patch = _write(cli_env, "patch.yaml", "name: Renamed in YAML\ncontent:\n  subject: New subject for {{first_name}}\n")
    result = run(cli_env, "deliveries", "update", created["id"], patch, "--mask", "name,content.subject", "--json")
    assert result.returncode == 0, result.stderr
    updated = json.loads(result.stdout)
    assert updated["name"] == "Renamed in YAML"
    assert updated["content"]["subject"] == "New subject for {{first_name}}"
    assert updated["content"]["htmlBody"] == DELIVERY["content"]["htmlBody"]


@pytest.mark.parametrize("text, expected", [
    ("name: x\ncontent: [a\n  b: c\n", "YAML 3:4: did not find expected ',' or ']'"),
    ("name: x\n  subject: y\n", "YAML 2:10: mapping values are not allowed in this context"),
    ("name: x\n? [a]\n: y\n", "YAML 2:3: a mapping key must be a plain value, not a sequence"),
    ("name: x\nnmae: y\n", 'herald.v1.Delivery: unknown field "nmae" (at 2:1)'),
    ("name: x\ncontent:\n  subjct: y\n", 'herald.v1.DeliveryContent: unknown field "subjct" (at 3:3)'),
    ("name: x\ntypology:\n  rateLimitPerSecond: fast\n",
     'herald.v1.Typology.rate_limit_per_second: "fast" is not a signed 32-bit integer (at 3:3)'),
    ("# only a comment\n", "YAML: the document is empty"),
])
def test_yaml_errors_are_one_line_with_the_position(cli_env, text, expected):
    path = _write(cli_env, "bad.yaml", text)
    result = run(cli_env, "deliveries", "create", path)
    assert result.returncode == 4, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: INVALID_ARGUMENT: {path}: "), lines[0]
    assert expected in lines[0], lines[0]
