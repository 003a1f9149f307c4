"""Going live: the image, the compose stack, the systemd units and the backup script.

Where a Docker engine answers, the compose stack is built, started and found healthy; elsewhere
that test skips with the reason, and the others check the files against the code they start,
run the backup script, and restore one of its dumps.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import HEALTH_PATH
from bot.cli import build_parser
from storage.db import Database
from storage.demo import load_demo
from storage.models import Petition
from tests.conftest import create_database, truncate_all

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


# -- reading the files ------------------------------------------------------------------------

KEY = re.compile(r"^([\w.-]+):(?: (.*))?$")


def read_compose(name: str = "compose.yaml") -> Any:
    text = (DEPLOY / name).read_text("utf-8")
    try:
        import yaml
    except ImportError:  # not a dependency: the subset compose files use is read here
        return parse_yaml_subset(text)
    return yaml.safe_load(text)


def parse_yaml_subset(text: str) -> Any:
    """Block mappings, block lists and plain, quoted or flow-list scalars, as YAML reads them.

    Enough for a compose file; anything else fails loudly rather than being misread.
    """
    lines: list[tuple[int, str]] = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        assert "\t" not in raw and " #" not in raw, f"outside the subset: {raw!r}"
        lines.append((len(raw) - len(raw.lstrip()), raw.strip()))
    value, end = _block(lines, 0, lines[0][0])
    assert end == len(lines), f"unread from line {end}: {lines[end]!r}"
    return value


def _block(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].startswith("- "):
        items: list[Any] = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            item = lines[i][1][2:]
            if KEY.match(item):  # a mapping as a list item: its keys line up after "- "
                lines[i] = (indent + 2, item)
                value, i = _block(lines, i, indent + 2)
            else:
                value, i = _scalar(item), i + 1
            items.append(value)
        return items, i
    mapping: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        found = KEY.match(lines[i][1])
        assert found, f"not a key: {lines[i]!r}"
        key, rest = found.groups()
        i += 1
        if rest:
            mapping[key] = _scalar(rest)
        elif i < len(lines) and lines[i][0] > indent:
            mapping[key], i = _block(lines, i, lines[i][0])
        else:
            mapping[key] = None
    return mapping, i


def _scalar(text: str) -> Any:
    if text.startswith(("[", '"')):
        return json.loads(text)
    if text.startswith("'"):
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return int(text) if text.isdigit() else text


def test_the_yaml_subset_reads_what_compose_files_hold() -> None:
    parsed = parse_yaml_subset(
        'a:\n  b: "x:1"\n  c:\n    - d:/e\n    - path: .env\n      required: false\n'
        '  f: ["CMD", "g"]\n  h: 5\n')
    assert parsed == {"a": {"b": "x:1", "c": ["d:/e", {"path": ".env", "required": False}],
                            "f": ["CMD", "g"], "h": 5}}


def unit_file(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",),
                                       comment_prefixes=("#", ";"), strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string((DEPLOY / name).read_text("utf-8"))
    return parser


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text("utf-8")


def cutri_commands(shell: str) -> list[list[str]]:
    """The `cutri ...` commands a shell line runs, as argument lists."""
    commands = []
    for part in re.split(r"&&|;|\|\|", shell):
        words = shlex.split(part)
        if words and words[0] == "exec":
            words = words[1:]
        if words and Path(words[0]).name == "cutri":
            commands.append(words[1:])
    return commands


def real_command(args: list[str]) -> bool:
    try:
        build_parser().parse_args(args)
    except SystemExit:
        return False
    return bool(args)


# -- the files, checked anywhere ------------------------------------------------------------


def test_compose_runs_cutri_beside_postgresql_15_with_named_volumes() -> None:
    compose = read_compose()
    services, volumes = compose["services"], compose["volumes"]
    assert services["db"]["image"] == "postgres:15"
    assert "healthcheck" in services["db"]

    def named(mounts: list[str]) -> dict[str, str]:
        pairs = dict(mount.split(":")[:2] for mount in mounts)
        assert set(pairs) <= set(volumes), "every volume is a named one"
        return {target: source for source, target in pairs.items()}

    assert "/var/lib/postgresql/data" in named(services["db"]["volumes"])
    cutri = services["cutri"]
    assert (DEPLOY / cutri["build"]["context"] / "Dockerfile").exists()
    env = cutri["environment"]
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@db:5432/" in env["DATABASE_URL"]
    # The key file sits on a volume of its own, never in the image or the database's volume.
    key_dir = str(Path(env["ENCRYPTION_KEY_FILE"]).parent)
    assert named(cutri["volumes"])[key_dir] != named(services["db"]["volumes"])[
        "/var/lib/postgresql/data"]
    assert cutri["depends_on"]["db"]["condition"] == "service_healthy"
    assert [entry["path"] for entry in cutri["env_file"]] == [".env"]
    assert env["HTTP_HOST"] == "0.0.0.0"
    assert all(port.startswith("127.0.0.1:") for port in cutri["ports"])


def test_a_province_runs_three_webhook_replicas_behind_nginx_on_postgresql_and_redis(
) -> None:
    compose = read_compose("province.yaml")
    services, volumes = compose["services"], compose["volumes"]
    assert services["db"]["image"] == "postgres:15" and "healthcheck" in services["db"]
    assert services["redis"]["image"].startswith("redis:") and "healthcheck" in services["redis"]
    migrate, cutri, proxy = services["migrate"], services["cutri"], services["proxy"]
    assert (DEPLOY / migrate["build"]["context"] / "Dockerfile").exists()
    assert migrate["image"] == cutri["image"]
    # The schema and the key file once, before the replicas; then each replica only runs.
    assert real_command(migrate["command"][1:]) and migrate["command"][1:] == ["db", "upgrade"]
    assert cutri["command"] == ["cutri", "run"]
    assert cutri["deploy"]["replicas"] == 3
    assert cutri["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert {cutri["depends_on"][name]["condition"] for name in ("db", "redis")} == {
        "service_healthy"}
    env, migrate_env = cutri["environment"], migrate["environment"]
    assert env["DATABASE_URL"] == migrate_env["DATABASE_URL"]
    assert "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert env["TELEGRAM_WEBHOOK_URL"].startswith("${TELEGRAM_WEBHOOK_URL:?")  # no polling
    # Every replica reads the key file the migration made, on the one volume.
    assert env["ENCRYPTION_KEY_FILE"] == migrate_env["ENCRYPTION_KEY_FILE"]
    key_dir = str(Path(env["ENCRYPTION_KEY_FILE"]).parent)
    for service in (migrate, cutri):
        mounts = dict(mount.split(":")[:2] for mount in service["volumes"])
        assert {target: source for source, target in mounts.items()}[key_dir] in volumes
    assert "ports" not in cutri  # reached through the proxy only
    assert int(cutri["stop_grace_period"].rstrip("s")) > 10
    # nginx: its configuration is the file in deploy/, forwarding to the replicas' port.
    assert proxy["image"].startswith("nginx:")
    assert all(port.startswith("127.0.0.1:") for port in proxy["ports"])
    assert proxy["depends_on"]["cutri"]["condition"] == "service_healthy"
    [mount] = proxy["volumes"]
    source, target = mount.split(":")[:2]
    assert target == "/etc/nginx/conf.d/default.conf"
    conf = (DEPLOY / source).read_text("utf-8")
    assert f"server cutri:{env['HTTP_PORT']} resolve" in conf
    assert re.search(r"^\s*listen " + proxy["ports"][0].rsplit(":", 1)[1] + ";", conf, re.M)
    # Down or draining (503 after SIGTERM): passed over; webhook POSTs may be sent again.
    assert len(re.findall(r"proxy_next_upstream error timeout http_502 http_503", conf)) == 2
    assert "location /webhook/ {" in conf and "non_idempotent" in conf
    assert conf.count("{") == conf.count("}")


def test_the_image_runs_real_cutri_commands_as_a_user_and_checks_health() -> None:
    text = dockerfile()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    [cmd] = re.findall(r"^CMD (.*)$", text, re.M)
    argv = json.loads(cmd)
    commands = cutri_commands(argv[-1]) if argv[:2] == ["sh", "-c"] else [argv[1:]]
    assert commands == [["db", "upgrade"], ["run"]]
    assert all(real_command(command) for command in commands)
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0")
    [check] = re.findall(r"^\s+CMD (.*)$", text.split("HEALTHCHECK", 1)[1], re.M)[:1]
    assert f"/{HEALTH_PATH.lstrip('/')}'" in check
    compose_key = read_compose()["services"]["cutri"]["environment"]["ENCRYPTION_KEY_FILE"]
    assert f"ENCRYPTION_KEY_FILE={compose_key}" in text
    # Nothing local (a database, a key, a .env with tokens) goes into the image.
    assert (ROOT / ".dockerignore").read_text("utf-8").splitlines()[1] == "*"


def test_the_systemd_unit_runs_cutri_as_its_own_user_hardened() -> None:
    service = unit_file("cutri.service")["Service"]
    assert service["User"] not in ("", "root")
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"].startswith("/")
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] in ("strict", "full")
    assert int(service["TimeoutStopSec"]) > 10  # cutri's own stop budget
    assert cutri_commands(service["ExecStart"]) == [["run"]]
    assert cutri_commands(service["ExecStartPre"]) == [["db", "upgrade"]]
    assert all(real_command(c) for c in cutri_commands(service["ExecStart"]))


def test_the_backup_timer_runs_the_backup_script_nightly() -> None:
    timer = unit_file("cutri-backup.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    backup = unit_file("cutri-backup.service")["Service"]
    assert backup["Type"] == "oneshot"
    assert backup["ExecStart"].endswith("/deploy/backup.sh")


def test_the_backup_script_is_valid_bash() -> None:
    checked = subprocess.run(["bash", "-n", str(DEPLOY / "backup.sh")], capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stderr


def backup(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(DEPLOY / "backup.sh")], capture_output=True, text=True, timeout=120,
        env={"PATH": os.environ["PATH"], "BACKUP_DIR": str(tmp_path / "dumps"), **env})


def fake_pg_dump(tmp_path: Path, *, fails: bool = False) -> str:
    """A pg_dump that writes its arguments as the dump (or fails half-way)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    script = folder / "pg_dump"
    script.write_text('#!/bin/sh\necho "$@"\n' + ("exit 1\n" if fails else ""))
    script.chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


def test_a_backup_is_dated_and_only_keep_days_of_dumps_stay(tmp_path: Path) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    old, recent = dumps / "cutri-20000101-023000.dump", dumps / "cutri-20000102-023000.dump"
    for path, days in ((old, 20), (recent, 2)):
        path.write_text("x")
        stamp = time.time() - days * 86400
        os.utime(path, (stamp, stamp))
    made = backup(tmp_path, {"PATH": fake_pg_dump(tmp_path), "KEEP_DAYS": "14",
                             "DATABASE_URL": "postgresql+asyncpg://cutri:pw@db.local:5432/cutri"})
    assert made.returncode == 0, made.stderr
    target = Path(made.stdout.strip())
    assert target.parent == dumps and re.fullmatch(r"cutri-\d{8}-\d{6}\.dump", target.name)
    # pg_dump is given the URL without SQLAlchemy's driver name.
    assert "--dbname=postgresql://cutri:pw@db.local:5432/cutri" in target.read_text()
    assert not old.exists() and recent.exists()


def test_a_failed_dump_leaves_no_file(tmp_path: Path) -> None:
    failed = backup(tmp_path, {"PATH": fake_pg_dump(tmp_path, fails=True),
                               "DATABASE_URL": "postgresql+asyncpg://cutri@db/cutri"})
    assert failed.returncode != 0
    assert list((tmp_path / "dumps").iterdir()) == []
    refused = backup(tmp_path, {"DATABASE_URL": "sqlite+aiosqlite:///var/cutri.db"})
    assert refused.returncode == 2 and "SQLite" in refused.stderr


async def test_a_dump_restores_into_an_empty_database(
    tmp_path: Path, postgres_ready: str
) -> None:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed")
    source = Database(postgres_ready)
    await truncate_all(source)
    async with source.transaction() as session:
        await load_demo(session)
    async with source.transaction() as session:
        petitions = (await session.execute(select(func.count(Petition.id)))).scalar_one()
    await source.dispose()
    # Blocking subprocesses, in a thread: the test's event loop keeps running.
    made = await asyncio.to_thread(backup, tmp_path, {"DATABASE_URL": postgres_ready})
    assert made.returncode == 0, made.stderr
    url = make_url(postgres_ready)
    restored_url = url.set(database=f"{url.database}_restored")
    await drop_database(restored_url.render_as_string(hide_password=False))
    await create_database(restored_url.render_as_string(hide_password=False))
    try:
        plain = restored_url.set(drivername="postgresql").render_as_string(hide_password=False)
        restored = await asyncio.to_thread(
            subprocess.run, ["pg_restore", "--no-owner", f"--dbname={plain}",
                             made.stdout.strip()], capture_output=True, text=True, timeout=120)
        assert restored.returncode == 0, restored.stderr
        copy = Database(restored_url.render_as_string(hide_password=False))
        async with copy.transaction() as session:
            assert (await session.execute(select(func.count(Petition.id)))).scalar_one() == (
                petitions)
        await copy.dispose()
    finally:
        await drop_database(restored_url.render_as_string(hide_password=False))


async def drop_database(url: str) -> None:
    from sqlalchemy import text

    parsed = make_url(url)
    server = Database(parsed.set(database="postgres").render_as_string(hide_password=False))
    try:
        async with server.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
    finally:
        await server.dispose()


# -- the stack itself, where Docker runs ------------------------------------------------------


def docker_unavailable() -> str | None:
    """Why the stack cannot be started here, or None."""
    if shutil.which("docker") is None:
        return "no docker client"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        return "no Docker engine answers (`docker info` failed)"
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True,
                            timeout=60)
    if plugin.returncode != 0:
        return "docker compose is not installed"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_compose_stack_builds_starts_and_turns_healthy(tmp_path: Path) -> None:
    reason = docker_unavailable()
    if reason is not None:
        pytest.skip(reason)
    # A copy beside no .env: a developer's deploy/.env (real tokens) must not start real bots.
    compose = tmp_path / "compose.yaml"
    compose.write_text((DEPLOY / "compose.yaml").read_text("utf-8").replace(
        "context: ..", f"context: {ROOT}"))
    port = free_port()
    project = f"cutri-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "POSTGRES_PASSWORD": uuid.uuid4().hex, "CUTRI_PORT": str(port)}
    base = ["docker", "compose", "-f", str(compose), "-p", project]
    try:
        up = subprocess.run([*base, "up", "-d", "--build", "--wait", "--wait-timeout", "600"],
                            capture_output=True, text=True, env=env, timeout=1800)
        assert up.returncode == 0, up.stderr[-4000:]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH_PATH}",
                                    timeout=10) as answer:
            assert answer.status == 200
    finally:
        subprocess.run([*base, "down", "-v", "--remove-orphans"], capture_output=True,
                       env=env, timeout=600)
