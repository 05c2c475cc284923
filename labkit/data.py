"""MNIST and Fashion-MNIST from their original IDX ``.gz`` files, checked before use.

Search order for each dataset's four files (folder ``mnist/`` or ``fashion-mnist/``):

1. ``$LABKIT_DATA_DIR/<folder>/``
2. ``data/<folder>/`` in the workbook
3. Keras' cache, ``$KERAS_HOME/datasets/<folder>/`` (default ``~/.keras/datasets/<folder>/``)

When no place holds them all, the official files are downloaded into ``data/<folder>/``
and their SHA-256 is checked before they are used. A file that is present but wrong
(checksum, IDX header or item count) raises :class:`DataError` naming it; nothing is ever
overwritten or deleted.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import project_root

__all__ = [
    "CLASS_NAMES",
    "DATASETS",
    "DataError",
    "Split",
    "find_dataset_dir",
    "load_dataset",
    "read_idx",
    "split",
    "stratified_subset",
    "TITLES",
]


class DataError(RuntimeError):
    """A dataset file is missing, corrupt or malformed; the message says which and what to do."""


@dataclass(frozen=True)
class IdxFile:
    """One of a dataset's four files: its name, SHA-256 and expected array shape."""

    name: str
    sha256: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Dataset:
    """A dataset's folder name, files, download mirrors and citation."""

    folder: str
    files: dict[str, IdxFile]
    mirrors: tuple[str, ...]
    citation: str


def _files(sums: dict[str, str]) -> dict[str, IdxFile]:
    return {
        "x_train": IdxFile("train-images-idx3-ubyte.gz", sums["x_train"], (60000, 28, 28)),
        "y_train": IdxFile("train-labels-idx1-ubyte.gz", sums["y_train"], (60000,)),
        "x_test": IdxFile("t10k-images-idx3-ubyte.gz", sums["x_test"], (10000, 28, 28)),
        "y_test": IdxFile("t10k-labels-idx1-ubyte.gz", sums["y_test"], (10000,)),
    }


DATASETS: dict[str, Dataset] = {
    "mnist": Dataset(
        folder="mnist",
        files=_files(
            {
                "x_train": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "y_train": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "x_test": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "y_test": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            }
        ),
        mirrors=(
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
        ),
        citation=(
            "Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, 'Gradient-based learning applied to "
            "document recognition', Proc. IEEE 86(11):2278-2324, 1998."
        ),
    ),
    "fashion_mnist": Dataset(
        folder="fashion-mnist",
        files=_files(
            {
                "x_train": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "y_train": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "x_test": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "y_test": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            }
        ),
        mirrors=(
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
        citation=(
            "H. Xiao, K. Rasul, R. Vollgraf, 'Fashion-MNIST: a Novel Image Dataset for "
            "Benchmarking Machine Learning Algorithms', arXiv:1708.07747, 2017."
        ),
    ),
}

#: How each dataset is written in titles, tables and legends (its key is the data key).
TITLES: dict[str, str] = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion_mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}

_IDX_DTYPES = {0x08: np.uint8}


def _dataset(name: str) -> Dataset:
    if name not in DATASETS:
        raise ValueError(
            f"unknown dataset {name!r}: the parameter 'name' must be one of "
            f"{', '.join(sorted(DATASETS))}"
        )
    return DATASETS[name]


def search_dirs(name: str) -> list[Path]:
    """The folders searched for dataset ``name``, in order."""
    ds = _dataset(name)
    dirs = []
    env = os.environ.get("LABKIT_DATA_DIR")
    if env:
        dirs.append(Path(env).expanduser() / ds.folder)
    dirs.append(project_root() / "data" / ds.folder)
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()
    dirs.append(keras_home / "datasets" / ds.folder)
    return dirs


def read_idx(
    path: str | Path,
    expected_shape: tuple[int, ...] | None = None,
    expected_sha256: str | None = None,
) -> np.ndarray:
    """Read a (gzipped) IDX file into a NumPy array, checking its header and item count.

    The file is read once: its SHA-256 is checked against ``expected_sha256`` (when given)
    before it is decompressed. Raises :class:`DataError` naming the file when the checksum
    differs, the header is not IDX, the shape differs from ``expected_shape``, or the data is
    truncated.
    """
    path = Path(path)
    try:
        stored = path.read_bytes()
        if expected_sha256 is not None:
            got = hashlib.sha256(stored).hexdigest()
            if got != expected_sha256:
                raise DataError(
                    f"{path} is corrupt or not the official file: SHA-256 {got}, expected "
                    f"{expected_sha256}. Replace it with the original {path.name} (or delete it "
                    "yourself and let labkit download it again); labkit never overwrites your "
                    "files."
                )
        raw = gzip.decompress(stored) if path.suffix == ".gz" else stored
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: cannot be read as a gzip-compressed IDX file ({e})") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(
            f"{path}: not an IDX file of unsigned bytes (magic {raw[:4].hex() or 'missing'}, "
            "expected 0x0000080N)"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: IDX header truncated ({len(raw)} bytes)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    if expected_shape is not None and tuple(shape) != tuple(expected_shape):
        raise DataError(
            f"{path}: IDX header says shape {tuple(shape)}, expected {tuple(expected_shape)} "
            f"(item count {shape[0] if shape else 0}, expected {expected_shape[0]})"
        )
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != count:
        raise DataError(
            f"{path}: holds {len(raw) - header} data bytes, the header promises {count}"
        )
    return np.frombuffer(raw, dtype=_IDX_DTYPES[raw[2]], offset=header).reshape(shape).copy()


def _download(ds: Dataset, dest: Path) -> None:
    """Download the files of ``ds`` missing from ``dest``; each is checked before it is kept."""
    dest.mkdir(parents=True, exist_ok=True)
    for spec in ds.files.values():
        target = dest / spec.name
        if target.exists():
            continue
        errors = []
        for mirror in ds.mirrors:
            try:
                with urllib.request.urlopen(mirror + spec.name, timeout=30) as r:
                    payload = r.read()
            except (urllib.error.URLError, OSError, TimeoutError) as e:
                errors.append(f"{mirror}: {e}")
                continue
            got = hashlib.sha256(payload).hexdigest()
            if got != spec.sha256:
                errors.append(f"{mirror}: SHA-256 {got}, expected {spec.sha256}")
                continue
            fd, tmp = tempfile.mkstemp(dir=dest, prefix=spec.name, suffix=".part")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(payload)
                Path(tmp).replace(target)  # atomic: a reader never sees half a file
            finally:
                Path(tmp).unlink(missing_ok=True)
            break
        else:
            raise DataError(f"could not download {spec.name}: " + "; ".join(errors))


def find_dataset_dir(name: str, download: bool = True) -> Path:
    """The first searched folder holding all four files of ``name`` (downloading if allowed)."""
    ds = _dataset(name)
    dirs = search_dirs(name)
    names = [spec.name for spec in ds.files.values()]
    for d in dirs:
        if all((d / n).is_file() for n in names):
            return d
    partial = [d for d in dirs if any((d / n).exists() for n in names)]
    problem = ""
    if download:
        dest = project_root() / "data" / ds.folder
        created = not dest.exists()
        try:
            _download(ds, dest)
            return dest
        except DataError as e:
            problem = f"\nDownload failed: {e}"
            if created and dest.is_dir() and not any(dest.iterdir()):
                dest.rmdir()  # only the empty folder this call made
    missing_in = "\n".join(
        f"  {d}: missing {', '.join(n for n in names if not (d / n).is_file())}"
        for d in (partial or dirs)
    )
    raise DataError(
        f"dataset {name!r} not found. It needs the four original files {', '.join(names)}.\n"
        f"Searched:\n{missing_in}{problem}\n"
        f"What to do: set LABKIT_DATA_DIR to a folder holding {ds.folder}/ with those files "
        f"(the workbook's Makefile uses ../shared/data when present), or put them in "
        f"{project_root() / 'data' / ds.folder}, or connect to the network so labkit can "
        f"download them from {ds.mirrors[0]}."
    )


@functools.lru_cache(maxsize=4)
def _load_cached(name: str, folder: str) -> tuple:
    ds = _dataset(name)
    d = Path(folder)
    arrays = {}
    for key, spec in ds.files.items():
        arrays[key] = read_idx(d / spec.name, spec.shape, spec.sha256)
    for split in ("train", "test"):
        if arrays[f"y_{split}"].max() > 9:
            raise DataError(f"{d / ds.files['y_' + split].name}: labels outside 0..9")
    for a in arrays.values():
        a.setflags(write=False)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_dataset(
    name: str, download: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load ``"mnist"`` or ``"fashion_mnist"`` as ``((x_train, y_train), (x_test, y_test))``.

    Images are uint8 arrays of shape (n, 28, 28) with values 0..255, labels uint8 0..9;
    the official 60 000 / 10 000 split. The arrays are read-only (copy before changing them).
    """
    folder = find_dataset_dir(name, download=download)
    return _load_cached(name, str(folder.resolve()))


# ---------------------------------------------------------------------------------------------
# The one split helper: every chapter splits its data with :func:`split`
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A dataset cut into ``train``, ``val`` and ``test`` parts, each ``(images, labels)``.

    A part may be empty (``test`` when the data has its own test set). ``index`` holds the
    positions in the input each part took, ``digest`` a SHA-256 of the parts' contents (the key
    that lets experiments reuse finished runs). ``x_train``, ``y_val``, ... name the arrays.
    """

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    index: dict[str, np.ndarray]
    digest: str

    x_train = property(lambda self: self.train[0], doc="training images")
    y_train = property(lambda self: self.train[1], doc="training labels")
    x_val = property(lambda self: self.val[0], doc="validation images")
    y_val = property(lambda self: self.val[1], doc="validation labels")
    x_test = property(lambda self: self.test[0], doc="test images")
    y_test = property(lambda self: self.test[1], doc="test labels")

    def sizes(self) -> dict[str, int]:
        """How many items each part holds."""
        return {k: len(self.index[k]) for k in ("train", "val", "test")}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes().items())
        return f"Split({sizes}, digest={self.digest[:8]})"


def digest(*arrays: np.ndarray) -> str:
    """A hash of arrays' shapes, dtypes and values (what a stored result was computed on)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _count(share: float | int, n: int, name: str) -> int:
    """``share`` as a number of items out of ``n``: a fraction in [0, 1) or a count."""
    if isinstance(share, bool) or not isinstance(share, int | float | np.integer | np.floating):
        raise ValueError(f"the parameter {name!r} must be a fraction or a count (got {share!r})")
    if isinstance(share, int | np.integer):
        count = int(share)
    elif 0.0 <= share < 1.0:
        count = int(round(share * n))
    else:
        raise ValueError(f"the parameter {name!r} as a fraction must lie in [0, 1) (got {share})")
    if not 0 <= count < n:
        raise ValueError(f"the parameter {name!r} asks for {count} of {n} items")
    return count


def stratified_subset(labels: np.ndarray, subset: int | None, *, seed: int = 0) -> np.ndarray:
    """Positions of a seeded draw of ``subset`` items that keeps the class shares of ``labels``
    (all positions, in order, for ``None`` or a subset as large as the data)."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    index = np.arange(len(labels))
    if subset is None or subset >= len(labels):
        return index
    if subset < 2 * len(np.unique(labels)):
        raise ValueError(f"the parameter 'subset' is too small for stratifying: {subset}")
    drawn, _ = train_test_split(index, train_size=subset, stratify=labels, random_state=seed)
    return drawn


def split(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    val: float | int,
    test: float | int = 0,
    subset: int | None = None,
    stratify: bool = False,
    seed: int = 0,
) -> Split:
    """Cut ``(images, labels)`` into seeded train, validation and test parts.

    ``val`` and ``test`` are fractions in [0, 1) of the data or counts of items; ``train`` is
    what is left. ``subset`` first draws that many items (``None``: all of them), for reduced
    profiles. The same arguments always give the same split.

    * ``stratify=False``: one seeded permutation; ``subset`` takes its first items, then the
      test part, the validation part and the training part follow in that order.
    * ``stratify=True``: every part keeps the class shares of ``labels`` (scikit-learn's
      ``train_test_split``; the subset, then the test part, then the validation part).
    """
    from sklearn.model_selection import train_test_split

    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    n_all = len(labels)
    if subset is not None and not (isinstance(subset, int | np.integer) and 0 < subset):
        raise ValueError(f"the parameter 'subset' must be a positive count or None ({subset!r})")
    n = n_all if subset is None else min(int(subset), n_all)
    n_test, n_val = _count(test, n, "test"), _count(val, n, "val")
    if n_test + n_val >= n:
        raise ValueError(f"test ({n_test}) and val ({n_val}) leave nothing of {n} to train on")
    if stratify:
        index = stratified_subset(labels, subset, seed=seed)
        parts = {"test": index[:0]}
        if n_test:
            index, parts["test"] = train_test_split(
                index, test_size=n_test, stratify=labels[index], random_state=seed
            )
        # a fraction goes to scikit-learn as it is (it rounds up), so earlier splits stay
        val_size = val if isinstance(val, float) and not n_test else n_val
        parts["train"], parts["val"] = train_test_split(
            index, test_size=val_size, stratify=labels[index], random_state=seed
        )
    else:
        order = np.random.default_rng(seed).permutation(n_all)[:n]
        parts = {
            "test": order[:n_test],
            "val": order[n_test : n_test + n_val],
            "train": order[n_test + n_val :],
        }
    cut = {k: (images[i], labels[i]) for k, i in parts.items()}
    hashed = [a for k in ("train", "val", "test") if len(parts[k]) for a in cut[k]]
    return Split(cut["train"], cut["val"], cut["test"], parts, digest(*hashed))
