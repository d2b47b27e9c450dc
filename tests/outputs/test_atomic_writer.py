"""The one atomic writer (:mod:`forceprot.atomic`): a set of files appears together or not
at all, nothing that exists at commit time is replaced without ``overwrite``, an overwrite leaves
no stale file, failures and signals leave nothing behind, stale temps of dead processes go.

Concurrency and signal tests run real processes (a small script on the writer: each takes about
a second, no simulation)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from forceprot.errors import OutputError
from forceprot import atomic as files
from forceprot.atomic import (TEMP_TAG, atomic_file, remove_stale_temps,
                                     write_file_set)

ROOT = Path(__file__).resolve().parents[2]
#: How long a helper process may take to reach the point the test waits for [s].
READY_TIMEOUT_S = 20.0


def _text(value: str):
    return lambda p: p.write_text(value)


def _listing(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_a_set_appears_whole_and_no_temp_remains(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = write_file_set(out, {"a.txt": _text("A"), "b.txt": _text("B")})
    assert written == [out / "a.txt", out / "b.txt"]
    assert _listing(out) == {"a.txt": "A", "b.txt": "B"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_writer_leaves_no_folder_and_no_temp(tmp_path: Path) -> None:
    def broken(path: Path) -> None:
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_file_set(tmp_path / "out", {"a.txt": _text("A"), "b.txt": broken})
    assert list(tmp_path.iterdir()) == [], "a failed set left something behind"


def test_os_error_while_writing_is_an_output_error(tmp_path: Path) -> None:
    def full(path: Path) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="cannot write b.txt: No space left on device"):
        write_file_set(tmp_path / "out", {"a.txt": _text("A"), "b.txt": full})
    assert list(tmp_path.iterdir()) == []


def test_a_folder_committed_meanwhile_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"

    def other_run_commits_first(path: Path) -> None:
        path.write_text("mine")
        out.mkdir()
        (out / "a.txt").write_text("theirs")

    with pytest.raises(OutputError, match="another run wrote this folder first"):
        write_file_set(out, {"a.txt": other_run_commits_first})
    assert _listing(out) == {"a.txt": "theirs"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_empty_folder_is_filled(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    write_file_set(tmp_path / "out", {"a.txt": _text("A")})
    assert _listing(tmp_path / "out") == {"a.txt": "A"}


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename-aside"])
def test_overwrite_leaves_no_stale_file(tmp_path: Path, monkeypatch, exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr(files, "_renameat2", lambda *a: False)
    out = tmp_path / "out"
    write_file_set(out, {"a.txt": _text("old"), "extra.gpkg": _text("old")},
                   replaceable=["a.txt", "extra.gpkg"])
    write_file_set(out, {"a.txt": _text("new")}, overwrite=True,
                   replaceable=["a.txt", "extra.gpkg"])
    assert _listing(out) == {"a.txt": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_without_overwrite_existing_outputs_are_refused_up_front(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_file_set(out, {"a.txt": _text("old")})
    with pytest.raises(OutputError, match=r"would overwrite a.txt \(use --overwrite\)"):
        write_file_set(out, {"a.txt": _text("new")})
    assert _listing(out) == {"a.txt": "old"}


@pytest.mark.parametrize("overwrite", [False, True])
def test_unrelated_files_are_refused_even_with_overwrite(tmp_path: Path, overwrite) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="holds notes.txt, which forceprot does not write"):
        write_file_set(out, {"a.txt": _text("new")}, overwrite=overwrite)
    assert _listing(out) == {"notes.txt": "mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename-aside"])
def test_a_file_added_during_the_run_stops_the_overwrite(tmp_path: Path, monkeypatch,
                                                         exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr(files, "_renameat2", lambda *a: False)
    out = tmp_path / "out"
    write_file_set(out, {"a.txt": _text("old")})

    def user_saves_notes_meanwhile(path: Path) -> None:
        path.write_text("new")
        (out / "notes.txt").write_text("mine")

    with pytest.raises(OutputError, match="holds notes.txt"):
        write_file_set(out, {"a.txt": user_saves_notes_meanwhile}, overwrite=True)
    assert _listing(out) == {"a.txt": "old", "notes.txt": "mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_single_file_is_never_replaced_without_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    with pytest.raises(OutputError, match="file exists"):
        with atomic_file(target) as tmp:
            tmp.write_text("mine")
            target.write_text("theirs")  # another process got there first
    assert target.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schema.json"]
    with atomic_file(target, overwrite=True) as tmp:
        tmp.write_text("mine")
    assert target.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schema.json"]


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_stale_temps_of_dead_processes_are_removed(tmp_path: Path) -> None:
    host = files._host()
    dead, alive = _dead_pid(), os.getppid()
    stale_dir = tmp_path / f".out.{TEMP_TAG}.{host}.{dead}.0a1b2c3d"
    stale_dir.mkdir()
    (stale_dir / "leak_grid.geojson").write_text("partial")
    stale_file = tmp_path / f".family.npz.{TEMP_TAG}.{host}.{dead}.deadbeef.npz"
    stale_file.write_text("partial")
    live = tmp_path / f".other.{TEMP_TAG}.{host}.{alive}.12345678"
    live.mkdir()
    elsewhere = tmp_path / f".other.{TEMP_TAG}.otherhost.{dead}.12345678"
    elsewhere.mkdir()
    user = tmp_path / ".hidden-user-file"
    user.write_text("mine")

    write_file_set(tmp_path / "out", {"a.txt": _text("A")})

    assert not stale_dir.exists() and not stale_file.exists()
    assert live.exists(), "a live process's temp was removed"
    assert elsewhere.exists(), "another host's temp was removed"
    assert user.read_text() == "mine"
    assert remove_stale_temps(tmp_path) == []


def test_family_cache_write_clears_a_killed_builders_temp(tmp_path: Path) -> None:
    from forceprot import ballistics

    family = ballistics.build_family("107mm", wind_speed_mps=3.0, ground_altitude_m=40.0,
                                     n_elevations=6, n_relaz=4, n_nodes=9)
    stale = tmp_path / f".family-x.npz.{TEMP_TAG}.{files._host()}.{_dead_pid()}.0badf00d.npz"
    stale.write_bytes(b"partial")
    ballistics._store_family(tmp_path / "family-x.npz", "key", family)
    assert [p.name for p in tmp_path.iterdir()] == ["family-x.npz"]


# --- real processes --------------------------------------------------------------------------

#: A process writing a set of files whose writers report progress and wait on a file, and which
#: reports errors as the CLI does (one line, exit 2). argv: out_dir sync_dir token overwrite.
WRITER_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from forceprot.errors import ForceprotError
    from forceprot.atomic import write_file_set
    from forceprot.signals import install_signal_handlers

    install_signal_handlers()
    out, sync, token, overwrite = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]

    def slow(path):
        path.write_text(token * 100_000)  # a partial output on disk
        (sync / f"ready.{token}").touch()
        while not (sync / "go").exists():
            time.sleep(0.01)

    writers = {f"{name}.txt": (lambda p: p.write_text(token)) for name in "abcdefgh"}
    writers["leak_grid.geojson"] = slow
    try:
        write_file_set(out, writers, overwrite=overwrite == "1")
    except ForceprotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
""")


def _start_writer(out: Path, sync: Path, token: str, *, overwrite: bool = False):
    script = sync / "writer.py"
    if not script.exists():
        script.write_text(WRITER_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(script), str(out), str(sync), token,
                             "1" if overwrite else "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(path: Path, proc) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"writer exited early ({proc.returncode}): {proc.stderr.read()}")
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_mid_write_removes_every_temp(tmp_path: Path, signum: int) -> None:
    work, sync = tmp_path / "work", tmp_path / "sync"
    work.mkdir()
    sync.mkdir()
    proc = _start_writer(work / "out", sync, "x")
    _wait_for(sync / "ready.x", proc)
    assert any(TEMP_TAG in p.name for p in work.iterdir()), "no temp folder to clean up"
    proc.send_signal(signum)
    proc.wait(timeout=READY_TIMEOUT_S)
    if signum == signal.SIGINT:  # KeyboardInterrupt: Python re-raises SIGINT as it exits
        assert proc.returncode == -signal.SIGINT, proc.returncode
    else:  # what a shell reports for a death by signal, and no traceback
        stderr = proc.stderr.read()
        assert proc.returncode == 128 + signum, stderr
        assert "Traceback" not in stderr, stderr
    assert list(work.iterdir()) == [], f"left behind: {[p.name for p in work.iterdir()]}"


def test_a_sigkilled_writers_temps_are_cleaned_by_the_next_run(tmp_path: Path) -> None:
    work, sync = tmp_path / "work", tmp_path / "sync"
    work.mkdir()
    sync.mkdir()
    proc = _start_writer(work / "out", sync, "x")
    _wait_for(sync / "ready.x", proc)
    proc.kill()
    proc.wait(timeout=READY_TIMEOUT_S)
    assert any(TEMP_TAG in p.name for p in work.iterdir())
    write_file_set(work / "out", {"a.txt": _text("A")})
    assert sorted(p.name for p in work.iterdir()) == ["out"]


def test_two_processes_into_one_folder_exactly_one_wins(tmp_path: Path) -> None:
    work, sync = tmp_path / "work", tmp_path / "sync"
    work.mkdir()
    sync.mkdir()
    out = work / "out"
    procs = {t: _start_writer(out, sync, t) for t in ("p", "q")}
    for t, proc in procs.items():
        _wait_for(sync / f"ready.{t}", proc)  # both past the up-front check, mid-write
    (sync / "go").touch()
    codes = {t: proc.wait(timeout=READY_TIMEOUT_S) for t, proc in procs.items()}
    errors = {t: proc.stderr.read() for t, proc in procs.items()}
    assert sorted(codes.values()) == [0, 2], (codes, errors)
    winner = next(t for t, c in codes.items() if c == 0)
    loser = next(t for t, c in codes.items() if c == 2)
    lines = [ln for ln in errors[loser].splitlines() if ln.strip()]
    assert len(lines) == 1 and "another run wrote this folder first" in lines[0], errors[loser]
    contents = _listing(out)
    assert sorted(contents) == sorted([f"{n}.txt" for n in "abcdefgh"] + ["leak_grid.geojson"])
    assert set("".join(contents.values())) == {winner}, "the winner's set was mixed or replaced"
    assert sorted(p.name for p in work.iterdir()) == ["out"]


@pytest.mark.slow
def test_sigterm_during_run_out_leaves_nothing(tmp_path: Path) -> None:
    """The real command: SIGTERM while ``run --out`` writes its files; exit 143, no folder, no
    temp (before the fix: an empty out folder and hidden partial files)."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "forceprot", "run",
                             str(ROOT / "sites" / "taji.toml"), "--salvos", "512", "--out",
                             str(out), "--gpkg"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 300.0  # a cold numba cache compiles first
    while not any(TEMP_TAG in p.name for p in tmp_path.iterdir()):
        assert proc.poll() is None, f"finished before writing was caught: {proc.returncode}"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr, stderr
    assert list(tmp_path.iterdir()) == [], [p.name for p in tmp_path.iterdir()]
