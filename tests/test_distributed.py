"""Chapter 01's search with a chief and workers on 127.0.0.1 (``python -m labkit tune``)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port

from labkit.classifiers.tuning import distributed

#: A tiny search: 4 coarse and 2 fine trials of one epoch on 400 MNIST images.
TINY = ["--profile", "smoke", "--dataset", "mnist", "--model", "mlp", "--subset", "400",
        "--coarse-trials", "4", "--fine-trials", "2", "--epochs", "1"]  # fmt: skip
LIMIT = 100  # seconds: the whole cluster is stopped after this, whatever happens


def _nobody_listens(port: int) -> bool:
    """True when a connection to the port is refused. (Binding it is no test: the chief's
    closed connections may sit in TIME_WAIT on that port for a minute after it exits.)"""
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


class Cluster:
    """A chief and workers as subprocesses, each writing its log to a file; every process
    still running is killed on exit, so a failing test leaves nothing behind."""

    def __init__(self, root: Path, data_root: Path, limit: float = LIMIT) -> None:
        self.root, self.port, self.limit = root, free_port(), limit
        self.env = {**os.environ, "LABKIT_DATA_DIR": str(data_root), "PYTHONUNBUFFERED": "1",
                    "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}  # fmt: skip
        for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
            self.env.pop(name, None)
        self.procs: dict[str, subprocess.Popen] = {}
        self.started = time.monotonic()

    def start(self, name: str, *role: str, extra: tuple[str, ...] = ()) -> None:
        where = ["--port", str(self.port)]  # the chief's default address: 127.0.0.1
        where += ["--address", "127.0.0.1"] if "--worker" in role else []
        cmd = [sys.executable, "-m", "labkit", "tune", *role, *TINY, *where,
               "--directory", str(self.root / "tuning"), *extra]  # fmt: skip
        with (self.root / f"{name}.log").open("w") as log:  # the child keeps its own handle
            self.procs[name] = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.root
            )

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text()

    def wait_for(self, name: str, pattern: str) -> re.Match:
        while time.monotonic() - self.started < self.limit:
            match = re.search(pattern, self.log(name))
            if match:
                return match
            assert self.procs[name].poll() is None, f"{name} ended early:\n{self.log(name)}"
            time.sleep(0.1)
        raise TimeoutError(f"no {pattern!r} in {name}'s log within {self.limit} s")

    def finish(self) -> dict[str, int]:
        """Wait (within the limit) for every process; their exit codes."""
        codes = {}
        for name, proc in self.procs.items():
            left = max(1.0, self.limit - (time.monotonic() - self.started))
            try:
                codes[name] = proc.wait(timeout=left)
            except subprocess.TimeoutExpired:
                codes[name] = None
        return codes

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _trials(root: Path) -> dict[str, list[str]]:
    """The status of every trial the chief's oracle recorded, per stage."""
    out = {}
    for stage in ("coarse", "fine"):
        (project,) = (root / "tuning").glob(f"mnist-mlp-{stage}-*")
        out[stage] = sorted(
            json.loads(p.read_text())["status"] for p in project.glob("trial_*/trial.json")
        )
    return out


CHIEF = ("--chief",)
FAST = ("--lost-after", "8", "--time-limit", str(LIMIT - 10))


@pytest.mark.slow
def test_a_chief_and_two_workers_share_the_search(tmp_path, data_root, monkeypatch):
    with Cluster(tmp_path, data_root) as c:
        c.start("chief", *CHIEF, extra=FAST)
        c.wait_for("chief", r"serving on 127\.0\.0\.1:")  # no --address: this machine only
        for w in ("w1", "w2"):
            c.start(w, "--worker", w, extra=("--heartbeat", "0.5"))
        codes = c.finish()
    assert codes == {"chief": 0, "w1": 0, "w2": 0}, c.log("chief")
    chief = c.log("chief")
    by = re.findall(r"(coarse|fine) trial (\d+) completed by (w\d)", chief)
    assert len(by) == 6 and {w for *_, w in by} == {"w1", "w2"}, chief  # both did trials
    assert "warning" not in chief  # loopback is not exposed
    assert "lost" not in chief  # both left when told, without the chief waiting them out
    assert _trials(tmp_path) == {"coarse": ["COMPLETED"] * 4, "fine": ["COMPLETED"] * 2}
    trained = sum(int(re.search(r"(\d+) trial\(s\) trained", c.log(w))[1]) for w in ("w1", "w2"))
    assert trained == 6  # every trial trained once
    assert _nobody_listens(c.port)

    # chapter 01's own search over the same folder finds every trial done: nothing trains
    import keras

    from labkit.classifiers import tuning

    monkeypatch.setenv("LABKIT_DATA_DIR", str(data_root))
    sizes = {"subset": 400, "coarse_trials": 4, "fine_trials": 2, "epochs": 1}
    s = distributed.chapter_search("mnist", "mlp", "smoke", directory=tmp_path / "tuning", **sizes)
    monkeypatch.setattr(keras.Model, "fit", lambda *a, **k: pytest.fail("a trial trained again"))
    result = tuning.coarse_to_fine(
        s.split, space=s.space, first=s.first, directory=s.directory, name=s.name,
        coarse_trials=4, fine_trials=2, epochs=1, seed=0,
    )  # fmt: skip
    assert len(result.table()) == 6


@pytest.mark.slow
def test_the_search_survives_a_worker_killed_mid_trial(tmp_path, data_root):
    with Cluster(tmp_path, data_root) as c:
        c.start("chief", *CHIEF, extra=FAST)
        c.wait_for("chief", r"serving on 127\.0\.0\.1:")  # no --address: this machine only
        for w in ("w1", "w2"):
            c.start(w, "--worker", w, extra=("--heartbeat", "0.5"))
        stage, trial = c.wait_for("w2", r"(coarse|fine) trial (\d+) started").groups()
        c.procs["w2"].kill()  # mid-trial: no word to the chief, ever again
        codes = c.finish()
    chief = c.log("chief")
    assert codes["chief"] == 0 and codes["w1"] == 0, chief
    assert f"worker w2 lost (silent for 8 s); trial {trial} goes back in the queue" in chief
    assert f"{stage} trial {trial} completed by w1" in chief  # the survivor took it over
    assert _trials(tmp_path) == {"coarse": ["COMPLETED"] * 4, "fine": ["COMPLETED"] * 2}
    assert _nobody_listens(c.port)


@pytest.mark.slow
def test_a_worker_of_another_search_is_refused_and_a_second_chief_cannot_share_the_port(
    tmp_path, data_root
):
    with Cluster(tmp_path, data_root, limit=3 * LIMIT) as c:  # three more processes start
        slow = ("--lost-after", "8", "--time-limit", str(3 * LIMIT - 10))
        c.start("chief", *CHIEF, extra=slow)
        c.wait_for("chief", r"serving on 127\.0\.0\.1:")
        c.start("chief2", *CHIEF, extra=slow)  # a classmate's chief on the same port
        assert c.procs["chief2"].wait(timeout=c.limit) == 1
        assert "the port is in use" in c.log("chief2"), c.log("chief2")
        fashion = [a if a != "mnist" else "fashion_mnist" for a in TINY]
        where = ["--port", str(c.port), "--address", "127.0.0.1"]
        cmd = [sys.executable, "-m", "labkit", "tune", "--worker", "fw", *fashion, *where,
               "--directory", str(tmp_path / "elsewhere")]  # fmt: skip
        wrong = subprocess.run(cmd, capture_output=True, text=True, env=c.env, timeout=c.limit)
        assert wrong.returncode == 1, wrong.stderr
        assert "refused this worker: its search differs from the chief's" in wrong.stderr
        assert "search: worker 'fashion_mnist-mlp', chief 'mnist-mlp'" in wrong.stderr
        assert "trial" not in wrong.stdout  # it trained nothing
        c.start("w1", "--worker", "w1", extra=("--heartbeat", "0.5"))  # the right one
        codes = c.finish()
    assert codes["chief"] == 0 and codes["w1"] == 0, c.log("chief")
    assert "refused worker fw" in c.log("chief")
    assert "completed by fw" not in c.log("chief")
    assert _trials(tmp_path) == {"coarse": ["COMPLETED"] * 4, "fine": ["COMPLETED"] * 2}


@pytest.mark.slow
def test_a_chief_killed_mid_stage_resumes_with_the_trials_not_done(tmp_path, data_root):
    with Cluster(tmp_path, data_root, limit=3 * LIMIT) as c:  # a chief and a worker twice
        slow = ("--lost-after", "8", "--time-limit", str(3 * LIMIT - 10))
        c.start("chief", *CHIEF, extra=slow)
        c.wait_for("chief", r"serving on 127\.0\.0\.1:")
        c.start("w1", "--worker", "w1", extra=("--heartbeat", "0.5", "--chief-wait", "5"))
        c.wait_for("chief", r"coarse trial 1 completed by w1")
        c.procs["chief"].kill()  # mid-stage: two of four coarse trials done
        c.procs["chief"].wait()
        assert c.procs["w1"].wait(timeout=c.limit) == 1  # told, not left waiting an hour
        assert "no chief answered at 127.0.0.1" in c.log("w1"), c.log("w1")
        assert "Traceback" not in c.log("w1")
        c.start("chief-again", *CHIEF, extra=slow)
        before = int(c.wait_for("chief-again", r"coarse search: 4 trials, (\d+) done before")[1])
        c.start("w2", "--worker", "w2", extra=("--heartbeat", "0.5"))
        codes = {k: v for k, v in c.finish().items() if k in ("chief-again", "w2")}
    assert codes == {"chief-again": 0, "w2": 0}, c.log("chief-again")
    assert before >= 2, c.log("chief-again")
    again = re.findall(r"coarse trial (\d+) completed by w2", c.log("chief-again"))
    assert len(again) == 4 - before  # only the trials not done were handed out again
    assert _trials(tmp_path) == {"coarse": ["COMPLETED"] * 4, "fine": ["COMPLETED"] * 2}


def test_ports_and_sizes_are_checked_before_anything_starts(capsys):
    from labkit.book import cli

    for port in (0, -1, 65536, True, "80"):
        with pytest.raises(ValueError, match="from 1 to 65535"):
            distributed.valid_port(port)
    for bad in ("99999", "-1"):
        with pytest.raises(SystemExit):
            cli._parser().parse_args(["tune", "--chief", "--port", bad])
        assert "a port is from 1 to 65535" in capsys.readouterr().err
    for size in ("coarse_trials", "fine_trials", "epochs"):
        with pytest.raises(ValueError, match=f"{size} must be at least 1, got -1"):
            distributed.chapter_search("mnist", "mlp", "smoke", **{size: -1})


def test_the_chapter_and_the_module_start_from_the_same_trial():
    """Both read tuning.HAND_SET and tuning.space (tuning.SPACES at the profile's precision);
    the chapter keeps no copy of its own."""
    from labkit import project_root

    nb = json.loads((project_root() / "notebooks" / "01_mlp_cnn_tuning.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "first=tuning.HAND_SET[kind]" in code and "tuning.space(kind, precision)" in code
    assert "HAND_SET = " not in code and "SPACES = " not in code
    import inspect

    module = inspect.getsource(distributed.chapter_search)
    assert (
        "first=tuning.HAND_SET[kind]" in module and 'tuning.space(kind, cfg["precision"])' in module
    )


def test_a_worker_needs_the_chiefs_address(capsys, monkeypatch):
    from labkit.book import cli

    monkeypatch.delenv("KERASTUNER_ORACLE_IP", raising=False)
    assert cli.main(["tune", "--worker", "w1", "--profile", "smoke"]) == 2
    assert "--address HOST or KERASTUNER_ORACLE_IP" in capsys.readouterr().err


def test_bad_worker_ids_and_searches_are_named():
    with pytest.raises(ValueError, match="without '@' or 'chief'"):
        distributed.run_worker(None, worker="a@b", address="127.0.0.1", port=1)
    with pytest.raises(ValueError, match="must be one of mnist, fashion_mnist"):
        distributed.chapter_search("cifar", "mlp", "smoke")
    with pytest.raises(ValueError, match="must be one of mlp, cnn"):
        distributed.chapter_search("mnist", "rnn", "smoke")


def test_the_port_comes_from_keras_tuners_variable_and_a_bad_one_is_named(monkeypatch, capsys):
    from labkit.book import cli

    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "9123")
    assert cli._parser().parse_args(["tune", "--chief"]).port == 9123
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "abc")
    assert cli._parser().parse_args(["list"]).command == "list"  # other commands unaffected
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["tune", "--chief"])
    assert "invalid int value: 'abc'" in capsys.readouterr().err


def test_the_chief_listens_on_this_machine_unless_told_otherwise(monkeypatch, capsys):
    from labkit.book import cli

    seen: list[str] = []

    def fake_chief(search, *, address, **_):
        seen.append(address)
        raise OSError("stopped by the test")

    monkeypatch.setattr(distributed, "run_chief", fake_chief)
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "0.0.0.0")  # a worker's variable, not the chief's
    assert cli.main(["tune", "--chief", *TINY]) == 1
    assert cli.main(["tune", "--chief", *TINY, "--address", "0.0.0.0"]) == 1
    assert seen == ["127.0.0.1", "0.0.0.0"]
    assert "stopped by the test" in capsys.readouterr().err


def test_an_exposed_address_is_told_apart_from_this_machine():
    assert not any(
        map(distributed.exposed, ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost"])
    )
    assert all(map(distributed.exposed, ["0.0.0.0", "::", "192.168.1.5", "chief.example.org"]))
