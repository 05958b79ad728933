"""Demo photos drawn with Pillow: offices with windows, desks, screens and plants.

Nothing is downloaded. A small pool is drawn once and shared between demo listings, so
seeding stays fast while each listing still shows 2-4 different photos.
"""

import io
import random

from PIL import Image, ImageDraw

WALLS = [(236, 228, 214), (222, 232, 238), (240, 236, 228), (214, 222, 212), (238, 224, 220)]
FLOORS = [(166, 124, 82), (120, 110, 100), (190, 160, 120), (90, 92, 96)]
SKIES = [(150, 196, 235), (250, 200, 150), (176, 212, 240)]


def office_jpeg(seed: int, width: int = 1800, height: int = 1200) -> bytes:
    """Return a JPEG of a plausible office interior, different for each seed."""
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height), rng.choice(WALLS))
    draw = ImageDraw.Draw(img)
    horizon = int(height * 0.62)
    draw.rectangle([0, horizon, width, height], fill=rng.choice(FLOORS))
    # Windows with mountains (Boulder) or towers (Denver) behind them.
    sky = rng.choice(SKIES)
    n_windows = rng.randint(2, 4)
    pane = width // (n_windows * 2 + 1)
    for i in range(n_windows):
        x0 = pane * (2 * i + 1)
        draw.rectangle([x0, 120, x0 + pane, horizon - 140], fill=sky, outline=(60, 60, 60), width=8)
        if seed % 2:
            peak = x0 + rng.randint(0, pane)
            draw.polygon(
                [(x0, horizon - 150), (peak, 260), (x0 + pane, horizon - 150)], fill=(110, 120, 130)
            )
        else:
            for _ in range(3):
                bx = x0 + rng.randint(0, max(pane - 60, 1))
                draw.rectangle(
                    [bx, rng.randint(220, 400), bx + 60, horizon - 150], fill=(120, 130, 150)
                )
    # Desks with screens.
    for i in range(rng.randint(2, 5)):
        dx = 80 + i * (width - 160) // 5 + rng.randint(-20, 20)
        dy = horizon + 60 + rng.randint(0, 120)
        draw.rectangle([dx, dy, dx + 260, dy + 26], fill=(245, 245, 240))
        draw.rectangle([dx + 20, dy + 26, dx + 34, dy + 200], fill=(70, 70, 70))
        draw.rectangle([dx + 226, dy + 26, dx + 240, dy + 200], fill=(70, 70, 70))
        draw.rectangle([dx + 80, dy - 110, dx + 200, dy - 10], fill=(30, 34, 40))
        draw.rectangle([dx + 132, dy - 10, dx + 148, dy], fill=(30, 34, 40))
    # A plant or two.
    for _ in range(rng.randint(1, 2)):
        px = rng.randint(40, width - 140)
        draw.rectangle([px + 30, horizon + 240, px + 90, horizon + 330], fill=(160, 90, 60))
        draw.ellipse([px, horizon + 110, px + 120, horizon + 250], fill=(60, 130, 70))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()
