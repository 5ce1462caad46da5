"""Hostile files, places and terminals, through real `readiness` processes as a user meets them.

- `--output` aimed at devices, FIFOs, symlinks, /dev/stdout, a full device or the run record itself;
- a project whose own git configuration would run commands (core.fsmonitor, hooks, filter and diff
  drivers, signature verification): nothing of it runs;
- special and huge files where a configuration file is expected (FIFOs, /dev/zero, sparse gigabytes);
- filesystem errors: a read-only state directory, an unreadable project, a full disk, a read-only mount;
- a whole run against a backend that never answers, bounded by `--timeout`;
- no terminal for the wizard.

Devices are private (mknod in a temporary directory, or a private /dev in a mount namespace), so a
regression can never replace the machine's own /dev/null or /dev/stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cli_env, need, run_cli
from fixtures.http_servers import RawServer

ROOT = os.geteuid() == 0


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [x for x in stderr.splitlines() if x.strip() and not x.startswith("readiness: no OS keyring")]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("readiness: ")
    return lines[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    (p / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    return p


def _record(project: Path) -> Path:
    return project / ".readiness" / "run.json"


def _items(report: str | bytes) -> dict[str, dict]:
    """The items of a JSON report by id."""
    return {i["id"]: i for s in json.loads(report)["sections"] for i in s["items"]}


# --- --output: written through to devices and FIFOs, never replacing what it points at -------------------

def _mknod(path: Path, minor: int) -> Path:
    need(ROOT, "root (to create a private character device with mknod)")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    return path


def test_output_to_a_character_device_is_written_through(project: Path, tmp_path: Path) -> None:
    """Before: `--output /dev/null` (as root) replaced the device node with a regular file."""
    null = _mknod(tmp_path / "null", 3)
    done = run_cli("check", str(project), "--only", "4.1", "--output", str(null))
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(null.lstat().st_mode) and null.lstat().st_rdev == os.makedev(1, 3)
    assert not list(tmp_path.glob(".null.*"))  # no temporary file left beside it


def test_output_to_a_full_device_fails_in_one_line(project: Path, tmp_path: Path) -> None:
    """Before: a report written to a full device exited 0 with "wrote … report"."""
    full = _mknod(tmp_path / "full", 7)
    for command in (["check", str(project), "--only", "4.1"], ["report", str(project)]):
        done = run_cli(*command, "--output", str(full))
        assert done.returncode == 2
        line = _one_line(done.stderr)
        assert line.startswith(f"readiness: --output {full}: cannot write (No space left on device)")
        assert stat.S_ISCHR(full.lstat().st_mode)


def test_stdout_on_a_full_device_fails_in_one_line(project: Path, tmp_path: Path) -> None:
    full = _mknod(tmp_path / "full", 7)
    with full.open("w") as sink:
        done = subprocess.run([sys.executable, "-m", "readiness_tui", "check", str(project), "--only", "4.1"],
                              stdout=sink, stderr=subprocess.PIPE, text=True, env=cli_env(), timeout=60)
    assert done.returncode == 2
    assert _one_line(done.stderr) == "readiness: cannot write to standard output (No space left on device)"


def test_output_to_a_fifo_is_written_through(project: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = run_cli("check", str(project), "--only", "4.1", "--format", "json", "--output", str(fifo))
    reader.join(10)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert "4.1" in _items(got[0])


def test_output_through_a_symlink_keeps_the_link(project: Path, tmp_path: Path) -> None:
    real = tmp_path / "reports" / "latest.json"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "report.json"
    link.symlink_to(real)
    done = run_cli("check", str(project), "--only", "4.1", "--format", "json", "--output", str(link))
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and "4.1" in _items(real.read_text())
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the file keeps its mode


@contextlib.contextmanager
def _private_dev(tmp_path: Path) -> Iterator[list[str]]:
    """A command prefix running in a mount namespace whose /dev is a private copy (null, full, stdout)."""
    need(ROOT and shutil.which("unshare") is not None, "root and unshare (a private /dev in a mount namespace)")
    dev = tmp_path / "dev"
    dev.mkdir()
    for name, minor in (("null", 3), ("full", 7), ("zero", 5), ("urandom", 9)):
        os.mknod(dev / name, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        (dev / name).symlink_to(f"/proc/self/fd/{fd}")
    (dev / "fd").symlink_to("/proc/self/fd")
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    need(probe.returncode == 0, "mount namespaces (unshare --mount)")
    yield ["unshare", "--mount", "--propagation", "private", "sh", "-c",
           f'mount --bind "{dev}" /dev && exec "$0" "$@"', sys.executable, "-m", "readiness_tui"]
    for name in ("null", "full", "stdout"):
        assert (dev / name).is_symlink() or stat.S_ISCHR((dev / name).lstat().st_mode), name


@pytest.mark.parametrize("where", ["/dev/stdout", "/dev/fd/1", "/dev/null"])
def test_output_to_the_literal_device_paths(project: Path, tmp_path: Path, where: str) -> None:
    """The exact paths of the report (as root, in a private /dev): the report reaches stdout, nothing replaced."""
    with _private_dev(tmp_path) as prefix:
        done = subprocess.run([*prefix, "check", str(project), "--only", "4.1", "--format", "json", "--output", where],
                              capture_output=True, text=True, env=cli_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    if where == "/dev/null":
        assert done.stdout == ""
    else:
        assert "4.1" in _items(done.stdout)
    assert (tmp_path / "dev" / "stdout").is_symlink()
    assert stat.S_ISCHR((tmp_path / "dev" / "null").lstat().st_mode)


def test_output_to_dev_stdout_redirected_to_a_file_appends(project: Path, tmp_path: Path) -> None:
    """`--output /dev/stdout > out.txt`: the report lands in out.txt itself (same inode), after what came before."""
    with _private_dev(tmp_path) as prefix:
        out = tmp_path / "out.txt"
        with out.open("w") as sink:
            sink.write("before\n")
            sink.flush()
            done = subprocess.run([*prefix, "check", str(project), "--only", "4.1", "--format", "json",
                                   "--output", "/dev/stdout"], stdout=sink, stderr=subprocess.PIPE, text=True,
                                  env=cli_env(), timeout=60)
            inode = os.fstat(sink.fileno()).st_ino
    assert done.returncode == 0, done.stderr
    assert out.stat().st_ino == inode
    text = out.read_text()
    assert text.startswith("before\n{") and "4.1" in _items(text.removeprefix("before\n"))


@pytest.mark.parametrize("target", [".readiness/run.json", ".readiness/history/x.json", ".readiness/backups/a.toml",
                                    ".readiness", "link-to-record"])
def test_the_run_record_is_never_an_output(project: Path, tmp_path: Path, target: str) -> None:
    """Before: `--output DIR/.readiness/run.json` overwrote the run record and every decision in it."""
    assert run_cli("confirm", "5.4", str(project), "--by", "Ann").returncode == 0
    record = _record(project)
    before = record.read_bytes()
    link = tmp_path / "link-to-record"
    link.symlink_to(record)
    output = str(link) if target == "link-to-record" else str(project / target)
    for command in (["check", str(project), "--only", "4.1"], ["report", str(project)],
                    ["report", str(tmp_path), "--format", "json"]):
        if command[1] == str(tmp_path):
            continue
        done = run_cli(*command, "--output", output)
        assert done.returncode == 2
        line = _one_line(done.stderr)
        assert line.startswith(f"readiness: --output {output}:")
        assert record.read_bytes() == before


def test_output_to_a_socket_is_refused(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        done = run_cli("check", str(project), "--only", "4.1", "--output", str(path))
    assert done.returncode == 2
    assert "not a regular file, character device or FIFO" in _one_line(done.stderr)
    assert stat.S_ISSOCK(path.lstat().st_mode)
    assert not _record(project).exists()  # refused before the run


# --- the project's own git configuration never runs anything ----------------------------------------------

def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _signed_commit(repo: Path) -> None:
    """A commit carrying a (bogus) gpgsig header: `git log` with log.showSignature would run gpg.program."""
    body = _git(repo, "cat-file", "commit", "HEAD")
    head, _, message = body.partition("\n\n")
    sig = "gpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----"
    lines = head.splitlines()
    obj = "\n".join([*lines, sig]) + "\n\n" + message
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=repo, input=obj,
                         capture_output=True, text=True, check=True).stdout.strip()
    _git(repo, "update-ref", "HEAD", sha)


EVIL_CONFIGS = {
    "core.fsmonitor": [("core.fsmonitor", "{hook}")],
    "core.hooksPath": [("core.hooksPath", "{hooks}")],
    "filter-process": [("filter.evil.process", "{hook}"), ("filter.evil.clean", "{hook}"),
                       ("filter.evil.smudge", "{hook}"), ("filter.evil.required", "true")],
    "diff-textconv": [("diff.evil.textconv", "{hook}"), ("diff.evil.command", "{hook}"), ("diff.external", "{hook}")],
    "log.showSignature": [("log.showSignature", "true"), ("gpg.program", "{hook}"), ("gpg.format", "openpgp")],
}


@pytest.fixture
def evil_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository (.env ignored, a tracked .env.example) and the marker file any of its hooks would write."""
    repo = tmp_path / "repo"
    repo.mkdir()
    marker = tmp_path / "MARKER"
    hook = tmp_path / "hook.sh"
    hook.write_text(f'#!/bin/sh\necho "$0 $*" >> "{marker}"\ncat >/dev/null 2>&1 &\nexit 0\n')
    hook.chmod(0o755)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("post-index-change", "pre-commit", "post-checkout", "reference-transaction", "pre-auto-gc",
                 "fsmonitor-watchman", "post-rewrite"):
        (hooks / name).symlink_to(hook)
    _git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(".env\n.env.*\n!.env.example\n.readiness/\n")
    (repo / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    (repo / ".env.example").write_text("CACHE_TTL_SECONDS=300\nSUPABASE_KEY=your-anon-key\n")
    (repo / ".gitattributes").write_text("* filter=evil diff=evil\n")
    (repo / "app.py").write_text("print('hello')\n")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.email=t@example.invalid", "-c", "user.name=T", "commit", "-qm", "init")
    _signed_commit(repo)
    return repo, marker


def _arm(repo: Path, marker: Path, which: str) -> None:
    hook, hooks = marker.parent / "hook.sh", marker.parent / "hooks"
    for key, value in EVIL_CONFIGS[which]:
        _git(repo, "config", key, value.format(hook=hook, hooks=hooks))
    # The configuration is live: plain git runs the hook (so the test can fail).
    subprocess.run(["git", "status"], cwd=repo, capture_output=True)
    subprocess.run(["git", "log", "-p", "-1"], cwd=repo, capture_output=True)
    subprocess.run(["git", "diff", "HEAD~0", "--", "app.py"], cwd=repo, capture_output=True)
    (repo / "app.py").write_text("print('changed')\n")
    subprocess.run(["git", "diff"], cwd=repo, capture_output=True)
    subprocess.run(["git", "add", "app.py"], cwd=repo, capture_output=True)
    subprocess.run(["git", "reset", "-q", "app.py"], cwd=repo, capture_output=True)
    (repo / "app.py").write_text("print('hello')\n")
    assert marker.exists(), f"{which}: plain git did not run the hook; the test would prove nothing"
    marker.unlink()


@pytest.mark.parametrize("which", list(EVIL_CONFIGS))
@pytest.mark.parametrize("command", ["check", "secrets scan", "secrets baseline", "fix"])
def test_project_git_config_runs_nothing(evil_repo: tuple[Path, Path], which: str, command: str) -> None:
    """Before: core.fsmonitor in .git/config was executed by `check` and `secrets scan`."""
    repo, marker = evil_repo
    _arm(repo, marker, which)
    if command == "fix":
        (repo / ".gitignore").write_text(".readiness/\n")  # 1.7 has something to fix
        done = run_cli("fix", "1.7", str(repo), "--yes")
    elif command == "check":
        done = run_cli("check", str(repo), "--only", "1.6,1.7,3.2,3.4", "--format", "json")
    else:
        done = run_cli(*command.split(), str(repo))
    assert "Traceback" not in done.stderr
    assert not marker.exists(), marker.read_text()
    if command == "check":
        items = _items(done.stdout)
        assert items["1.7"]["status"] == "pass", items["1.7"]  # git still answered
    if command == "fix":
        assert done.returncode == 0, done.stderr
        assert "item 1.7 now: pass" in done.stdout


def test_a_repository_owned_by_someone_else_is_named_not_read(evil_repo: tuple[Path, Path]) -> None:
    """git's own safe.directory protection is kept on purpose: the check says why git is not read, and how to trust."""
    need(ROOT, "root (to give the repository to another user)")
    import pwd

    try:
        other = pwd.getpwnam("readiness-pg")
    except KeyError:
        need(False, "the readiness-pg system user (scripts/setup.sh --test)")
    repo, marker = evil_repo
    _arm(repo, marker, "core.fsmonitor")
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, other.pw_uid, other.pw_gid)
    done = run_cli("check", str(repo), "--only", "1.7", "--format", "json")
    assert not marker.exists()
    item = _items(done.stdout)["1.7"]
    assert "owned by another user" in item["summary"] and "safe.directory" in item["summary"], item


# --- special and huge files where a file is expected ------------------------------------------------------

def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as f:
        f.truncate(size)
    return path


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("zero", ["check", "{proj}", "--checklist", "/dev/zero"], "/dev/zero: not a regular file (a character device)"),
        ("fifo", ["check", "{proj}", "--checklist", "{fifo}"], "{fifo}: not a regular file (a FIFO)"),
        ("sparse", ["check", "{proj}", "--checklist", "{big}"], "{big}: too large (3.0 GB; a checklist is at most"),
        ("env-fifo", ["check", "{proj}", "--only", "4.1"], "{proj}/.env: not a regular file (a FIFO)"),
        ("env-zero", ["check", "{proj}", "--only", "4.1"], "{proj}/.env: not a regular file (a character device)"),
        ("env-big", ["check", "{proj}", "--only", "4.1"], "{proj}/.env: too large (3.0 GB"),
        ("toml-fifo", ["check", "{proj}", "--only", "4.1"], "{proj}/readiness.toml: not a regular file (a FIFO)"),
        ("toml-big", ["check", "{proj}", "--only", "4.1"], "{proj}/readiness.toml: too large (3.0 GB"),
        ("zero", ["verify", "/dev/zero"], "/dev/zero: not a regular file (a character device)"),
        ("fifo", ["verify", "{fifo}"], "{fifo}: not a regular file (a FIFO)"),
        ("sparse", ["verify", "{big}"], "{big}: too large (3.0 GB"),
        ("zero", ["diff", "/dev/zero", "current", "--dir", "{proj}"], "no run '/dev/zero'"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_special_and_huge_files_are_refused_at_once(project: Path, tmp_path: Path, setup: str, args: list[str],
                                                    message: str) -> None:
    """Before: `--checklist /dev/zero` read until the kernel killed it (24 GB); `verify /dev/zero` a MemoryError."""
    fifo, big = tmp_path / "pipe", tmp_path / "big.toml"
    os.mkfifo(fifo)
    _sparse(big, 3 * 10**9)
    if setup == "env-fifo":
        (project / ".env").unlink()
        os.mkfifo(project / ".env")
    elif setup == "env-zero":
        (project / ".env").unlink()
        (project / ".env").symlink_to("/dev/zero")
    elif setup == "env-big":
        _sparse(project / ".env", 3 * 10**9)
    elif setup == "toml-fifo":
        os.mkfifo(project / "readiness.toml")
    elif setup == "toml-big":
        _sparse(project / "readiness.toml", 3 * 10**9)
    fill = {"proj": str(project), "fifo": str(fifo), "big": str(big)}
    started = time.monotonic()
    done = run_cli(*[a.format(**fill) for a in args], timeout=30)
    assert time.monotonic() - started < 20
    assert done.returncode == 2
    assert message.format(**fill) in _one_line(done.stderr)


def test_fifos_in_the_project_never_block_a_check(project: Path) -> None:
    """A FIFO where a migration, a document, a log or a cron file is expected: the run still ends."""
    (project / "backend" / "migrations").mkdir(parents=True)
    os.mkfifo(project / "backend" / "migrations" / "003_performance_indexes.sql")
    os.mkfifo(project / "README.md")
    (project / "docs").mkdir()
    os.mkfifo(project / "docs" / "MAINTENANCE.md")
    (project / ".streamlit").mkdir()
    os.mkfifo(project / ".streamlit" / "config.toml")
    system = project / "sysroot"
    (system / "etc" / "cron.d").mkdir(parents=True)
    os.mkfifo(system / "etc" / "cron.d" / "backup")
    os.mkfifo(system / "etc" / "crontab")
    logs = project / "logs"
    logs.mkdir()
    os.mkfifo(logs / "app.log")
    (project / "readiness.toml").write_text(f'[target]\nsystem_root = "{system}"\nlog_dir = "logs"\n'
                                            f'backup_dir = "{system}"\n')
    started = time.monotonic()
    done = run_cli("check", str(project), "--only", "3.2,3.8,4.2,5.7,6.1,6.2,7.1,9", "--timeout", "4",
                   "--format", "json", timeout=60)
    assert time.monotonic() - started < 4 + 10
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_fifos_never_block_the_secret_scan_or_init(project: Path) -> None:
    """A FIFO where a .gitignore, an env file or a compose file is expected: `secrets scan` outside git
    walked into a FIFO .gitignore and waited for a writer forever; `init` read every file whole."""
    for name in (".gitignore", ".env.local", "docker-compose.yml", "pyproject.toml"):
        os.mkfifo(project / name)
    (project / "tests").mkdir()
    started = time.monotonic()
    done = run_cli("secrets", "scan", str(project), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "0 finding(s)" in done.stdout
    done = run_cli("init", str(project), "--stdout", timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# readiness.toml")
    assert time.monotonic() - started < 40


def test_init_never_replaces_what_it_must_not(project: Path) -> None:
    """`init ''` wrote a readiness.toml into the current directory; `init --force` over a FIFO waited forever,
    over a symlink replaced the link, over a read-only file reset its mode."""
    done = run_cli("init", "", cwd=project)
    assert done.returncode == 2 and "DIR is an empty path" in _one_line(done.stderr)
    assert not (project / "readiness.toml").exists()
    os.mkfifo(project / "readiness.toml")
    done = run_cli("init", str(project), "--force", timeout=30)
    assert done.returncode == 2
    assert f"{project}/readiness.toml: not a regular file (a FIFO)" in _one_line(done.stderr)
    assert stat.S_ISFIFO((project / "readiness.toml").lstat().st_mode)
    (project / "readiness.toml").unlink()
    kept = project / "config" / "readiness.toml"
    kept.parent.mkdir()
    kept.write_text("[target]\n")
    kept.chmod(0o640)
    (project / "readiness.toml").symlink_to(kept)
    done = run_cli("init", str(project), "--force")
    assert done.returncode == 0, done.stderr
    assert (project / "readiness.toml").is_symlink() and kept.read_text().startswith("# readiness.toml")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    kept.chmod(0o444)
    before = kept.read_bytes()
    done = run_cli("init", str(project), "--force")
    assert done.returncode == 2 and "read-only (mode 0444)" in _one_line(done.stderr)
    assert kept.read_bytes() == before


# --- filesystem errors: one line naming the path, nothing lost ---------------------------------------------

def _without_dac(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`readiness ARGS` as a user bound by file modes: as root, without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH."""
    prefix: list[str] = []
    if ROOT:
        need(shutil.which("setpriv") is not None, "setpriv (util-linux)")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    return subprocess.run([*prefix, sys.executable, "-m", "readiness_tui", *args], capture_output=True, text=True,
                          env=cli_env(), timeout=timeout)


def test_state_directory_not_writable(project: Path) -> None:
    """Before: a `.readiness` directory without write permission was a PermissionError traceback."""
    assert run_cli("confirm", "5.4", str(project), "--by", "Ann").returncode == 0
    state = project / ".readiness"
    before = _record(project).read_bytes()
    state.chmod(0o555)
    try:
        for args in (["confirm", "5.3", str(project), "--by", "Ann"], ["check", str(project), "--only", "4.1"]):
            done = _without_dac(*args)
            assert done.returncode == 2
            line = _one_line(done.stderr)
            assert line.startswith(f"readiness: {state}") and "Permission denied" in line, line
        done = _without_dac("report", str(project), "--format", "json")  # reading needs no write
        assert done.returncode == 0, done.stderr
        assert _items(done.stdout)["5.4"]["status"] == "confirmed"
    finally:
        state.chmod(0o755)
    assert _record(project).read_bytes() == before


@pytest.mark.parametrize("mode", [0o000, 0o311])
def test_project_directory_not_readable(project: Path, mode: int) -> None:
    project.chmod(mode)
    try:
        done = _without_dac("check", str(project), "--only", "4.1")
    finally:
        project.chmod(0o755)
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert str(project) in line and "Permission denied" in line


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs (a real full disk without filling the machine's)."""
    need(ROOT, "root (to mount a small tmpfs)")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    need(done.returncode == 0, "permission to mount a tmpfs")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    with contextlib.suppress(OSError), (disk / "filler2").open("wb") as f:
        while True:
            f.write(b"\0" * 512)
            f.flush()
    return filler


def test_full_disk_is_one_line_and_loses_nothing(small_disk: Path) -> None:
    """Before: `confirm` and `check` on a full disk ended in an OSError traceback (the record stayed intact)."""
    project = small_disk / "proj"
    project.mkdir()
    (project / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    assert run_cli("confirm", "5.4", str(project), "--by", "Ann").returncode == 0
    before = _record(project).read_bytes()
    filler = _fill(small_disk)
    for args in (["confirm", "5.3", str(project), "--by", "Ann", "--note", "x" * 5000],
                 ["check", str(project), "--only", "4.1"],
                 ["check", str(project), "--only", "4.1", "--output", str(small_disk / "r.txt")]):
        done = run_cli(*args)
        assert done.returncode == 2, done.stderr
        line = _one_line(done.stderr)
        assert "No space left on device" in line and str(small_disk) in line, line
        assert _record(project).read_bytes() == before
        assert not list((project / ".readiness").glob(".*.tmp"))
    filler.unlink()
    (small_disk / "filler2").unlink()
    assert run_cli("confirm", "5.3", str(project), "--by", "Ann").returncode == 0


def test_read_only_mount_is_one_line(small_disk: Path) -> None:
    project = small_disk / "proj"
    project.mkdir()
    (project / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    assert run_cli("confirm", "5.4", str(project), "--by", "Ann").returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    done = run_cli("confirm", "5.3", str(project), "--by", "Ann")
    assert done.returncode == 2
    assert "Read-only file system" in _one_line(done.stderr)
    done = run_cli("report", str(project), "--format", "json")
    assert done.returncode == 0, done.stderr


# --- backups: 6.1 as a user who cannot read every crontab; a backup_dir over pseudo filesystems -------------

def test_backup_check_as_a_user_who_cannot_read_crontabs(project: Path) -> None:
    """Before: 6.1 as a non-root user was a PermissionError on /var/spool/cron/crontabs."""
    system = project.parent / "sysroot"
    spool = system / "var" / "spool" / "cron" / "crontabs"
    spool.mkdir(parents=True)
    (spool / "root").write_text("0 3 * * * pg_dump crm > /srv/backups/crm.sql\n")
    backups = project.parent / "backups"
    backups.mkdir()
    (backups / "crm.sql").write_text("-- dump\n")
    (project / "readiness.toml").write_text(f'[target]\nsystem_root = "{system}"\nbackup_dir = "{backups}"\n')
    spool.chmod(0o000)
    try:
        done = _without_dac("check", str(project), "--only", "6.1", "--format", "json")
    finally:
        spool.chmod(0o755)
    assert done.returncode in (0, 1), done.stderr
    item = _items(done.stdout)["6.1"]
    assert item["status"] == "warn", item  # a fresh backup, its schedule not visible to this user
    assert "PermissionError" not in json.dumps(item)
    assert str(spool) in item["evidence"]["backup_schedule_unreadable"]


NOBODY = 65534
SPOOL = Path("/var/spool/cron/crontabs")


def _as_nobody(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`readiness ARGS` as the unprivileged user `nobody` (uid 65534): not root at all, unlike `_without_dac`.

    The interpreter must be one that user may run (this one may sit under /root): this one or the system's
    python of the same version, with this checkout's site-packages added.
    """
    need(ROOT and shutil.which("setpriv") is not None, "root and setpriv (to run a command as nobody)")
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    runnable = [c for c in (sys.executable, f"/usr/bin/python{version}") if subprocess.run(
        [*drop, c, "-c", f"import sys; assert '%d.%d' % sys.version_info[:2] == '{version}'"],
        capture_output=True).returncode == 0]
    need(bool(runnable), f"a python {version} that the user nobody may run")
    site = sysconfig.get_path("purelib")
    main = (f"import site, sys; site.addsitedir({site!r}); from readiness_tui.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    return subprocess.run([*drop, runnable[0], "-c", main, *args], capture_output=True, text=True,
                          env=cli_env({"HOME": str(home)}), cwd=home, timeout=120)


def test_backup_check_as_a_real_unprivileged_user() -> None:
    """6.1 as a non-root user on this machine's own cron spool (root-only, 1730 root:crontab): a verdict that
    names what it could not read, never a PermissionError."""
    need(SPOOL.is_dir() and not SPOOL.stat().st_mode & 0o004, f"{SPOOL} (cron) unreadable by other users")
    base = Path(tempfile.mkdtemp(prefix="readiness-nobody-", dir="/tmp"))
    try:
        base.chmod(0o755)
        project, home, backups = base / "proj", base / "home", base / "backups"
        for d in (project, home, backups):
            d.mkdir()
        (project / ".env").write_text("CACHE_TTL_SECONDS=300\n")
        (backups / "crm.sql").write_text("-- dump\n")
        (project / "readiness.toml").write_text(f'[target]\nsystem_root = "/"\nbackup_dir = "{backups}"\n')
        for path in (project, home, backups, *project.iterdir(), *backups.iterdir()):
            os.chown(path, NOBODY, NOBODY)
        done = _as_nobody("check", str(project), "--only", "6.1", "--format", "json", home=home)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    item = _items(done.stdout)["6.1"]
    assert item["status"] in ("warn", "pass"), item
    assert "PermissionError" not in json.dumps(item)
    assert str(SPOOL) in item["evidence"]["backup_schedule_unreadable"]
    assert item["evidence"]["backup_newest"] == str(backups / "crm.sql")


def test_backup_dir_over_pseudo_filesystems_counts_none_of_them(project: Path, tmp_path: Path) -> None:
    """Before: `backup_dir = "/"` counted /proc entries as backups (always "fresh")."""
    need(ROOT, "root (to mount /proc inside a backup directory)")
    backups = tmp_path / "backups"
    (backups / "proc").mkdir(parents=True)
    old = backups / "db-2020.sql"
    old.write_text("-- dump\n")
    os.utime(old, (time.time() - 10 * 86400, time.time() - 10 * 86400))
    done = subprocess.run(["mount", "-t", "proc", "proc", str(backups / "proc")], capture_output=True)
    need(done.returncode == 0, "permission to mount proc")
    try:
        (project / "readiness.toml").write_text(f'[target]\nsystem_root = "{tmp_path}"\nbackup_dir = "{backups}"\n')
        done = run_cli("check", str(project), "--only", "6.1", "--format", "json")
    finally:
        subprocess.run(["umount", "-l", str(backups / "proc")], capture_output=True)
    item = _items(done.stdout)["6.1"]
    assert item["status"] == "fail", item
    assert item["evidence"]["backup_newest"] == str(old)
    assert item["evidence"]["backup_files_seen"] == 1


def test_backup_dir_root_never_picks_a_pseudo_file(project: Path, tmp_path: Path) -> None:
    (project / "readiness.toml").write_text(f'[target]\nsystem_root = "{tmp_path}"\nbackup_dir = "/"\n')
    done = run_cli("check", str(project), "--only", "6.1,6.2", "--format", "json", "--timeout", "30")
    items = _items(done.stdout)
    newest = items["6.1"]["evidence"].get("backup_newest", "")
    assert newest and not newest.startswith(("/proc/", "/sys/", "/dev/")), items["6.1"]
    assert not any(f.startswith(("proc/", "sys/", "dev/")) for f in items["6.2"]["evidence"].get("config_backups", []))


# --- --timeout bounds the whole run -----------------------------------------------------------------------

def _hang(conn: socket.socket) -> None:
    conn.settimeout(None)
    while conn.recv(4096):
        pass


@pytest.fixture
def hanging_project(tmp_path: Path) -> Iterator[Path]:
    server = RawServer(_hang)
    p = tmp_path / "hang"
    p.mkdir()
    (p / ".env").write_text(f"BACKEND_API_URL={server.url}\nFRONTEND_URL={server.url}\nCACHE_TTL_SECONDS=300\n")
    yield p
    server.stop()


def _timed(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    done = run_cli(*args, timeout=120)
    return time.monotonic() - started, done


@pytest.mark.parametrize("only", [None, "4.7", "3.7"])
def test_timeout_bounds_the_whole_run(hanging_project: Path, only: str | None) -> None:
    """Before: `--timeout 3` against a backend that never answers took 8.5–10 s (the load test ignored it).

    The promise is T + 2 s for the run; the interpreter's start-up and the report (measured here on a one-item
    run of the same project) come on top on a loaded machine.
    """
    timeout = 3.0
    startup, _ = _timed("check", str(hanging_project), "--only", "4.1", "--format", "json")
    only_args = ["--only", only] if only else []
    wall, done = _timed("check", str(hanging_project), *only_args, "--timeout", f"{timeout:g}", "--format", "json")
    assert done.returncode == 1, done.stderr
    assert wall <= timeout + 2 + startup, f"run took {wall:.2f} s (start-up {startup:.2f} s)"
    items = _items(done.stdout)
    for item_id in ("4.7", "3.7"):
        if only in (None, item_id):
            assert items[item_id]["status"] == "error", items[item_id]


def test_ca_bundle_that_is_a_fifo(hanging_project: Path) -> None:
    """Before: a `ca_bundle` FIFO made `check` hang past --timeout."""
    os.mkfifo(hanging_project / "ca.pem")
    (hanging_project / "readiness.toml").write_text('[target]\nca_bundle = "ca.pem"\n')
    wall, done = _timed("check", str(hanging_project), "--timeout", "3")
    assert wall < 3 + 10
    assert done.returncode == 2
    assert f"{hanging_project / 'ca.pem'}: not a regular file (a FIFO)" in _one_line(done.stderr)


def _deep_json(conn: socket.socket) -> None:
    """Answer every request with 200 and a JSON body nested 3 000 deep (deeper than Python's parser goes, within
    the 4 kB the health sampler reads)."""
    from fixtures.http_servers import _read_request

    _read_request(conn)
    body = b"[" * 3_000 + b"]" * 3_000
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n%s" % (len(body), body))
    conn.close()


def test_json_nested_too_deep_from_a_server_is_an_answer_not_a_crash(project: Path) -> None:
    """The health sampler of `deploy verify` and the uptime source of 10.x parsed server JSON unguarded: a body
    nested deeper than the parser goes was a RecursionError (a traceback out of `deploy verify`)."""
    from readiness_tui.checks.deploy import _uptime

    from readiness_tui.deploy import sample_health
    from readiness_tui.target import open_target

    server = RawServer(_deep_json)
    try:
        (project / "readiness.toml").write_text(f'[target]\nbackend_url = "{server.url}"\n')
        ok, _total, failures = sample_health(open_target(project), samples=1, interval=0)
        assert ok == 0 and failures[f"{server.url}/health"] == 1
        value, why = _uptime(server.url, timeout=60)  # a generous bound: a loaded machine is not the subject
        assert value is None and why == "uptime source unreadable: RecursionError"
    finally:
        server.stop()


# --- no terminal -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [[], ["tui"], ["tui", "{proj}"], ["--checklist", "{proj}/x.toml"]],
                         ids=lambda v: " ".join(v) or "bare")
def test_wizard_without_a_terminal_says_how_to_run_headless(project: Path, args: list[str]) -> None:
    """Before: `readiness tui` or a bare `readiness` with no terminal hung forever."""
    done = subprocess.run([sys.executable, "-m", "readiness_tui", *[a.format(proj=project) for a in args]],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=cli_env(), cwd=project,
                          timeout=30)
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert "needs a terminal" in line and "readiness check" in line


# --- the wizard's start screen says a damaged record ---------------------------------------------------

async def test_wizard_says_a_damaged_record(project: Path) -> None:
    """The wizard meets a damaged record at start (and later, written by another process): it says so."""
    from readiness_tui.screens.app import make_app

    state = project / ".readiness"
    state.mkdir()
    (state / "run.json").write_text('{"schema": 1, "results": "x"}')
    app = make_app(project, run_checks=False)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 20
        while not app.ready:
            assert time.monotonic() < deadline, "the wizard did not open the project"
            await pilot.pause(0.05)
        assert [n for n in notes if "damaged (`results` must be an object" in n and "kept aside" in n], notes
        (state / "run.json").write_text('{"schema": 1, "run_id": "trunc')
        app.reload_record()
        while not [n for n in notes if "damaged (line 1" in n]:
            assert time.monotonic() < deadline, notes
            await pilot.pause(0.05)
    assert len(list(state.glob("run.json.corrupt-*"))) == 2
