"""labkit.data: the good path on the real files, and every error on copies in a temp folder."""

from __future__ import annotations

import gzip
import io
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from labkit import data, tour
from labkit.data import DataError

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _copy(src_root: Path, dst_root: Path, name: str = "mnist") -> Path:
    folder = data.DATASETS[name].folder
    dst = dst_root / folder
    dst.mkdir(parents=True, exist_ok=True)
    for spec in data.DATASETS[name].files.values():
        shutil.copyfile(src_root / folder / spec.name, dst / spec.name)
    return dst


def test_mnist_good_path(data_root, monkeypatch):
    monkeypatch.setenv("LABKIT_DATA_DIR", str(data_root))
    (x_train, y_train), (x_test, y_test) = data.load_dataset("mnist", download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert tour.class_counts(y_train).tolist() == MNIST_TRAIN_COUNTS
    assert tour.class_counts(y_test).tolist() == MNIST_TEST_COUNTS
    assert x_train.max() == 255 and x_train.min() == 0
    assert not x_train.flags.writeable


def test_fashion_good_path(data_root, monkeypatch):
    monkeypatch.setenv("LABKIT_DATA_DIR", str(data_root))
    (x_train, y_train), (x_test, y_test) = data.load_dataset("fashion_mnist", download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert tour.class_counts(y_train).tolist() == [6000] * 10
    assert tour.class_counts(y_test).tolist() == [1000] * 10
    assert len(data.CLASS_NAMES["fashion_mnist"]) == 10


def test_unknown_dataset_names_the_allowed_ones():
    with pytest.raises(ValueError, match="fashion_mnist, mnist"):
        data.load_dataset("cifar10")


def test_search_order_env_first(isolated, data_root, monkeypatch, tmp_path):
    env_dir = tmp_path / "env_data"
    _copy(data_root, env_dir)
    _copy(data_root, isolated / "data")
    monkeypatch.setenv("LABKIT_DATA_DIR", str(env_dir))
    assert data.find_dataset_dir("mnist", download=False) == env_dir / "mnist"
    monkeypatch.delenv("LABKIT_DATA_DIR")
    assert data.find_dataset_dir("mnist", download=False) == isolated / "data" / "mnist"
    dirs = data.search_dirs("mnist")
    assert dirs[-1] == tmp_path / "keras_home" / "datasets" / "mnist"


def test_keras_cache_is_searched(isolated, data_root, tmp_path):
    _copy(data_root, tmp_path / "keras_home" / "datasets", "fashion_mnist")
    found = data.find_dataset_dir("fashion_mnist", download=False)
    assert found == tmp_path / "keras_home" / "datasets" / "fashion-mnist"


def test_missing_file_names_file_places_and_remedy(isolated, data_root, monkeypatch, tmp_path):
    env_dir = tmp_path / "env_data"
    folder = _copy(data_root, env_dir)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("LABKIT_DATA_DIR", str(env_dir))
    with pytest.raises(DataError) as e:
        data.load_dataset("mnist", download=False)
    msg = str(e.value)
    assert "t10k-labels-idx1-ubyte.gz" in msg
    assert str(folder) in msg
    assert "LABKIT_DATA_DIR" in msg
    assert "train-images-idx3-ubyte.gz" in msg  # the files it needs are named


def test_missing_and_offline_says_download_failed(isolated, monkeypatch):
    ds = data.DATASETS["mnist"]
    monkeypatch.setitem(
        data.DATASETS, "mnist", data.Dataset(ds.folder, ds.files, ("http://127.0.0.1:9/",), "")
    )
    with pytest.raises(DataError, match="Download failed"):
        data.load_dataset("mnist")
    assert not (isolated / "data" / "mnist").exists()  # no empty folder left behind


def _fake_urlopen(served: dict[str, bytes]):
    def urlopen(url, timeout=None):
        name = url.rsplit("/", 1)[-1]
        if name not in served:
            raise OSError(f"404 {url}")
        return io.BytesIO(served[name])

    return urlopen


def test_download_verifies_checksum_before_use(isolated, data_root, monkeypatch):
    folder = data_root / "mnist"
    served = {p.name: p.read_bytes() for p in folder.glob("*.gz")}
    served["t10k-labels-idx1-ubyte.gz"] = served["t10k-labels-idx1-ubyte.gz"][:-10]
    monkeypatch.setattr(data.urllib.request, "urlopen", _fake_urlopen(served))
    with pytest.raises(DataError, match="expected f7ae60f9"):
        data.load_dataset("mnist")
    dest = isolated / "data" / "mnist"
    assert not (dest / "t10k-labels-idx1-ubyte.gz").exists()  # the bad download is not kept
    assert not list(dest.glob("*.part"))


def test_download_good_path(isolated, data_root, monkeypatch):
    folder = data_root / "mnist"
    served = {p.name: p.read_bytes() for p in folder.glob("*.gz")}
    monkeypatch.setattr(data.urllib.request, "urlopen", _fake_urlopen(served))
    (x_train, _), (x_test, _) = data.load_dataset("mnist")
    assert x_train.shape[0] == 60000 and x_test.shape[0] == 10000
    assert (isolated / "data" / "mnist" / "train-images-idx3-ubyte.gz").is_file()


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupt_file_names_file_and_checksum(isolated, data_root, monkeypatch, tmp_path, damage):
    env_dir = tmp_path / "env_data"
    folder = _copy(data_root, env_dir)
    bad = folder / "train-labels-idx1-ubyte.gz"
    raw = bad.read_bytes()
    flipped = raw[:100] + bytes([raw[100] ^ 0xFF]) + raw[101:]
    bad.write_bytes(flipped if damage == "flip" else raw[:-500])
    before = bad.read_bytes()
    monkeypatch.setenv("LABKIT_DATA_DIR", str(env_dir))
    with pytest.raises(DataError) as e:
        data.load_dataset("mnist", download=False)
    msg = str(e.value)
    assert str(bad) in msg
    assert data.DATASETS["mnist"].files["y_train"].sha256 in msg
    assert bad.read_bytes() == before  # never overwritten or deleted


def _idx(magic: bytes, dims: tuple[int, ...], payload: bytes) -> bytes:
    return magic + struct.pack(f">{len(dims)}I", *dims) + payload


def test_read_idx_good(tmp_path):
    p = tmp_path / "ok.gz"
    p.write_bytes(gzip.compress(_idx(b"\x00\x00\x08\x03", (2, 2, 3), bytes(range(12)))))
    a = data.read_idx(p, (2, 2, 3))
    assert a.dtype == np.uint8 and a.shape == (2, 2, 3) and a[1, 1, 2] == 11


def test_read_idx_bad_magic(tmp_path):
    p = tmp_path / "bad.gz"
    p.write_bytes(gzip.compress(b"PK\x03\x04" + bytes(20)))
    with pytest.raises(DataError, match=r"bad\.gz.*not an IDX file"):
        data.read_idx(p)


def test_read_idx_wrong_item_count(tmp_path):
    p = tmp_path / "labels.gz"
    p.write_bytes(gzip.compress(_idx(b"\x00\x00\x08\x01", (9,), bytes(9))))
    with pytest.raises(DataError, match=r"labels\.gz.*item count 9, expected 10"):
        data.read_idx(p, (10,))


def test_read_idx_payload_shorter_than_header(tmp_path):
    p = tmp_path / "short.gz"
    p.write_bytes(gzip.compress(_idx(b"\x00\x00\x08\x01", (10,), bytes(7))))
    with pytest.raises(DataError, match=r"short\.gz.*7 data bytes.*promises 10"):
        data.read_idx(p, (10,))


def test_read_idx_truncated_gzip(tmp_path):
    p = tmp_path / "cut.gz"
    p.write_bytes(gzip.compress(_idx(b"\x00\x00\x08\x01", (1000,), bytes(1000)))[:-12])
    with pytest.raises(DataError, match=r"cut\.gz"):
        data.read_idx(p, (1000,))


def test_class_counts_and_pixel_stats():
    assert tour.class_counts(np.array([0, 2, 2, 9])).tolist() == [1, 0, 2] + [0] * 6 + [1]
    with pytest.raises(ValueError):
        tour.class_counts(np.array([10]))
    s = tour.pixel_stats(np.array([[0, 255], [0, 255]], dtype=np.uint8))
    assert s == {"mean": 0.5, "std": 0.5, "fraction_zero": 0.5, "fraction_near_max": 0.5}
    assert (
        tour.pixel_stats(np.array([[0, 251, 249, 0]], dtype=np.uint8))["fraction_near_max"] == 0.25
    )


# --- the one split -----------------------------------------------------------------------------


def test_stratified_split_is_disjoint_seeded_and_keeps_class_shares(toy):
    x, y = toy
    s = data.split(x, y, val=0.15, stratify=True, seed=3)
    assert s.sizes() == {"train": 255, "val": 45, "test": 0}
    np.testing.assert_allclose(
        np.bincount(s.y_val, minlength=4) / len(s.y_val),
        np.bincount(y, minlength=4) / len(y),
        atol=0.03,
    )
    assert not set(s.index["train"]) & set(s.index["val"])
    np.testing.assert_array_equal(s.x_val, x[s.index["val"]])
    assert data.split(x, y, val=0.15, stratify=True, seed=3).digest == s.digest
    assert data.split(x, y, val=0.15, stratify=True, seed=4).digest != s.digest
    sub = data.split(x, y, val=0.15, subset=100, stratify=True, seed=3)
    assert sum(sub.sizes().values()) == 100


def test_stratified_split_is_scikit_learns(toy):
    """Chapter 01's splits: the same as scikit-learn's train_test_split with the fraction."""
    from sklearn.model_selection import train_test_split

    x, y = toy
    fit, val = train_test_split(np.arange(len(y)), test_size=0.15, stratify=y, random_state=7)
    s = data.split(x, y, val=0.15, stratify=True, seed=7)
    np.testing.assert_array_equal(s.index["train"], fit)
    np.testing.assert_array_equal(s.index["val"], val)


def test_three_way_split_with_fractions_and_counts(toy):
    x, y = toy
    s = data.split(x, y, val=0.1, test=0.1, seed=1)
    assert s.sizes() == {"train": 240, "val": 30, "test": 30}
    together = np.concatenate([s.index[k] for k in ("train", "val", "test")])
    assert sorted(together) == list(range(300))
    np.testing.assert_array_equal(s.y_test, y[s.index["test"]])
    strat = data.split(x, y, val=30, test=60, stratify=True, seed=1)
    assert strat.sizes() == {"train": 210, "val": 30, "test": 60}
    assert len({tuple(strat.index[k]) for k in strat.index}) == 3


def test_unstratified_split_takes_a_seeded_permutation_in_order(toy):
    """Test, then validation, then training items of one permutation; a subset is its start
    (chapter 04's validation images are the permutation's first ones, as they always were)."""
    x, y = toy
    order = np.random.default_rng(5).permutation(len(y))
    s = data.split(x, y, val=50, subset=250, seed=5)
    np.testing.assert_array_equal(s.index["val"], order[:50])
    np.testing.assert_array_equal(s.index["train"], order[50:250])
    assert len(s.test[0]) == 0 and s.test[0].shape[1:] == x.shape[1:]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"val": 1.5}, "'val' as a fraction must lie in"),
        ({"val": 0.5, "test": 0.5}, "leave nothing"),
        ({"val": 400}, "asks for 400 of 300"),
        ({"val": "a"}, "'val' must be a fraction or a count"),
        ({"val": 0.1, "subset": 0}, "'subset' must be a positive count"),
        ({"val": 0.1, "subset": 5, "stratify": True}, "too small for stratifying"),
    ],
)
def test_split_rejects_bad_arguments(toy, kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.split(*toy, **kwargs)
    with pytest.raises(ValueError, match="300 images but 299 labels"):
        data.split(toy[0], toy[1][:-1], val=0.1)
