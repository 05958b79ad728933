"""Peak memory of one photo upload, for the largest images each format may be.

    .venv/bin/python loadtest/upload_memory.py

Each image is drawn first (in this process), then uploaded in a fresh Python process that
sets Django up on a throwaway SQLite database and runs what the host admin runs: the form's
check (``image_validate``) and ``photo_create``. That process resets its peak RSS (Linux's
``/proc/self/clear_refs``), and reports its RSS before the upload and its peak (``VmHWM``)
during it; the difference is what the upload cost.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (label, file name, format, mode, size): the largest square of each kind the budget
# (listings.services.MAX_DECODE_BYTES) accepts, the largest JPEG, and the 6,300 x 6,300 PNG
# that took ~480 MB before there was a budget (refused now).
CASES = [
    ("JPEG 7,300 x 5,475 (40 Mpx, the pixel limit)", "a.jpg", "JPEG", "RGB", (7300, 5475)),
    ("JPEG 3,199 x 3,199 (largest decoded whole)", "b.jpg", "JPEG", "RGB", (3199, 3199)),
    ("PNG RGB 3,320 x 3,320", "c.png", "PNG", "RGB", (3320, 3320)),
    ("PNG palette 3,040 x 3,040", "d.png", "PNG", "P", (3040, 3040)),
    ("PNG greyscale 5,280 x 5,280", "e.png", "PNG", "L", (5280, 5280)),
    ("PNG RGBA 2,510 x 2,510", "f.png", "PNG", "RGBA", (2510, 2510)),
    ("WebP RGB 2,120 x 2,120", "g.webp", "WEBP", "RGB", (2120, 2120)),
    ("PNG RGB 6,300 x 6,300 (over the budget)", "h.png", "PNG", "RGB", (6300, 6300)),
]

CHILD = r"""
import json, os, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.exceptions import ValidationError
from listings.tests.factories import ListingFactory
listing = ListingFactory()
path = sys.argv[1]
with open(path, "rb") as fh:
    upload = SimpleUploadedFile(os.path.basename(path), fh.read())
from listings.services import image_validate, photo_create

def status(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key + ":"))

with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # resets the peak (VmHWM) to the current RSS
before = status("VmRSS")
try:
    image_validate(upload)
    photo = photo_create(listing=listing, image=upload)
    outcome = f"stored {photo.width} x {photo.height}"
except ValidationError as exc:
    outcome = "refused: " + " ".join(exc.messages)[:60]
after = status("VmHWM")
print(json.dumps({"before_kb": before, "after_kb": after, "outcome": outcome}))
"""


def draw(path: Path, fmt: str, mode: str, size: tuple[int, int]) -> None:
    from PIL import Image, ImageDraw

    img = Image.new(mode, size, 90 if mode in ("L", "P") else (90, 120, 150, 255)[: len(mode)])
    ImageDraw.Draw(img).rectangle([size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2])
    img.save(path, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    img.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pivotdesk.settings.test",
            "MEDIA_ROOT": f"{tmp}/media",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("REDIS_URL", None)
        print("| image | file | RSS before | peak during | upload cost | outcome |")
        print("|---|---|---|---|---|---|")
        for label, name, fmt, mode, size in CASES:
            path = Path(tmp) / name
            draw(path, fmt, mode, size)
            child = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)],
                cwd=ROOT,
                env={**env, "DATABASE_URL": f"sqlite:///{tmp}/{name}.sqlite3"},
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode:
                raise SystemExit(child.stderr[-3000:])
            result = json.loads(child.stdout.strip().splitlines()[-1])
            before, after = result["before_kb"] // 1024, result["after_kb"] // 1024
            kb = path.stat().st_size // 1024
            print(
                f"| {label} | {kb:,} KB | {before} MB | {after} MB | {after - before} MB |"
                f" {result['outcome']} |"
            )
            path.unlink()


if __name__ == "__main__":
    main()
