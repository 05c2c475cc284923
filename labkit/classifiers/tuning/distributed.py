"""Chapter 01's keras-tuner search on several machines: one chief, any number of workers.

keras-tuner's own distribution: the *chief* holds the oracle (which trial runs next, every
trial's score) and serves it over gRPC; each *worker* asks it for a trial, trains it on its own
copy of the data and reports the score. A worker finds the chief through keras-tuner's
environment variables ``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT`` and names itself
with ``KERASTUNER_TUNER_ID`` (``python -m labkit tune`` sets them from its options).

What this adds to keras-tuner's chief:

* **workers checked against their chief**: a worker sends its search's identity
  (:meth:`Search.identity`: dataset, model, seed, images, epochs, trials, the data's and the
  code's digests) with every call; the chief refuses one whose identity differs, naming what
  differs, so a worker started with another dataset or profile cannot put its scores in this
  search. A worker whose chief stops answering waits ``chief_wait`` seconds (default 120), then
  exits with a message, not an hour of silence or a gRPC traceback;
* **one chief per port**: the port is bound exclusively (gRPC's default on Linux lets two
  servers share it), so a second chief on it is refused with a clear error;
* **a chief that resumes mid-stage**: the oracle's state is written after every finished trial
  and reloaded when the chief restarts (:class:`labkit.classifiers.tuning.SeededRandomSearch`),
  so only the trials not done are handed out again;

* **both stages of the coarse-to-fine search** behind one address: the chief serves the coarse
  search, narrows the space around its best trial (:meth:`labkit.classifiers.tuning.Space.narrow`)
  and serves the fine one; workers ask for the stage they are in and wait while the chief moves
  on;
* **a lost worker costs one trial, not the search**: a worker sends a heartbeat while it
  searches; when the chief has not heard from one for ``lost_after`` seconds, its unfinished
  trial goes back in the queue for another worker (keras-tuner's chief would wait for it
  forever), and the last trials wait for the workers still running theirs;
* **the same folder as the chapter**: the chief keeps its state where chapter 01's search
  keeps it (``reports/<profile>/tuning/``, the same project names), as a one-machine search
  would, so chapter 01 afterwards finds every trial done and goes on to its final models, and a
  chief restarted after an interruption resumes where it stopped.

Workers keep no state the chief needs: they may share the chief's folder or not.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keras_tuner.errors import FatalError

from ... import data, profiles, run_record
from .. import tuning

__all__ = [
    "Search",
    "chapter_search",
    "run_chief",
    "run_worker",
    "stage_complete",
]

#: The stages of a search, in order.
STAGES = ("coarse", "fine")
#: The heartbeat's gRPC metadata key (the worker's id).
_WHO = "labkit-worker"
#: The gRPC metadata key of the worker's search identity (:meth:`Search.identity`, as JSON).
_IDENTITY = "labkit-search"


class WorkerMismatch(FatalError, ValueError):
    """The worker's search is not its chief's (fatal to keras-tuner: not a failed trial)."""


class ChiefLost(FatalError, OSError):
    """The chief did not answer within the worker's ``chief_wait`` (fatal to keras-tuner)."""


def valid_port(port: int) -> int:
    """``port`` if it is a TCP port a chief can listen on (1-65535); else a ``ValueError``."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"a port must be an integer from 1 to 65535, got {port!r}")
    return port


@dataclass(frozen=True)
class Search:
    """One coarse-to-fine search: what chapter 01 runs for one dataset and model."""

    dataset: str
    kind: str
    split: data.Split
    space: tuning.Space | tuning.CNNSpace
    first: dict[str, Any] | None
    directory: Path
    name: str
    coarse_trials: int
    fine_trials: int
    epochs: int
    seed: int = 0
    batch_size: int = 128

    def tuner(self, stage: str, space: tuning.Space | tuning.CNNSpace | None = None) -> Any:
        """The keras-tuner tuner of ``stage`` ("coarse" or "fine"), exactly as
        :func:`labkit.classifiers.tuning.search` makes it (same project folder), reloaded if it
        exists."""
        return tuning.make_tuner(
            space or self.space,
            self.split,
            name=f"{self.name}-{stage}",
            trials=self.coarse_trials if stage == "coarse" else self.fine_trials,
            epochs=self.epochs,
            seed=self.seed,
            batch_size=self.batch_size,
            first=self.first if stage == "coarse" else None,
            directory=self.directory,
        )

    def identity(self) -> dict[str, Any]:
        """What a worker and its chief must agree on: the search's dataset, model, seed, sizes,
        the data's digest and the code a trial runs (the tuner projects' code digest). The
        folder is not in it: a worker may keep its small files elsewhere."""
        from ...stores import TUNER_PROJECTS

        return {
            "search": self.name,
            "seed": self.seed,
            "train_images": len(self.split.y_train),
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "coarse_trials": self.coarse_trials,
            "fine_trials": self.fine_trials,
            "data": self.split.digest,
            "code": TUNER_PROJECTS.code()[:16],
        }

    def fit_args(self) -> tuple[tuple, dict[str, Any]]:
        """What a worker passes to ``tuner.search`` (as
        :func:`labkit.classifiers.tuning.search` does)."""
        from .. import models

        s = self.split
        return (models.prepare(s.x_train), s.y_train), {
            "validation_data": (models.prepare(s.x_val), s.y_val),
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "verbose": 0,
        }


def chapter_search(
    dataset: str,
    kind: str,
    profile: str,
    seed: int = 0,
    *,
    directory: Path | str | None = None,
    subset: int | None = None,
    coarse_trials: int | None = None,
    fine_trials: int | None = None,
    epochs: int | None = None,
) -> Search:
    """Chapter 01's search of ``kind`` ("mlp" or "cnn") on ``dataset`` under ``profile``: its
    split, space, first trial, folder and sizes (each size may be overridden, which makes it
    another search in its own project folder)."""
    if dataset not in data.TITLES:
        raise ValueError(f"unknown dataset {dataset!r}: must be one of {', '.join(data.TITLES)}")
    if kind not in tuning.HAND_SET:
        raise ValueError(f"unknown model {kind!r}: must be one of {', '.join(tuning.HAND_SET)}")
    for what, value, least in (
        ("coarse_trials", coarse_trials, 1), ("fine_trials", fine_trials, 1),
        ("epochs", epochs, 1), ("subset", subset, 10),
    ):  # fmt: skip
        if value is not None and (isinstance(value, bool) or value < least):
            raise ValueError(f"{what} must be at least {least}, got {value}")
    cfg = profiles.get("01_mlp_cnn_tuning", profile)
    (x, y), _ = data.load_dataset(dataset)
    subset = cfg["tune_subset"] if subset is None else subset
    split = data.split(x, y, val=0.15, subset=subset, stratify=True, seed=seed)
    return Search(
        dataset=dataset,
        kind=kind,
        split=split,
        space=tuning.space(kind, cfg["precision"]),
        first=tuning.HAND_SET[kind],
        directory=Path(directory or run_record.reports_dir(profile) / "tuning"),
        name=f"{dataset}-{kind}",
        coarse_trials=cfg["coarse_trials"] if coarse_trials is None else coarse_trials,
        fine_trials=cfg["fine_trials"] if fine_trials is None else fine_trials,
        epochs=cfg["tune_epochs"][kind] if epochs is None else epochs,
        seed=seed,
    )


def stage_complete(oracle: Any) -> bool:
    """True when ``oracle`` has handed out all its trials and every one has ended."""
    return (
        len(oracle.trials) >= oracle.max_trials
        and not oracle.ongoing_trials
        and not oracle._retry_queue
        and all(t.status not in ("RUNNING", "IDLE") for t in oracle.trials.values())
    )


def _requeue(oracle: Any, tuner_id: str) -> str | None:
    """Put ``tuner_id``'s unfinished trial back in ``oracle``'s queue; its trial id, if any."""
    import keras_tuner as kt

    @kt.synchronized
    def locked(oracle: Any) -> str | None:  # keras-tuner's lock of this oracle
        trial = oracle.ongoing_trials.pop(tuner_id, None)
        oracle.tuner_ids.discard(tuner_id)
        if trial is None:
            return None
        oracle._retry_queue.append(trial.trial_id)
        oracle.save()
        return trial.trial_id

    return locked(oracle)


@dataclass
class _State:
    """What the chief's gRPC handlers share with its main loop."""

    stage: str = ""
    oracle: Any = None
    finished: set[str] = field(default_factory=set)
    seen: dict[str, float] = field(default_factory=dict)
    workers: dict[str, str] = field(default_factory=dict)  # worker -> its tuner id
    done_by: dict[str, set[str]] = field(default_factory=dict)  # worker -> "stage/trial"
    stopped: set[str] = field(default_factory=set)  # workers told the last stage is over
    identity: dict[str, Any] = field(default_factory=dict)  # the chief's Search.identity()
    refused: set[str] = field(default_factory=set)  # workers already told they differ
    all_done: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class _TrackingServicer:
    """What the chief adds to keras-tuner's ``OracleServicer`` (mixed in before it by
    :func:`_servicer`): the current stage's oracle, heartbeats, and workers told to stop."""

    state: _State
    idle_wait: float
    echo: Callable[[str], None]

    @property
    def oracle(self) -> Any:
        return self.state.oracle

    @oracle.setter
    def oracle(self, value: Any) -> None:  # the base class sets it once; the stage decides
        pass

    def _status_only(self, status: str) -> Any:
        from keras_tuner.src import protos
        from keras_tuner.src.engine import trial as trial_module

        trial = trial_module.Trial(self.state.oracle.get_space(), status=status)
        return protos.get_service().CreateTrialResponse(trial=trial.to_proto())

    def _check(self, context: Any) -> None:
        """Abort the call unless the caller's search identity is the chief's (naming what
        differs)."""
        import json

        import grpc

        metadata = dict(context.invocation_metadata())
        who = metadata.get(_WHO, "?")
        try:
            theirs = json.loads(metadata.get(_IDENTITY, ""))
        except ValueError:
            theirs = None
        ours = self.state.identity
        if not isinstance(theirs, dict):
            reason = "it sent no search identity (a labkit worker sends one with every call)"
        else:
            differ = [
                f"{k}: worker {theirs.get(k)!r}, chief {ours[k]!r}"
                for k in ours
                if theirs.get(k) != ours[k]
            ]
            if not differ:
                return
            reason = "its search differs from the chief's: " + "; ".join(differ)
        with self.state.lock:
            first = who not in self.state.refused
            self.state.refused.add(who)
        if first:
            self.echo(f"refused worker {who}: {reason}")
        context.abort(grpc.StatusCode.FAILED_PRECONDITION, reason)

    def _saw(self, worker: str) -> None:
        with self.state.lock:
            if worker not in self.state.seen:
                self.echo(f"worker {worker} joined")
            self.state.seen[worker] = time.monotonic()

    def _told(self, worker: str, stage: str) -> None:
        """``worker`` was told ``stage`` is over; after the last stage it will leave."""
        if stage == STAGES[-1]:
            with self.state.lock:
                self.state.stopped.add(worker)

    def GetSpace(self, request: Any, context: Any) -> Any:
        self._check(context)
        who = dict(context.invocation_metadata()).get(_WHO)
        if who:  # a heartbeat
            self._saw(who)
        return super().GetSpace(request, context)

    def CreateTrial(self, request: Any, context: Any) -> Any:
        from keras_tuner.src.engine import trial as trial_module

        self._check(context)
        state = self.state
        worker, _, stage = request.tuner_id.rpartition("@")
        worker = worker or request.tuner_id
        self._saw(worker)
        with state.lock:
            state.workers[worker] = request.tuner_id
            over = state.all_done or stage in state.finished
            current = stage == state.stage
        if over:
            self._told(worker, stage)
            return self._status_only("STOPPED")
        if current:
            response = super().CreateTrial(request, context)
            status = trial_module.TrialStatus.from_proto(response.trial.status)
            if status == "RUNNING":
                self.echo(f"{stage} trial {response.trial.trial_id} -> worker {worker}")
            if status != "STOPPED":
                return response
            if stage_complete(state.oracle):
                self._told(worker, stage)
                return response
        # another stage, or all trials handed out but some still running elsewhere (one may
        # come back if its worker is lost): wait a moment, then the worker asks again
        time.sleep(self.idle_wait)
        return self._status_only("IDLE")

    def UpdateTrial(self, request: Any, context: Any) -> Any:
        self._check(context)
        return super().UpdateTrial(request, context)

    def EndTrial(self, request: Any, context: Any) -> Any:
        self._check(context)
        state, trial_id = self.state, request.trial.trial_id
        ongoing = dict(state.oracle.ongoing_trials)
        tuner_id = next((k for k, t in ongoing.items() if t.trial_id == trial_id), "?")
        response = super().EndTrial(request, context)
        trial = state.oracle.trials[trial_id]
        worker = tuner_id.rpartition("@")[0] or tuner_id
        with state.lock:
            state.done_by.setdefault(worker, set()).add(f"{state.stage}/{trial_id}")
        score = "no score" if trial.score is None else f"val_accuracy {trial.score:.4f}"
        self.echo(f"{state.stage} trial {trial_id} {trial.status.lower()} by {worker}: {score}")
        return response


def _servicer(state: _State, idle_wait: float, echo: Callable[[str], None]) -> Any:
    """keras-tuner's chief servicer, serving the current stage's oracle and tracking workers."""
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    servicer = type("Servicer", (_TrackingServicer, OracleServicer), {})(None)
    servicer.state, servicer.idle_wait, servicer.echo = state, idle_wait, echo
    return servicer


def _drop_lost(state: _State, lost_after: float, echo: Callable[[str], None]) -> None:
    """Forget workers silent for ``lost_after`` seconds; their unfinished trials go back in the
    queue."""
    now = time.monotonic()
    with state.lock:
        lost = [w for w, t in state.seen.items() if now - t > lost_after]
        for w in lost:
            del state.seen[w]
    for w in lost:
        tuner_id = state.workers.get(w, w)
        trial = _requeue(state.oracle, tuner_id) if state.oracle is not None else None
        again = f"; trial {trial} goes back in the queue" if trial else ""
        echo(f"worker {w} lost (silent for {lost_after:g} s){again}")


def _serve_stages(
    search: Search,
    coarse: Any,
    state: _State,
    wait: Callable[[Callable[[], bool]], None],
    echo: Callable[[str], None],
) -> tuning.Result:
    """Hand out the ``coarse`` tuner's trials, then the fine stage's around the coarse best."""
    tuners, fine_space = {"coarse": coarse}, search.space
    for stage in STAGES:
        if stage != "coarse":
            fine_space = search.space.narrow(tuning.best(tuners["coarse"]))
            tuners[stage] = search.tuner("fine", fine_space)
        tuner = tuners[stage]
        tuner.oracle.verbose = 0
        with state.lock:
            state.stage, state.oracle = stage, tuner.oracle
        done = sum(t.status == "COMPLETED" for t in tuner.oracle.trials.values())
        echo(f"{stage} search: {tuner.oracle.max_trials} trials, {done} done before")
        wait(lambda o=tuner.oracle: stage_complete(o))
        tuner.save()
        with state.lock:
            state.finished.add(stage)
    return tuning.Result(tuners["coarse"], tuners["fine"], fine_space)


#: Where a chief listens unless told otherwise: this machine only.
LOOPBACK = "127.0.0.1"


def exposed(address: str) -> bool:
    """True when a chief listening on ``address`` can be reached from other machines."""
    import ipaddress

    if address == "localhost":
        return False
    try:
        return not ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:  # a host name: whatever it resolves to, assume it is reachable
        return True


def run_chief(
    search: Search,
    *,
    address: str = LOOPBACK,
    port: int = 8000,
    lost_after: float = 120.0,
    idle_wait: float = 1.0,
    poll: float = 0.5,
    time_limit: float | None = None,
    echo: Callable[[str], None] = print,
) -> tuning.Result:
    """Serve ``search`` (coarse, then fine) to workers until both stages are complete and
    every worker still alive has been told so; returns the
    :class:`labkit.classifiers.tuning.Result`.

    ``address`` is the interface the chief listens on: 127.0.0.1 (the default) admits workers on
    this machine only. keras-tuner's oracle has no authentication and no encryption: anyone who
    reaches the port can read the search and send it trials and scores. Any other address
    (0.0.0.0 is every interface) is said out loud through ``echo``; keep it inside a trusted
    network.

    A worker silent for ``lost_after`` seconds (no heartbeat) is dropped and its unfinished
    trial goes back in the queue. ``time_limit`` (seconds) stops the chief with a
    ``TimeoutError`` (its state stays on disk: a restarted chief resumes).
    """
    import grpc
    from keras_tuner.src import protos

    valid_port(port)
    state = _State(identity=search.identity())
    # gRPC lets several servers share a port on Linux (SO_REUSEPORT): a second chief would
    # bind beside the first and take half the workers; bound exclusively, it is refused
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16), options=[("grpc.so_reuseport", 0)]
    )
    protos.get_service_grpc().add_OracleServicer_to_server(
        _servicer(state, idle_wait, echo), server
    )
    try:
        bound = server.add_insecure_port(f"{address}:{port}")
    except RuntimeError:  # grpc >= 1.60 raises where older versions returned 0
        bound = 0
    if not bound:
        raise OSError(
            f"the chief cannot listen on {address}:{port}: the port is in use (another chief, "
            "or another program) or the address is not this machine's; choose another --port"
        )
    deadline = None if time_limit is None else time.monotonic() + time_limit

    def wait(until: Callable[[], bool]) -> None:
        while not until():
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"the chief stopped after its time limit of {time_limit} s")
            time.sleep(poll)
            _drop_lost(state, lost_after, echo)

    for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
        os.environ.pop(name, None)  # the chief's tuner is a one-machine tuner ("tuner0")
    coarse = search.tuner("coarse")
    state.stage, state.oracle = "coarse", coarse.oracle
    server.start()
    echo(f"chief of {search.name} serving on {address}:{bound} ({search.directory})")
    if exposed(address):
        echo(
            f"warning: {address}:{bound} is reachable from other machines; the oracle has no "
            "authentication or encryption, so keep this port inside a trusted network"
        )
    try:
        result = _serve_stages(search, coarse, state, wait, echo)
        with state.lock:
            state.all_done = True
        trained = ", ".join(f"{w} {len(t)}" for w, t in sorted(state.done_by.items())) or "none"
        echo(f"search complete (trials trained: {trained}); telling the workers")
        wait(lambda: set(state.seen) <= state.stopped)
    finally:
        server.stop(grace=2).wait()
    return result


class _CheckedStub:
    """A worker's stub to its chief: every call carries the worker's id and search identity,
    waits at most ``chief_wait`` seconds for a chief that does not answer (keras-tuner's client
    waits an hour), and turns gRPC's errors into :class:`WorkerMismatch` (the chief refused
    this worker) or :class:`ChiefLost`."""

    def __init__(self, stub: Any, metadata: tuple, where: str, chief_wait: float) -> None:
        self._stub, self._metadata, self._where, self._wait = stub, metadata, where, chief_wait

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._stub, name)

        def call(request: Any, **kwargs: Any) -> Any:
            import grpc

            kwargs.update(metadata=self._metadata, timeout=self._wait, wait_for_ready=True)
            try:
                return method(request, **kwargs)
            except grpc.RpcError as e:
                code = e.code() if hasattr(e, "code") else None
                if code == grpc.StatusCode.FAILED_PRECONDITION:
                    raise WorkerMismatch(
                        f"the chief at {self._where} refused this worker: {e.details()}; start "
                        "the worker with the chief's --dataset, --model, --profile, --seed and "
                        "sizes"
                    ) from None
                if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise ChiefLost(
                        f"no chief answered at {self._where} for {self._wait:g} s (it stopped, "
                        "or the address or port is wrong); start (or restart: it resumes) the "
                        "chief, then this worker"
                    ) from None
                raise

        return call


def _heartbeat(stub: Any, worker: str, every: float, stop: threading.Event) -> None:
    from keras_tuner.src import protos

    request = protos.get_service().GetSpaceRequest()
    while not stop.wait(every):
        with contextlib.suppress(Exception):  # a missed beat is not an error; silence is
            stub.GetSpace(request, timeout=max(every, 5.0))


def run_worker(
    search: Search,
    *,
    worker: str,
    address: str,
    port: int,
    heartbeat: float = 10.0,
    chief_wait: float = 120.0,
    echo: Callable[[str], None] = print,
) -> int:
    """Train the trials the chief at ``address:port`` hands out, through both stages, until
    it says the search is over; returns the number of trials this worker trained.

    Raises :class:`WorkerMismatch` when the chief serves another search (named), and
    :class:`ChiefLost` when no chief answers for ``chief_wait`` seconds.

    Sets keras-tuner's ``KERASTUNER_TUNER_ID`` / ``KERASTUNER_ORACLE_IP`` /
    ``KERASTUNER_ORACLE_PORT`` for this process. The worker's own folder (``search.directory``)
    holds only its small tuner file.
    """
    if not worker or "@" in worker or "chief" in worker:
        raise ValueError(f"a worker id must be non-empty without '@' or 'chief', got {worker!r}")
    valid_port(port)
    if chief_wait <= 0 or heartbeat <= 0:
        raise ValueError(f"chief_wait and heartbeat must be positive: {chief_wait}, {heartbeat}")
    os.environ.update(
        KERASTUNER_TUNER_ID=f"{worker}@coarse",
        KERASTUNER_ORACLE_IP=address,
        KERASTUNER_ORACLE_PORT=str(port),
    )
    tuner = search.tuner("coarse")  # a client of the chief's oracle; values come from the chief
    trained = []

    def started(trial: Any) -> None:
        stage = tuner.tuner_id.rpartition("@")[2]
        echo(f"worker {worker}: {stage} trial {trial.trial_id} started")

    tuner.on_trial_begin = _logged(tuner.on_trial_begin, started)
    tuner.on_trial_end = _logged(tuner.on_trial_end, lambda t: trained.append(t.trial_id))
    import json

    metadata = ((_WHO, worker), (_IDENTITY, json.dumps(search.identity(), sort_keys=True)))
    stub = _CheckedStub(tuner.oracle.stub, metadata, f"{address}:{port}", chief_wait)
    tuner.oracle.stub = stub
    from keras_tuner.src import protos

    stub.GetSpace(protos.get_service().GetSpaceRequest())  # checked before any training
    echo(f"worker {worker}: joined the chief at {address}:{port}")
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(stub, worker, heartbeat, stop), daemon=True)
    beat.start()
    args, kwargs = search.fit_args()
    try:
        for stage in STAGES:
            tuner.tuner_id = f"{worker}@{stage}"
            echo(f"worker {worker}: {stage} search")
            tuner.search(*args, **kwargs)
    finally:
        stop.set()
    echo(f"worker {worker}: search over, {len(trained)} trial(s) trained")
    return len(trained)


def _logged(method: Callable[[Any], Any], note: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def wrapped(trial: Any) -> Any:
        note(trial)
        return method(trial)

    return wrapped
