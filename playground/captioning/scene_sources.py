"""The photo parts of the generated scenes: Tux Paint stamps and wallpaper photographs.

Objects come from Debian's ``tuxpaint-stamps-default`` (GPL-2):
``usr/share/tuxpaint/stamps/<category>/.../<name>.png`` are cut-outs with an
alpha channel, many of them photographs. Beside each PNG, ``<name>.txt``
contains an English description on its first line (the other lines are
translations, ``<locale>.utf8=...``). An optional ``<name>.dat`` lists Tux
Paint options, one a line, and only ``nomirror`` (the stamp must not be
mirrored) matters here. Neither ``<name>_mirror.png`` files (Tux Paint's
hand-made mirror images) nor SVG files (vector drawings) become stamps.

Backgrounds are nature and landscape photographs from three Debian wallpaper
packages, each with a scene phrase written after looking at the picture.

Every path is resolved against a filesystem root, ``/`` for installed packages
or a folder where the packages were unpacked. With ``root=None`` each package
is fetched into the data cache with ``playground.data.packages.fetch_deb``.
"""

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from playground.data.packages import FetchedPackage, fetch_deb

logger = logging.getLogger(__name__)

STAMPS_PACKAGE = "tuxpaint-stamps-default"
STAMPS_DIR = Path("usr/share/tuxpaint/stamps")

# A noun is one to three lowercase words of letters, so that captions stay
# punctuation-free and the noun can be a single caption token.
NOUN_PATTERN = re.compile(r"[a-z]+(?: [a-z]+){0,2}")


@dataclass(frozen=True)
class Stamp:
    """A cut-out object: a PNG with transparency and the noun that captions use for it."""

    path: Path
    name: str  # the path under the stamps folder: "animals/mammals/dogs/dog.png"
    category: str  # the top folder under the stamps folder ("animals", "food", ...)
    noun: str
    description: str  # the English line of the stamp's .txt file
    photographic: bool
    mirrorable: bool  # False when the .dat file lists "nomirror" (text or a handed object)
    texture: float  # share of interior pixels with visible fine detail (see measure_stamp)
    flatness: float  # share of neighbouring opaque pixel pairs with identical colour


@dataclass(frozen=True)
class Background:
    """A photograph to crop scenes from, with the phrase that places objects in it."""

    path: Path
    name: str
    scene: str  # a prepositional phrase: "on a sand dune", "in a pine forest"
    package: str
    license: str


# ---------------------------------------------------------------------------
# Stamps that are not objects in a scene

# Folders (relative to the stamps directory) whose stamps are all left out.
EXCLUDED_FOLDERS = {
    # Letters, digits, operators, currency signs, notes, chess pieces, shapes,
    # smileys and speech balloons are symbols. Coins are kept (below).
    "symbols": "symbols, not objects",
    # A lone eye is not something a scene caption names (nor a tooth, below).
    "people/body_parts": "body parts",
    # Flags are flat coloured rectangles, so a captioner could learn only their colour.
    "town/flags": "plain coloured rectangles",
    # Explosions, lightning and fire are effects drawn over a picture.
    "naturalforces": "effects, not objects",
    # Planets and the sun do not appear in photographs of places.
    "space/planets": "planets do not appear in photographs of places",
    # Weapons are left out of a caption set meant for a playground.
    "military/ammunition": "weapons",
}
# Coins are photographs of real objects, so this folder of "symbols" stays in.
KEPT_SYMBOL_FOLDERS = (
    "symbols/money/canadian",
    "symbols/money/euro",
    "symbols/money/japanese",
    "symbols/money/us",
)

# Single stamps (relative path without ".png") that are left out, with the reason.
EXCLUDED_STAMPS = {
    # Road signs with pictograms or text are symbols. The stop sign and the
    # traffic cone stay. Traffic lights have no transparency, so load_stamps skips them.
    **{
        f"town/roadsigns/{name}": "a sign with a pictogram or text"
        for name in (
            "arrow",
            "crossroads",
            "dead_end_sign",
            "give_way_sign",
            "hospital",
            "no_entry_sign",
            "no_uturn",
            "railroad_crossing",
            "roundabout",
            "school_sign",
            "t-junction",
            "toilets",
            "xing_ped",
            "xing_school",
            "yield",
        )
    },
    "vehicles/locomotive/cartoon/trainSign": "a sign with a pictogram",
    "military/vehicles/ww2_german_gun": "a weapon",
    "military/final-roll-call": "a war memorial",
    "medical/tooth": "a body part",
    # A caption would get the count wrong for a stamp with several objects.
    "animals/mammals/wildboar": "two boars in one stamp",
    "plants/flowers/flower4": "two flowers in one stamp",
    "plants/flowers/flower7": "several flowers in one stamp",
    "plants/mushrooms/cep-2": "two mushrooms in one stamp",
    "food/fruit/Cherry_Stella": "two cherries in one stamp",
    "food/fruit/cartoon/cherries": "several cherries in one stamp",
    "food/fruit/cartoon/blueberry": "several blueberries in one stamp",
    "food/vegetables/garlics": "several garlic bulbs in one stamp",
    "animals/birds/cartoon/pengwin": "several penguins in one stamp",
    "animals/birds/cartoon/penguin_with_spider": "two animals in one stamp",
    "animals/insects/cartoon/spider_fly": "two animals in one stamp",
    "animals/insects/cartoon/spider_football": "a spider and a ball in one stamp",
    "animals/insects/cartoon/spider_computer": "a spider and a computer in one stamp",
    "town/houses/cartoon/cityhouse": "two houses in one stamp",
    "seasonal/easter/bunny-egg": "a rabbit and an egg in one stamp",
    "seasonal/easter/chick-in-egg": "a chick and an egg in one stamp",
    "seasonal/newyears/confetti": "scattered pieces, not one object",
    "seasonal/newyears/fireworks": "an effect, not an object",
    "seasonal/newyears/fireworks2": "an effect, not an object",
    # Parts meant to be stamped onto another stamp.
    "vehicles/emergency/sedan_police": "emblems to stamp onto the sedan",
    "animals/insects/cartoon/wings": "wings without an animal",
    "seasonal/easter/bunny-head": "a head without a body",
    # Whole scenes rather than objects.
    **{
        f"town/{name}": "a whole scene, not an object"
        for name in (
            "cartoon/docks",
            "cartoon/mine",
            "cartoon/ruins",
            "houses/cartoon/city",
            "houses/cartoon/farm",
            "houses/cartoon/cave_entrance",
            "monuments/cartoon/graveyard",
            "monuments/cartoon/magic_stones",
            "cartoon/shipwreck",
        )
    },
    # A translucent glass has almost no opaque pixels and vanishes on a photograph.
    "household/dishes/glass": "almost fully transparent",
}

# ---------------------------------------------------------------------------
# Nouns

# Nouns for stamps whose description does not give a good one, keyed by the
# relative path without ".png". Checked by reading every derived noun.
STAMP_NOUNS = {
    "animals/birds/cartoon/tux": "penguin",
    "animals/dinosaur/cartoon/dinosaurSings": "dinosaur",
    "animals/fish/bluegroper": "fish",
    "animals/fish/lionfish": "lionfish",
    "animals/fish/lobster": "lobster",
    "animals/mammals/bovines/gnu-baby": "wildebeest",
    "animals/mammals/bovines/gnu-baby-stand": "wildebeest",
    "animals/mammals/bovines/sheep_lamb": "lamb",
    "animals/mammals/rodents/rabbit-2": "rabbit",
    "animals/mammals/bears/toys/edward_bear": "teddy bear",
    "clothes/t_shirt": "shirt",
    "clothes/t_tshirt": "t shirt",
    "food/fruit/sliced_lime": "lime",
    "food/fruit/sliced_orange": "orange",
    "food/spices/ginger": "ginger root",
    "food/vegetables/broccoli": "head of broccoli",
    "food/vegetables/corn": "corn cob",
    "food/vegetables/garlic": "garlic bulb",
    "food/vegetables/tomato": "tomato",
    "household/arttools/highlighter": "highlighter",
    "household/arttools/scissors_small_closed": "pair of scissors",
    "household/arttools/scissors_small_open": "pair of scissors",
    "household/dishes/cartoon/pasta_pot": "pot",
    "household/dishes/cartoon/pressure_cooker": "pressure cooker",
    "household/toilet": "toilet",
    "plants/flowers/anemone_red": "flower",
    "plants/flowers/flower9": "flower",
    **{
        f"seasonal/hanukkah/dreydl-{letter}": "dreidel"
        for letter in ("gimmel", "hay", "nun", "shin")
    },
    "household/tools/wrench_plumbers": "wrench",
    "military/fireman240a": "firefighter",
    "military/vehicles/bradley": "armored vehicle",
    "military/vehicles/infantry-stryker": "armored vehicle",
    "military/vehicles/f22_raptor": "fighter jet",
    "people/toys/grannysmith": "rag doll",
    "seasonal/christmas/German_Christmas_toy": "wooden figure",
    "seasonal/christmas/lamp": "christmas light",
    "seasonal/christmas/santahat": "santa hat",
    "seasonal/christmas/Santa": "santa claus",
    "seasonal/christmas/tree": "christmas tree",
    "seasonal/christmas/Christmas_Tree_photo": "christmas tree",
    "seasonal/christmas/Christmas_pudding": "christmas pudding",
    "seasonal/christmas/Mince_Pie": "mince pie",
    "seasonal/christmas/Roast_turkey": "roast turkey",
    "seasonal/christmas/stocking": "christmas stocking",
    "seasonal/christmas/xmas_tp_bulb": "christmas ornament",
    "seasonal/christmas/xmaswreath": "wreath",
    "seasonal/christmas/hard_candy": "candy",
    "seasonal/christmas/bow": "bow",
    "seasonal/christmas/star": "star",
    "seasonal/easter/wrapped_chocolate_easter_egg": "easter egg",
    "seasonal/easter/wrapped_chocolate_easter_egg_2": "easter egg",
    "seasonal/easter/chick-hatched": "chick",
    "seasonal/halloween/jackolantern_mean": "jack o lantern",
    "seasonal/hanukkah/holiday_candle": "candle",
    "seasonal/hanukkah/menorah": "menorah",
    "seasonal/newyears/party-horn-in": "party horn",
    "seasonal/newyears/party-horn-out": "party horn",
    "space/apollo_lander": "lunar lander",
    "space/spacewalk": "astronaut",
    "space/voyager2": "space probe",
    "space/moon/moon_3qt": "moon",
    "space/moon/moon_crescent": "moon",
    "space/moon/moon_full": "moon",
    "sports/australian_rules_football": "football",
    "sports/cartoon/football_helmet_front": "football helmet",
    "sports/cartoon/football_helmet_side": "football helmet",
    "sports/trophy_cup": "trophy",
    "town/cartoon/fountain": "fountain",
    "town/houses/cartoon/blacksmith": "house",
    "town/houses/cartoon/hunter": "house",
    "town/houses/cartoon/pinkhome": "house",
    "town/houses/cartoon/swisshome": "house",
    "town/houses/cartoon/wooden_cottage": "cottage",
    "town/houses/cartoon/fairytale_castle": "castle",
    "town/monuments/cartoon/sword_in_the_stone": "sword",
    "town/monuments/cartoon/eiffel_tower": "eiffel tower",
    "town/roadsigns/stop": "stop sign",
    "town/uk_post_box": "mailbox",
    "vehicles/7spoke256": "wheel",
    "vehicles/auto/beetle": "car",
    "vehicles/auto/sedan": "car",
    "vehicles/construction/cartoon/cementMixer": "cement truck",
    "vehicles/construction/cartoon/towTruck": "tow truck",
    "vehicles/construction/dumper": "dumper",
    "vehicles/farming/cartoon/tux_tractor": "tractor",
    "vehicles/flight/cartoon/eddieCopter": "helicopter",
    "vehicles/flight/planes/cartoon/plane": "airplane",
    "vehicles/locomotive/cartoon/boxcar": "boxcar",
    "vehicles/locomotive/cartoon/caboose": "caboose",
    "vehicles/locomotive/cartoon/carriage": "railway carriage",
    "vehicles/locomotive/cartoon/tanker": "tank wagon",
    "vehicles/locomotive/cartoon/tender": "coal tender",
    "vehicles/locomotive/cartoon/toy_train": "locomotive",
    "vehicles/ship/cartoon/bathyscape": "submarine",
    "vehicles/ship/cartoon/tugboat": "tugboat",
    "vehicles/ship/chineseJunk": "sailing ship",
    "vehicles/ship/walnutBoat": "sailboat",
    "town/monuments/inukshuk-outline": "stone cairn",
    "town/monuments/inukshuk-photo": "stone cairn",
}

# Everyday names for the rare or technical nouns that descriptions give. The
# captions name what a person would call the thing in a photograph.
EVERYDAY_NOUNS = {
    "avocado fruit": "avocado",
    "butterflyfish": "fish",
    "cherimoya fruit": "cherimoya",
    "coral trout": "fish",
    "dolphinfish": "fish",
    "moon wrasse": "fish",
    "stripey fish": "fish",
    "drake": "duck",
    "gander": "goose",
    "doe": "deer",
    "wapiti": "elk",
    "caribou": "reindeer",
    "dromedary": "camel",
    "gnu": "wildebeest",
    "blackbuck": "antelope",
    "mountaingoat": "mountain goat",
    "zebu": "cow",
    "rosella": "parrot",
    "lorikeet": "parrot",
    "quetzal": "bird",
    "lark": "bird",
    "cuckoo": "bird",
    "rhea": "ostrich",
    "peahen": "peacock",
    "gull": "seagull",
    "tamarin": "monkey",
    "hippopotamus": "hippo",
    "orca": "killer whale",
    "xanthia": "moth",
    "kiwifruit": "kiwi",
    "mandarin orange": "mandarin",
    "chile pepper": "chili pepper",
    "pepper": "bell pepper",
    "fedora": "hat",
    "feathered hat": "hat",
    "propeller hat": "hat",
    "folded shirt": "shirt",
    "polo shirt": "shirt",
    "pants": "pair of trousers",
    "crash cymbal": "cymbal",
    "floor tom drum": "drum",
    "bass guitar": "guitar",
    "lightbulb": "light bulb",
    "pitcher": "jug",
    "garbage can": "trash can",
    "wheelie bin": "trash can",
    "mallet": "hammer",
    "measuring tape": "tape measure",
    "plumber wrench": "wrench",
    "adhesive bandage": "bandage",
    "mercury thermometer": "thermometer",
    "fireman": "firefighter",
    "paratrooper": "parachute",
    "cep": "mushroom",
    "holm oak": "tree",
    "birch": "tree",
    "pili nut tree": "tree",
    "alien tree": "tree",
    "holly leaves": "holly branch",
    "lavender": "lavender plant",
    "holly": "holly branch",
    "grapes": "bunch of grapes",
    "binoculars": "pair of binoculars",
    "scissors": "pair of scissors",
    "pliers": "pair of pliers",
    "broccoli": "head of broccoli",
    "pinecone": "pine cone",
    "sedan car": "car",
    "vw beetle": "car",
    "sports car": "car",
    "tractor wheel": "wheel",
    "headstone": "gravestone",
    "tombstone": "gravestone",
    "grave marker": "gravestone",
    "cemetery marker": "gravestone",
    "monument stone": "gravestone",
    "american football": "football",
    "rugby goal posts": "goal",
    "cricket ball": "ball",
    "trophy cup": "trophy",
    "anemone flower": "flower",
    "adenium": "flower",
    "anthurium": "flower",
    "appooppan thaadi": "flower",
    "balsam": "flower",
    "hibiscus flower": "hibiscus",
    "pigface flower": "flower",
    "gazania": "flower",
    "star petunia": "petunia",
    "plastic flower": "flower",
    "bunny": "rabbit",
    "watch tower": "tower",
    "wishing well": "well",
    "circus tent": "tent",
    "blackcat": "cat",
    "black cat": "cat",
    "double decker bus": "bus",
}

# Stamps that the rule in is_photographic misjudges: True marks a photograph,
# False a drawing. Found by viewing every stamp of tuxpaint-stamps-default
# 2022.06.04-1 that the rule accepts and every one outside cartoon folders
# that it rejects.
PHOTOGRAPHIC_OVERRIDES = {
    # Photographs that the rule rejects: dark fur, clipped highlights or smooth surfaces.
    "animals/mammals/rhino_black": True,
    "plants/flowers/flower2": True,
    "plants/flowers/flower5": True,
    "plants/flowers/flower8": True,
    "household/dishes/mug": True,
    "animals/lizards/iguana": True,
    "town/monuments/inukshuk-photo": True,
    "space/moon/moon_crescent": True,
    # Drawings with a painted, crayon or noise texture.
    "seasonal/easter/chick": False,
    "seasonal/easter/bluebird": False,
    "seasonal/easter/bunny": False,
    "seasonal/christmas/santahat": False,
    "seasonal/christmas/Santa": False,
    "seasonal/newyears/party-horn-out": False,
    "seasonal/newyears/party-horn-in": False,
    "seasonal/hanukkah/menorah": False,
    "seasonal/newyears/party-hat": False,
    "clothes/button": False,
    "seasonal/easter/butterfly": False,
    "seasonal/easter/daffodil": False,
    "seasonal/easter/wrapped_chocolate_easter_egg": False,
    "seasonal/easter/wrapped_chocolate_easter_egg_2": False,
    "seasonal/christmas/stocking": False,
    "seasonal/christmas/hard_candy": False,
    "plants/trees/holly_leaves": False,
    "household/arttools/highlighter": False,
    "seasonal/halloween/skull": False,
}

# Thresholds of is_photographic, set after viewing the stamps sorted by texture.
MIN_PHOTO_TEXTURE = 0.25
MAX_PHOTO_FLATNESS = 0.30
# Luma steps (0 to 255) of the 4-neighbour Laplacian that count as fine detail.
TEXTURE_STEP = 3.0
OPAQUE_ALPHA = 250

DESCRIPTION_END = re.compile(
    r"\s[—–-]\s|—|\(|,|\.|!|\?|:|;"
    r"|\b(?:is|are|lets|means|called|used|carries|carry|from|with|for|in|at|to|until"
    r"|stands|put|makes|resembles|playing|dancing|on|hatched|inside|making)\b"
)
LEADING_WORDS = {"a", "an", "the", "some", "our", "two", "another", "eat", "your"}
CONTAINER_WORDS = {"pair", "head", "string", "bunch", "cluster", "quarter", "plant", "glass"}
ADJECTIVES = set(
    """
    red green yellow blue brown pink white black purple silver golden grey gray colorful
    colourful big large small little very huge tiny ripe sweet old modern old-fashioned happy
    floppy-eared sliced electric adjustable european sleeping sitting male female baby lit
    wrapped chocolate classical common freshwater spiny great sumatran indian tamworth helmeted
    crowned magellanic albino emperor bolted rainbow adelaide checkered medieval fairytale round
    square swiss wooden dry erase metal garden home hard alien tough fast bitter seville mean
    headed poisonous eared singing toy
    """.split()
)


def derive_noun(description: str) -> str:
    """Return the head noun phrase of a stamp description ("A very small pumpkin." -> "pumpkin").

    Cuts the description at its first clause break, drops quoted variety names,
    leading articles, container words ("a pair of", "a head of") and leading
    adjectives, and keeps the last three words. The result may still be poor:
    STAMP_NOUNS and EVERYDAY_NOUNS correct the known cases.
    """
    text = re.sub(r"[“\"][^”\"]*[”\"]", "", description)
    text = DESCRIPTION_END.split(text, maxsplit=1)[0]
    words = text.lower().replace("’s", "").replace("'s", "").split()
    while words and words[0] in LEADING_WORDS:
        words = words[1:]
    if len(words) >= 3 and words[1] == "of" and words[0] in CONTAINER_WORDS:
        words = words[2:]
    while len(words) > 1 and words[0] in ADJECTIVES:
        words = words[1:]
    return " ".join(words[-3:])


def read_description(txt_path: Path) -> str:
    """Return the English description: the first line of a stamp's .txt file."""
    lines = txt_path.read_text(encoding="utf-8").splitlines()
    return lines[0].strip() if lines else ""


def read_options(dat_path: Path) -> set[str]:
    """Return the Tux Paint options of a stamp's .dat file ("nomirror", "noflip", ...)."""
    if not dat_path.exists():
        return set()
    return {line.strip().lower() for line in dat_path.read_text(encoding="utf-8").splitlines()}


def stamp_key(relative: Path) -> str:
    return relative.with_suffix("").as_posix()


def excluded_reason(key: str) -> str | None:
    """Return why the stamp at ``key`` (relative path without .png) is left out, or None."""
    if key in EXCLUDED_STAMPS:
        return EXCLUDED_STAMPS[key]
    if key.startswith(KEPT_SYMBOL_FOLDERS):
        return None
    for folder, reason in EXCLUDED_FOLDERS.items():
        if key.startswith(folder + "/"):
            return reason
    return None


def stamp_noun(key: str, description: str) -> str:
    if key.startswith(KEPT_SYMBOL_FOLDERS):
        return "coin"
    if key in STAMP_NOUNS:
        return STAMP_NOUNS[key]
    noun = derive_noun(description)
    return EVERYDAY_NOUNS.get(noun, noun)


def measure_stamp(rgba: np.ndarray) -> tuple[float, float]:
    """Return (texture, flatness) of an (H, W, 4) uint8 stamp, measured on its opaque part.

    texture: the share of interior pixels (alpha >= 250, two pixels inside the
    outline) where the 4-neighbour Laplacian of the luma is at least 3 of 255.
    Photographs carry fine detail and sensor noise nearly everywhere, while
    drawings have flat fills and smooth gradients, where the Laplacian is 0.
    flatness: the share of horizontally or vertically adjacent opaque pixel
    pairs with exactly the same RGB value. Drawings have large exact fills.
    """
    alpha = rgba[..., 3]
    opaque = alpha >= OPAQUE_ALPHA
    rgb = rgba[..., :3].astype(np.int16)

    # flatness: identical neighbours among opaque pairs.
    pairs_x = opaque[:, 1:] & opaque[:, :-1]
    pairs_y = opaque[1:] & opaque[:-1]
    same_x = (rgb[:, 1:] == rgb[:, :-1]).all(-1) & pairs_x
    same_y = (rgb[1:] == rgb[:-1]).all(-1) & pairs_y
    num_pairs = int(pairs_x.sum() + pairs_y.sum())
    flatness = float(same_x.sum() + same_y.sum()) / num_pairs if num_pairs else 1.0

    # texture: Laplacian of the luma on the interior, away from the outline.
    interior = opaque.copy()
    for _ in range(2):
        shrunk = interior.copy()
        shrunk[1:] &= interior[:-1]
        shrunk[:-1] &= interior[1:]
        shrunk[:, 1:] &= interior[:, :-1]
        shrunk[:, :-1] &= interior[:, 1:]
        shrunk[0, :] = shrunk[-1, :] = shrunk[:, 0] = shrunk[:, -1] = False
        interior = shrunk
    luma = rgba[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    laplacian = (
        4 * luma[1:-1, 1:-1] - luma[:-2, 1:-1] - luma[2:, 1:-1] - luma[1:-1, :-2] - luma[1:-1, 2:]
    )
    inside = interior[1:-1, 1:-1]
    if not inside.any():
        return 0.0, flatness
    texture = float((np.abs(laplacian[inside]) >= TEXTURE_STEP).mean())
    return texture, flatness


def is_photographic(key: str, drawn: bool, texture: float, flatness: float) -> bool:
    """Decide whether a stamp is a photograph (see the module's thresholds).

    ``drawn`` marks stamps that the package itself shows to be drawings: those
    in a ``cartoon`` folder and those with an SVG twin.
    """
    if key in PHOTOGRAPHIC_OVERRIDES:
        return PHOTOGRAPHIC_OVERRIDES[key]
    if drawn:
        return False
    return texture >= MIN_PHOTO_TEXTURE and flatness <= MAX_PHOTO_FLATNESS


def stamps_dir(root: Path | None) -> Path:
    if root is None:
        return fetch_deb(STAMPS_PACKAGE).unpacked / STAMPS_DIR
    return Path(root) / STAMPS_DIR


def load_stamps(root: Path | None = None) -> list[Stamp]:
    """Read every usable stamp of tuxpaint-stamps-default, photographs and drawings.

    ``root`` is the filesystem root the package is unpacked under (``/`` when
    installed); with None the package is fetched into the data cache. Stamps
    without a description, without transparency, mirror twins, left-out
    stamps (EXCLUDED_FOLDERS, EXCLUDED_STAMPS) and stamps whose noun is not
    one to three lowercase words are skipped, and the counts are logged.
    """
    directory = stamps_dir(root)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"stamp folder {directory} not found: unpack the Debian package {STAMPS_PACKAGE} "
            "under the root, or pass root=None to fetch it"
        )
    stamps = []
    skipped: dict[str, int] = {}
    for path in sorted(directory.rglob("*.png")):
        relative = path.relative_to(directory)
        key = stamp_key(relative)
        reason = skip_reason(path, key)
        if reason is None:
            stamp, reason = read_stamp(path, relative, key)
            if stamp is not None:
                stamps.append(stamp)
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
    logger.info(
        "%d stamps (%d photographs) from %s; skipped: %s",
        len(stamps),
        sum(stamp.photographic for stamp in stamps),
        directory,
        ", ".join(f"{count} {reason}" for reason, count in sorted(skipped.items())) or "none",
    )
    return stamps


def skip_reason(path: Path, key: str) -> str | None:
    if path.stem.endswith("_mirror"):
        return "mirror twin"
    if not path.with_suffix(".txt").exists():
        return "no description"
    return excluded_reason(key)


def read_stamp(path: Path, relative: Path, key: str) -> tuple[Stamp | None, str | None]:
    """Return (the stamp, None), or (None, the reason it is skipped)."""
    description = read_description(path.with_suffix(".txt"))
    noun = stamp_noun(key, description)
    if not NOUN_PATTERN.fullmatch(noun):
        logger.warning("skipping stamp %s: its noun %r is not 1-3 lowercase words", key, noun)
        return None, "noun not 1-3 lowercase words"
    rgba = load_rgba(path)
    if rgba is None:
        return None, "no transparency"
    texture, flatness = measure_stamp(np.asarray(rgba))
    drawn = "cartoon" in relative.parts or path.with_suffix(".svg").exists()
    stamp = Stamp(
        path=path,
        name=relative.as_posix(),
        category=relative.parts[0],
        noun=noun,
        description=description,
        photographic=is_photographic(key, drawn, texture, flatness),
        mirrorable="nomirror" not in read_options(path.with_suffix(".dat")),
        texture=round(texture, 4),
        flatness=round(flatness, 4),
    )
    return stamp, None


@cache
def load_rgba(path: Path) -> Image.Image | None:
    """Return the stamp cropped to its visible pixels as RGBA, or None when it has no alpha."""
    with Image.open(path) as image:
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        rgba = image.convert("RGBA")
    if not has_alpha or rgba.getchannel("A").getextrema()[0] == 255:
        return None
    # Faint pixels (alpha < 16) such as soft shadows do not count towards the box.
    visible = rgba.getchannel("A").point(lambda a: 255 if a >= 16 else 0)
    box = visible.getbbox()
    return rgba.crop(box) if box else None


# ---------------------------------------------------------------------------
# Backgrounds

MATE = "mate-backgrounds"
LOMIRI = "lomiri-wallpapers-16.04"
PLASMA = "plasma-workspace-wallpapers"
MATE_DIR = "usr/share/backgrounds/mate/nature"
LOMIRI_DIR = "usr/share/backgrounds"
PLASMA_DIR = "usr/share/wallpapers"

# (package, path under the root, name, scene phrase, licence). Only real
# photographs of nature and places are listed. The abstract and drawn
# wallpapers were left out after looking at them. So were photographs whose
# main subject is an object or animal that the captions would not name: the
# dogs, clock, toy bird, fig, paint brushes and dragonfly of
# lomiri-wallpapers-16.04 and the cups of Plasma. Licences are from each
# package's copyright file (Plasma: each wallpaper's metadata.json).
BACKGROUND_TABLE = [
    (MATE, f"{MATE_DIR}/Aqua.jpg", "Aqua", "by a splash of water", "GPL-2+"),
    (MATE, f"{MATE_DIR}/Blinds.jpg", "Blinds", "on a green leaf", "GPL-2+"),
    (MATE, f"{MATE_DIR}/Dune.jpg", "Dune", "in the dune grass by the sea", "GPL-2+"),
    (MATE, f"{MATE_DIR}/FreshFlower.jpg", "FreshFlower", "in front of orange petals", "GPL-2+"),
    (MATE, f"{MATE_DIR}/Garden.jpg", "Garden", "in a garden", "GPL-2+"),
    (MATE, f"{MATE_DIR}/GreenMeadow.jpg", "GreenMeadow", "on the grass", "GPL-2+"),
    (MATE, f"{MATE_DIR}/LadyBird.jpg", "LadyBird", "among grass and blue blossoms", "GPL-2+"),
    (MATE, f"{MATE_DIR}/RainDrops.jpg", "RainDrops", "on wet green leaves", "GPL-2+"),
    (MATE, f"{MATE_DIR}/Storm.jpg", "Storm", "on a road under a stormy sky", "GPL-2+"),
    (MATE, f"{MATE_DIR}/TwoWings.jpg", "TwoWings", "in front of dandelion seeds", "GPL-2+"),
    (MATE, f"{MATE_DIR}/Wood.jpg", "Wood", "on wooden boards", "GPL-2+"),
    (MATE, f"{MATE_DIR}/YellowFlower.jpg", "YellowFlower", "in front of yellow petals", "GPL-2+"),
    (
        LOMIRI,
        f"{LOMIRI_DIR}/aitzgorri_by_Aitzol_Berasategi.jpg",
        "aitzgorri",
        "in a mountain meadow",
        "CC-BY-4.0",
    ),
    (
        LOMIRI,
        f"{LOMIRI_DIR}/Bridge_by_Sander_Klootwijk.jpg",
        "Bridge",
        "by the sea under a blue sky",
        "CC-BY-SA-4.0",
    ),
    (
        LOMIRI,
        f"{LOMIRI_DIR}/life_by_Aitzol_Berasategi.jpg",
        "life",
        "by a forest stream",
        "CC-BY-4.0",
    ),
    (
        LOMIRI,
        f"{LOMIRI_DIR}/picosdeeuropa_by_Aitzol_Berasategi.jpg",
        "picosdeeuropa",
        "on a mountain path",
        "CC-BY-4.0",
    ),
    (
        LOMIRI,
        f"{LOMIRI_DIR}/seeding_by_Clements_Engelhardt.jpg",
        "seeding",
        "in a field of dandelions",
        "CC0-1.0",
    ),
    (
        LOMIRI,
        f"{LOMIRI_DIR}/sunset_by_Aitzol_Berasategi.jpg",
        "sunset",
        "on a hilltop at sunset",
        "CC-BY-4.0",
    ),
    (
        LOMIRI,
        f"{LOMIRI_DIR}/Wine_by_Jakkub_Mede.jpg",
        "Wine",
        "in a living room",
        "CC-BY-4.0",
    ),
    (
        PLASMA,
        f"{PLASMA_DIR}/BytheWater/contents/images/2560x1600.jpg",
        "BytheWater",
        "on a wooden pier by a lake",
        "LGPL-3",
    ),
    (
        PLASMA,
        f"{PLASMA_DIR}/ColdRipple/contents/images/2560x1600.jpg",
        "ColdRipple",
        "on a jetty in the fog",
        "LGPL-3",
    ),
    (
        PLASMA,
        f"{PLASMA_DIR}/DarkestHour/contents/images/2560x1600.jpg",
        "DarkestHour",
        "by a misty lake",
        "LGPL-3",
    ),
    (
        PLASMA,
        f"{PLASMA_DIR}/EveningGlow/contents/images/2560x1600.jpg",
        "EveningGlow",
        "on a lake shore at sunset",
        "LGPL-3",
    ),
    (
        PLASMA,
        f"{PLASMA_DIR}/FallenLeaf/contents/images/2560x1600.jpg",
        "FallenLeaf",
        "on autumn leaves",
        "LGPL-3",
    ),
    (
        PLASMA,
        f"{PLASMA_DIR}/Kite/contents/images/2560x1600.jpg",
        "Kite",
        "under a blue sky",
        "LGPL-3",
    ),
    (
        PLASMA,
        f"{PLASMA_DIR}/OneStandsOut/contents/images/2560x1600.jpg",
        "OneStandsOut",
        "on green moss",
        "LGPL-3",
    ),
    (
        PLASMA,
        f"{PLASMA_DIR}/Path/contents/images/2560x1600.jpg",
        "Path",
        "in a pine forest",
        "LGPL-3",
    ),
    (
        PLASMA,
        f"{PLASMA_DIR}/summer_1am/contents/images/2560x1600.jpg",
        "summer_1am",
        "by a calm lake at dusk",
        "LGPL-3",
    ),
]

BACKGROUND_PACKAGES = (MATE, LOMIRI, PLASMA)
SOURCE_PACKAGES = (STAMPS_PACKAGE, *BACKGROUND_PACKAGES)


def fetch_sources() -> dict[str, FetchedPackage]:
    """Fetch (once) every Debian package that the scenes use, keyed by package name."""
    return {name: fetch_deb(name) for name in SOURCE_PACKAGES}


def load_backgrounds(root: Path | None = None) -> list[Background]:
    """Return the background photographs of BACKGROUND_TABLE.

    ``root`` is the filesystem root the three wallpaper packages are unpacked
    under (``/`` when installed); with None each package is fetched into the
    data cache. Raises FileNotFoundError naming the missing files.
    """
    roots = {
        package: Path(root) if root is not None else fetch_deb(package).unpacked
        for package in BACKGROUND_PACKAGES
    }
    backgrounds = [
        Background(roots[package] / relative, name, scene, package, license_name)
        for package, relative, name, scene, license_name in BACKGROUND_TABLE
    ]
    missing = [str(background.path) for background in backgrounds if not background.path.exists()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of {len(backgrounds)} background photographs are missing: "
            f"{', '.join(missing[:3])}; unpack {', '.join(BACKGROUND_PACKAGES)} under the root "
            "or pass root=None to fetch them"
        )
    return backgrounds
