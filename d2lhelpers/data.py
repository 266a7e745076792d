"""Data sets: a registry of files, a safe fetcher, an IDX parser and loaders.

Each file is found, in this order, in the cache (``data/`` in the
repository), in the read-only mirror folder named by ``$D2L_DATA_MIRROR``,
or downloaded from its official URLs. Every file is checked against its
SHA-256 wherever it comes from; a download goes to a temporary file that is
renamed into the cache only once its checksum matches.

Why not d2l's or MXNet's loaders: MXNet 1.9.1's ``FashionMNIST`` checks
SHA-1s of an older release of Fashion-MNIST and rejects the current official
files, and d2l's ``download`` has no timeout and does not check the hash of
what it just downloaded.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import mxnet as mx
import numpy
from mxnet import np

from d2lhelpers.checks import as_numpy, device_or_none, positive_int

MIRROR_VARIABLE = "D2L_DATA_MIRROR"
DEFAULT_CACHE = Path(__file__).resolve().parent.parent / "data"

_FASHION_URLS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)


@dataclass(frozen=True)
class DataFile:
    """One file of a data set: where it lives relative to a data folder, and its hash."""

    path: str
    sha256: str
    size: int
    urls: tuple[str, ...]


def _fashion(name: str, sha256: str, size: int) -> DataFile:
    return DataFile(f"fashion-mnist/{name}", sha256, size, tuple(u + name for u in _FASHION_URLS))


REGISTRY: dict[str, DataFile] = {
    f.path: f
    for f in (
        _fashion("train-images-idx3-ubyte.gz",
                 "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880),
        _fashion("train-labels-idx1-ubyte.gz",
                 "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515),
        _fashion("t10k-images-idx3-ubyte.gz",
                 "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4422102),
        _fashion("t10k-labels-idx1-ubyte.gz",
                 "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5148),
        DataFile("timemachine/timemachine.txt",
                 "8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516", 178979,
                 ("http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",)),
    )
}

FASHION_MNIST_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat",
                        "sandal", "shirt", "sneaker", "bag", "ankle boot")


class DataError(OSError):
    """A data file is missing, cannot be fetched, or does not match its checksum."""


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(entry: DataFile, target: Path, timeout: float) -> list[str]:
    """Try each URL of ``entry``; on success ``target`` holds verified bytes.

    Returns the reasons each URL failed (empty on success). Nothing but a
    verified file ever appears at ``target``.
    """
    failures = []
    target.parent.mkdir(parents=True, exist_ok=True)
    for url in entry.urls:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
        tmp = Path(tmp_name)
        try:
            digest, done, next_report = hashlib.sha256(), 0, 0.25
            print(f"Downloading {url} ...", flush=True)
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if done >= next_report * entry.size:
                        print(f"  {done / 1e6:.1f} of {entry.size / 1e6:.1f} MB", flush=True)
                        next_report += 0.25
            if digest.hexdigest() != entry.sha256:
                failures.append(f"{url}: got SHA-256 {digest.hexdigest()} ({done} bytes)")
                continue
            os.replace(tmp, target)
            return []
        except OSError as error:  # URLError and timeouts are OSErrors
            failures.append(f"{url}: {error}")
        finally:
            tmp.unlink(missing_ok=True)
    return failures


def fetch(name: str, cache_dir: Path | str | None = None, mirror: Path | str | None = None,
          timeout: float = 60.0) -> Path:
    """Return the path of a verified copy of the registered file ``name``.

    Looks in ``cache_dir`` (default: ``data/`` in the repository), then in
    ``mirror`` (default: ``$D2L_DATA_MIRROR``; read in place, never written
    to), then downloads into the cache. Raises ``DataError`` naming the file,
    its expected SHA-256 and how to fix the problem when no verified copy
    can be had.
    """
    if name not in REGISTRY:
        raise ValueError(f"name must be one of {sorted(REGISTRY)}, got {name!r}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
    entry = REGISTRY[name]
    cache = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE
    cached = cache / entry.path
    if cached.is_file():
        if sha256_of(cached) == entry.sha256:
            return cached
        print(f"Cached {cached} does not match its SHA-256; fetching it again.", flush=True)
        cached.unlink()

    mirror = mirror if mirror is not None else os.environ.get(MIRROR_VARIABLE) or None
    if mirror is not None:
        mirrored = Path(mirror) / entry.path
        if mirrored.is_file():
            actual = sha256_of(mirrored)
            if actual != entry.sha256:
                raise DataError(
                    f"{mirrored} has SHA-256 {actual}, expected {entry.sha256}. The mirror "
                    f"named by {MIRROR_VARIABLE} holds a corrupt or different file: replace "
                    "it with the official release."
                )
            return mirrored

    failures = _download(entry, cached, timeout)
    if not failures:
        return cached
    where = (f"the mirror {Path(mirror) / entry.path} does not exist" if mirror is not None
             else f"{MIRROR_VARIABLE} is not set")
    raise DataError(
        f"Cannot get {entry.path} (SHA-256 {entry.sha256}): it is not in the cache "
        f"{cached}, {where}, and downloading failed:\n  " + "\n  ".join(failures) +
        f"\nFix: connect to the internet, or set {MIRROR_VARIABLE} to a folder holding "
        f"{entry.path} (CI uses ../shared/data), or put the file at {cached}."
    )


_IDX_DTYPES = {0x08: numpy.dtype("u1"), 0x09: numpy.dtype("i1"), 0x0B: numpy.dtype(">i2"),
               0x0C: numpy.dtype(">i4"), 0x0D: numpy.dtype(">f4"), 0x0E: numpy.dtype(">f8")}


def parse_idx(raw: bytes, expected_magic: int | None = None) -> numpy.ndarray:
    """Parse the bytes of an IDX file (the MNIST format) into a NumPy array.

    The header is two zero bytes, a type code, the number of dimensions and
    then each dimension as a big-endian 32-bit integer; the data follow. A
    wrong magic number, an unknown type, a header that does not fit or data
    longer or shorter than the dimensions say raise ``ValueError``.
    """
    if len(raw) < 4:
        raise ValueError(f"IDX data too short for a header: {len(raw)} bytes")
    magic = int.from_bytes(raw[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(f"IDX magic number is {magic}, expected {expected_magic}")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise ValueError(f"not an IDX header: magic number {magic} (bytes {raw[:4].hex()})")
    ndim, dtype = raw[3], _IDX_DTYPES[raw[2]]
    offset = 4 + 4 * ndim
    if len(raw) < offset:
        raise ValueError(f"IDX header declares {ndim} dimensions but the data end at byte {len(raw)}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = int(numpy.prod(shape)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise ValueError(f"IDX dimensions {shape} need {expected} data bytes, "
                         f"found {len(raw) - offset} (truncated or corrupt file)")
    return numpy.frombuffer(raw, dtype=dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx_gz(path: Path | str, expected_magic: int | None = None) -> numpy.ndarray:
    """Decompress and parse a gzipped IDX file; errors name the file."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a valid gzip file ({error}); delete it and fetch it again") from None
    try:
        return parse_idx(raw, expected_magic)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


class FashionMNIST(NamedTuple):
    """Fashion-MNIST as MXNet arrays: images (N, 1, 28, 28) float32 in [0, 1], labels int32."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


@lru_cache(maxsize=2)
def _fashion_mnist_numpy(cache_dir: str | None, mirror: str | None) -> tuple[numpy.ndarray, ...]:
    arrays = []
    for split in ("train", "t10k"):
        images = read_idx_gz(fetch(f"fashion-mnist/{split}-images-idx3-ubyte.gz", cache_dir, mirror), 2051)
        labels = read_idx_gz(fetch(f"fashion-mnist/{split}-labels-idx1-ubyte.gz", cache_dir, mirror), 2049)
        if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
            raise ValueError(f"Fashion-MNIST {split}: images {images.shape} do not match labels {labels.shape}")
        arrays += [images, labels]
    return tuple(arrays)


def load_fashion_mnist(cache_dir: Path | str | None = None, mirror: Path | str | None = None,
                       device: mx.Context | None = None) -> FashionMNIST:
    """Load all of Fashion-MNIST into memory (60,000 training, 10,000 test images), on ``device``.

    The arrays are preloaded once per process, so iterating over minibatches
    costs no file access and no conversion. They are made on ``device``
    (about 220 MB; MXNet's default device, the CPU, when None).
    """
    train_x, train_y, test_x, test_y = _fashion_mnist_numpy(
        None if cache_dir is None else str(cache_dir), None if mirror is None else str(mirror))
    device = device_or_none("device", device)

    def images(x: numpy.ndarray) -> np.ndarray:
        return np.array(x.reshape(-1, 1, 28, 28), dtype="float32", ctx=device) / 255

    return FashionMNIST(images(train_x), np.array(train_y, dtype="int32", ctx=device),
                        images(test_x), np.array(test_y, dtype="int32", ctx=device))


def text_labels(labels: Sequence[int] | np.ndarray) -> list[str]:
    """Names of Fashion-MNIST classes for integer labels 0..9."""
    values = as_numpy(labels).tolist()
    bad = [v for v in values if not 0 <= int(v) < len(FASHION_MNIST_LABELS)]
    if bad:
        raise ValueError(f"labels must be integers in 0..9, got {bad[:5]}")
    return [FASHION_MNIST_LABELS[int(v)] for v in values]


class ArrayLoader:
    """Minibatches over in-memory arrays, optionally reshuffled every epoch.

    A shuffled epoch draws one permutation from NumPy's global generator (so
    ``set_seed`` makes it repeatable) and gathers each batch on the MXNet
    side; nothing is copied back to Python. The last batch may be smaller.
    With ``device`` the arrays are copied there once, so every batch is
    made on that device; otherwise the batches are where the features are
    (labels elsewhere are copied there once).
    """

    def __init__(self, features: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool = False,
                 device: mx.Context | None = None):
        positive_int("batch_size", batch_size)
        if features.shape[0] != labels.shape[0]:
            raise ValueError(f"features and labels must have the same length, got "
                             f"{features.shape[0]} and {labels.shape[0]}")
        device = device_or_none("device", device) or features.ctx
        features, labels = features.as_in_ctx(device), labels.as_in_ctx(device)
        self.features, self.labels = features, labels
        self.batch_size, self.shuffle = batch_size, shuffle

    def __len__(self) -> int:
        return -(-self.features.shape[0] // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n, b = self.features.shape[0], self.batch_size
        if not self.shuffle:
            for i in range(0, n, b):
                yield self.features[i:i + b], self.labels[i:i + b]
            return
        order = np.array(numpy.random.permutation(n), dtype="int32", ctx=self.features.ctx)
        for i in range(0, n, b):
            index = order[i:i + b]
            yield np.take(self.features, index, axis=0), np.take(self.labels, index, axis=0)


def fashion_mnist_loaders(batch_size: int, data: FashionMNIST | None = None,
                          device: mx.Context | None = None) -> tuple[ArrayLoader, ArrayLoader]:
    """Shuffled training and ordered test minibatches of Fashion-MNIST (on ``device``, if given)."""
    data = data if data is not None else load_fashion_mnist()
    return (ArrayLoader(data.train_images, data.train_labels, batch_size, shuffle=True, device=device),
            ArrayLoader(data.test_images, data.test_labels, batch_size, device=device))


def shift_right(images: np.ndarray, pixels: int) -> np.ndarray:
    """The images (examples, channels, height, width) moved `pixels` columns right, zeros coming in at the left."""
    if not 0 <= pixels < images.shape[-1]:
        raise ValueError(f"pixels must be from 0 to the width minus 1 ({images.shape[-1] - 1}), got {pixels}")
    if pixels == 0:
        return images
    moved = np.zeros_like(images)  # on the device of images
    moved[:, :, :, pixels:] = images[:, :, :, :-pixels]
    return moved


def synthetic_linear_data(w: np.ndarray, b: float, num_examples: int,
                          noise: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``X ~ N(0, 1)`` and ``y = X w + b + N(0, noise^2)`` on ``w``'s device; returns ``(X, y)``, y (n, 1)."""
    if w.ndim != 1:
        raise ValueError(f"w must be a 1-D array of weights, got shape {w.shape}")
    positive_int("num_examples", num_examples)
    if noise < 0:
        raise ValueError(f"noise must be a non-negative standard deviation, got {noise!r}")
    X = np.random.normal(0, 1, (num_examples, w.shape[0]), ctx=w.ctx)
    y = np.dot(X, w) + b
    y = y + np.random.normal(0, noise, y.shape, ctx=w.ctx)
    return X, y.reshape(-1, 1)


def read_time_machine(cache_dir: Path | str | None = None, mirror: Path | str | None = None) -> str:
    """The text of H. G. Wells' *The Time Machine* (Project Gutenberg, header removed)."""
    return fetch("timemachine/timemachine.txt", cache_dir, mirror).read_text(encoding="utf-8")
