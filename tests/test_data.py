import gzip
import hashlib
import re
import stat
import urllib.request
from pathlib import Path

import numpy
import pytest
from mxnet import np

from d2lhelpers import data
from d2lhelpers.data import DataError, DataFile


def idx_bytes(array: numpy.ndarray, code: int = 0x08) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


# ---------------------------------------------------------------- IDX parser

def test_parse_idx_round_trip():
    images = numpy.arange(2 * 3 * 4, dtype=numpy.uint8).reshape(2, 3, 4)
    parsed = data.parse_idx(idx_bytes(images), expected_magic=2051)
    assert parsed.shape == (2, 3, 4) and (parsed == images).all()
    labels = numpy.array([3, 1, 4], dtype=numpy.uint8)
    assert (data.parse_idx(idx_bytes(labels), expected_magic=2049) == labels).all()


def test_parse_idx_big_endian_int32():
    values = numpy.array([1, -2, 300000], dtype=">i4")
    assert data.parse_idx(idx_bytes(values, code=0x0C)).tolist() == [1, -2, 300000]


def test_parse_idx_rejects_wrong_magic():
    labels = idx_bytes(numpy.zeros(3, dtype=numpy.uint8))
    with pytest.raises(ValueError, match="magic number is 2049, expected 2051"):
        data.parse_idx(labels, expected_magic=2051)
    with pytest.raises(ValueError, match="not an IDX header"):
        data.parse_idx(b"\x1f\x8b\x08\x00" + bytes(20))  # a gzip header, not IDX


@pytest.mark.parametrize("cut", [1, 100])
def test_parse_idx_rejects_truncated_data(cut):
    raw = idx_bytes(numpy.zeros((2, 28, 28), dtype=numpy.uint8))
    with pytest.raises(ValueError, match="truncated"):
        data.parse_idx(raw[:-cut])


def test_parse_idx_rejects_extra_data_and_short_header():
    raw = idx_bytes(numpy.zeros((2, 2), dtype=numpy.uint8))
    with pytest.raises(ValueError, match=r"need 4 data bytes, found 5"):
        data.parse_idx(raw + b"\x00")
    with pytest.raises(ValueError, match="3 dimensions"):
        data.parse_idx(bytes([0, 0, 8, 3, 0, 0, 0, 1]))
    with pytest.raises(ValueError, match="too short"):
        data.parse_idx(b"\x00\x00")


def test_read_idx_gz_corrupt_gzip_names_file(tmp_path):
    path = tmp_path / "broken.gz"
    good = gzip.compress(idx_bytes(numpy.zeros((4, 4), dtype=numpy.uint8)))
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="broken.gz is not a valid gzip file"):
        data.read_idx_gz(path)
    path.write_bytes(b"plain text, not gzip")
    with pytest.raises(ValueError, match="broken.gz"):
        data.read_idx_gz(path)


def test_read_idx_gz_truncated_idx_names_file(tmp_path):
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(idx_bytes(numpy.zeros((3, 5), dtype=numpy.uint8))[:-2]))
    with pytest.raises(ValueError, match="short.gz: .*truncated"):
        data.read_idx_gz(path)


# ---------------------------------------------------------------- fetch

CONTENT = b"some bytes of a data set\n" * 100
NAME = "test/file.bin"


@pytest.fixture
def registered(monkeypatch, tmp_path):
    """Register a small file whose only 'official URL' is a local file:// address."""
    origin = tmp_path / "origin" / "file.bin"
    origin.parent.mkdir()
    origin.write_bytes(CONTENT)
    entry = DataFile(NAME, hashlib.sha256(CONTENT).hexdigest(), len(CONTENT), (origin.as_uri(),))
    monkeypatch.setitem(data.REGISTRY, NAME, entry)
    monkeypatch.delenv(data.MIRROR_VARIABLE, raising=False)
    return origin


def read_only_mirror(root: Path, content: bytes) -> Path:
    (root / "test").mkdir(parents=True)
    (root / "test" / "file.bin").write_bytes(content)
    for path in (root / "test" / "file.bin", root / "test", root):
        path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    return root


def test_fetch_downloads_verifies_and_caches(registered, tmp_path):
    cache = tmp_path / "cache"
    path = data.fetch(NAME, cache_dir=cache)
    assert path == cache / NAME and path.read_bytes() == CONTENT
    registered.unlink()  # the second call must not need the origin
    assert data.fetch(NAME, cache_dir=cache) == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["file.bin"]  # no temporary left


def test_fetch_wrong_checksum_leaves_nothing(registered, tmp_path):
    registered.write_bytes(CONTENT[:-1] + b"X")
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as error:
        data.fetch(NAME, cache_dir=cache)
    message = str(error.value)
    assert NAME in message and data.REGISTRY[NAME].sha256 in message and "got SHA-256" in message
    assert list((cache / "test").iterdir()) == []


def test_fetch_replaces_corrupt_cache(registered, tmp_path):
    cache = tmp_path / "cache"
    (cache / "test").mkdir(parents=True)
    (cache / NAME).write_bytes(b"half a fi")
    assert data.fetch(NAME, cache_dir=cache).read_bytes() == CONTENT


def test_fetch_reads_read_only_mirror_in_place(registered, tmp_path, monkeypatch):
    mirror = read_only_mirror(tmp_path / "mirror", CONTENT)
    before = {p: p.stat().st_mtime_ns for p in mirror.rglob("*")}
    registered.unlink()  # offline: only the mirror has it
    monkeypatch.setenv(data.MIRROR_VARIABLE, str(mirror))
    cache = tmp_path / "cache"
    assert data.fetch(NAME, cache_dir=cache) == mirror / NAME
    assert {p: p.stat().st_mtime_ns for p in mirror.rglob("*")} == before
    assert not (cache / NAME).exists()


def test_fetch_corrupt_mirror_file_is_an_error(registered, tmp_path):
    mirror = read_only_mirror(tmp_path / "mirror", b"tampered")
    with pytest.raises(DataError, match=re.escape(data.REGISTRY[NAME].sha256)) as error:
        data.fetch(NAME, cache_dir=tmp_path / "cache", mirror=mirror)
    assert "D2L_DATA_MIRROR" in str(error.value)


def test_fetch_offline_without_mirror_explains_the_fix(registered, tmp_path):
    registered.unlink()
    with pytest.raises(DataError) as error:
        data.fetch(NAME, cache_dir=tmp_path / "cache", mirror=tmp_path / "empty-mirror")
    message = str(error.value)
    assert NAME in message and data.REGISTRY[NAME].sha256 in message
    assert "D2L_DATA_MIRROR" in message and "empty-mirror" in message


def failing_url(tmp_path, monkeypatch, failure: str) -> str:
    """A file:// URL that is missing, times out, or serves the wrong bytes."""
    path = tmp_path / f"broken-{failure}" / "file.bin"
    if failure == "wrong bytes":
        path.parent.mkdir()
        path.write_bytes(CONTENT[::-1])
    if failure == "timeout":
        real_urlopen = urllib.request.urlopen

        def urlopen(url, timeout):
            if url == path.as_uri():
                raise TimeoutError("timed out")
            return real_urlopen(url, timeout=timeout)

        monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return path.as_uri()


def register_urls(monkeypatch, urls) -> DataFile:
    entry = DataFile(NAME, hashlib.sha256(CONTENT).hexdigest(), len(CONTENT), tuple(urls))
    monkeypatch.setitem(data.REGISTRY, NAME, entry)
    return entry


@pytest.mark.parametrize("failure", ["missing", "timeout", "wrong bytes"])
def test_fetch_falls_back_to_the_next_url(registered, tmp_path, monkeypatch, failure):
    entry = register_urls(monkeypatch, [failing_url(tmp_path, monkeypatch, failure), registered.as_uri()])
    cache = tmp_path / "cache"
    path = data.fetch(NAME, cache_dir=cache)
    assert path == cache / NAME and path.read_bytes() == CONTENT
    assert data.sha256_of(path) == entry.sha256
    assert sorted(p.name for p in path.parent.iterdir()) == ["file.bin"]  # no temporary left


def test_fetch_names_every_url_that_failed(tmp_path, monkeypatch):
    monkeypatch.delenv(data.MIRROR_VARIABLE, raising=False)
    urls = [failing_url(tmp_path, monkeypatch, failure) for failure in ("timeout", "missing", "wrong bytes")]
    entry = register_urls(monkeypatch, urls)
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as error:
        data.fetch(NAME, cache_dir=cache)
    message = str(error.value)
    assert NAME in message and entry.sha256 in message
    assert all(f"{url}: " in message for url in urls)
    assert "timed out" in message and "got SHA-256" in message
    assert list((cache / "test").iterdir()) == []


def test_fetch_bad_arguments():
    with pytest.raises(ValueError, match="name must be one of"):
        data.fetch("no/such/file")
    with pytest.raises(ValueError, match="timeout"):
        data.fetch("timemachine/timemachine.txt", timeout=0)


def test_registry_matches_data_readme():
    readme = (Path(__file__).parent.parent / "data" / "README.md").read_text()
    for entry in data.REGISTRY.values():
        row = next((line for line in readme.splitlines() if f"`{entry.path}`" in line), "")
        assert entry.sha256 in row and f"{entry.size:,}" in row, entry.path


# ---------------------------------------------------------------- real data sets

def test_fashion_mnist_loads_completely():
    d = data.load_fashion_mnist()
    assert d.train_images.shape == (60000, 1, 28, 28) and d.test_images.shape == (10000, 1, 28, 28)
    assert d.train_images.dtype == numpy.float32 and d.train_labels.dtype == numpy.int32
    assert 0 <= d.train_images.min().item() and d.train_images.max().item() == 1.0
    assert numpy.bincount(d.train_labels.asnumpy()).tolist() == [6000] * 10
    assert numpy.bincount(d.test_labels.asnumpy()).tolist() == [1000] * 10


def test_time_machine_text():
    text = data.read_time_machine()
    assert text.startswith("The Time Machine, by H. G. Wells")
    assert len(text.split()) > 30000


def test_text_labels():
    assert data.text_labels([0, 9]) == ["t-shirt", "ankle boot"]
    assert data.text_labels(np.array([1, 2])) == ["trouser", "pullover"]
    with pytest.raises(ValueError, match="0..9"):
        data.text_labels([10])


# ---------------------------------------------------------------- minibatches

def test_array_loader_ordered_batches():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    loader = data.ArrayLoader(X, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[1].shape[0] for b in batches] == [4, 4, 2]
    assert batches[2][1].asnumpy().tolist() == [8, 9]


def test_array_loader_shuffle_is_a_permutation_and_seeded():
    X, y = np.arange(50).reshape(25, 2), np.arange(25)
    loader = data.ArrayLoader(X, y, batch_size=7, shuffle=True)
    labels = numpy.concatenate([b[1].asnumpy() for b in loader])
    assert sorted(labels.tolist()) == list(range(25)) and labels.tolist() != list(range(25))
    for Xb, yb in loader:  # features stay paired with their labels
        assert (Xb[:, 0].asnumpy() == 2 * yb.asnumpy()).all()
    numpy.random.seed(1)
    first = numpy.concatenate([b[1].asnumpy() for b in loader])
    numpy.random.seed(1)
    assert (numpy.concatenate([b[1].asnumpy() for b in loader]) == first).all()


def test_array_loader_bad_input():
    with pytest.raises(ValueError, match="batch_size"):
        data.ArrayLoader(np.zeros((4, 2)), np.zeros(4), batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got True"):
        data.ArrayLoader(np.zeros((4, 2)), np.zeros(4), batch_size=True)
    with pytest.raises(ValueError, match="same length"):
        data.ArrayLoader(np.zeros((4, 2)), np.zeros(3), batch_size=2)


def test_shift_right_moves_columns_and_fills_zeros():
    images = np.arange(2 * 1 * 2 * 4, dtype="float32").reshape(2, 1, 2, 4) + 1
    moved = data.shift_right(images, 1)
    assert moved.shape == images.shape
    assert (moved[:, :, :, 0] == 0).all() and (moved[:, :, :, 1:] == images[:, :, :, :-1]).all()
    assert data.shift_right(images, 0) is images
    assert (data.shift_right(images, 3)[0, 0] == np.array([[0, 0, 0, 1], [0, 0, 0, 5]])).all()
    for bad in (-1, 4):
        with pytest.raises(ValueError, match="pixels must be from 0 to the width minus 1"):
            data.shift_right(images, bad)


def test_synthetic_linear_data():
    w = np.array([2.0, -3.4])
    X, y = data.synthetic_linear_data(w, 4.2, 1000, noise=0.0)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    assert numpy.allclose(y.asnumpy()[:, 0], X.asnumpy() @ w.asnumpy() + 4.2, atol=1e-5)
    _, noisy = data.synthetic_linear_data(w, 4.2, 1000, noise=0.5)
    assert 0.4 < (noisy - (np.dot(X, w) + 4.2).reshape(-1, 1)).std().item() < 10


def test_synthetic_linear_data_bad_input():
    with pytest.raises(ValueError, match="w must be a 1-D"):
        data.synthetic_linear_data(np.ones((2, 1)), 0.0, 10)
    with pytest.raises(ValueError, match="num_examples"):
        data.synthetic_linear_data(np.ones(2), 0.0, 0)
    with pytest.raises(ValueError, match="num_examples must be a positive int, got True"):
        data.synthetic_linear_data(np.ones(2), 0.0, True)
    with pytest.raises(ValueError, match="noise"):
        data.synthetic_linear_data(np.ones(2), 0.0, 10, noise=-1)
