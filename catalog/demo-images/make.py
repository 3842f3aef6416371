#!/usr/bin/env python3
"""Draws the demo catalog's product images (one per demo product).

Simple flat illustrations, made here from shapes and the product's name,
so the demo ships no photos and nothing of anyone else's. Needs Pillow:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install Pillow
    /tmp/venv/bin/python catalog/demo-images/make.py

writes `NN.webp` (NN: the last two digits of the product's id) next to
this script, from ../data/demo-products.json.
"""

import json
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
SIZE = 600
QUALITY = 70

# Background and ink per category.
PALETTES = {
    "coffee": ((244, 233, 216), (96, 58, 32)),
    "tea": ((226, 240, 222), (52, 104, 60)),
    "brewing": ((222, 232, 242), (40, 70, 110)),
    "kitchen": ((246, 228, 226), (150, 60, 56)),
    "snacks": ((250, 238, 210), (120, 72, 20)),
    "gear": ((234, 230, 244), (72, 56, 120)),
}


def bag(d, ink, accent):
    d.rounded_rectangle((190, 110, 410, 440), 26, fill=ink)
    d.rectangle((190, 110, 410, 150), fill=accent)
    d.ellipse((250, 220, 350, 330), fill=accent)
    d.line((300, 228, 300, 322), fill=ink, width=8)


def tin(d, ink, accent):
    d.rounded_rectangle((200, 150, 400, 440), 18, fill=ink)
    d.rectangle((190, 130, 410, 175), fill=accent)
    leaf(d, (300, 300), 70, accent)


def leaf(d, centre, r, colour):
    x, y = centre
    d.chord((x - r, y - r * 1.6, x + r, y + r * 0.4), 20, 160, fill=colour)
    d.chord((x - r, y - r * 0.4, x + r, y + r * 1.6), 200, 340, fill=colour)


def flowers(d, ink, accent):
    for cx, cy, r in ((220, 230, 70), (380, 260, 60), (300, 380, 75)):
        for k in range(10):
            a = 2 * math.pi * k / 10
            px, py = cx + r * math.cos(a), cy + r * math.sin(a)
            d.ellipse((px - r * 0.45, py - r * 0.45, px + r * 0.45, py + r * 0.45), fill="white")
        d.ellipse((cx - r * 0.5, cy - r * 0.5, cx + r * 0.5, cy + r * 0.5), fill=accent)


def grinder(d, ink, accent):
    d.polygon(((230, 120), (370, 120), (340, 220), (260, 220)), fill=accent)
    d.rectangle((230, 220, 370, 450), fill=ink)
    d.line((300, 120, 300, 80, 400, 80), fill=ink, width=12)
    d.ellipse((388, 68, 416, 96), fill=accent)


def dripper(d, ink, accent):
    d.polygon(((190, 160), (410, 160), (330, 300), (270, 300)), fill=ink)
    d.rectangle((170, 300, 430, 318), fill=ink)
    d.rounded_rectangle((220, 330, 380, 450), 20, fill=accent)


def filters(d, ink, accent):
    for k in range(4):
        off = k * 28
        d.polygon(((170 + off, 200 + off), (390 + off, 200 + off), (330 + off, 380 + off), (230 + off, 380 + off)),
                  fill="white", outline=ink, width=6)


def press(d, ink, accent):
    d.rectangle((230, 170, 370, 450), fill=accent, outline=ink, width=10)
    d.rectangle((240, 300, 360, 440), fill=ink)
    d.line((300, 90, 300, 170), fill=ink, width=12)
    d.ellipse((280, 70, 320, 110), fill=ink)
    d.arc((330, 220, 430, 380), 270, 90, fill=ink, width=14)


def kettle(d, ink, accent):
    d.chord((170, 200, 430, 460), 180, 360, fill=ink)
    d.rectangle((170, 330, 430, 450), fill=ink)
    d.arc((110, 250, 250, 420), 180, 300, fill=ink, width=14)
    d.line((112, 330, 90, 230), fill=ink, width=14)
    d.arc((230, 150, 370, 260), 180, 360, fill=accent, width=14)


def scale(d, ink, accent):
    d.rounded_rectangle((130, 300, 470, 400), 20, fill=ink)
    d.rectangle((220, 325, 380, 375), fill=accent)
    d.text((300, 350), "0.0 g", fill=ink, anchor="mm", font=font(34))


def mug(d, ink, accent):
    d.rounded_rectangle((190, 180, 380, 440), 24, fill=ink)
    d.arc((330, 230, 450, 380), 270, 90, fill=ink, width=26)
    d.rectangle((190, 180, 380, 215), fill=accent)


def glasses(d, ink, accent):
    for x in (160, 320):
        d.rounded_rectangle((x, 200, x + 120, 420), 18, outline=ink, width=10)
        d.rounded_rectangle((x + 18, 260, x + 102, 402), 12, fill=accent)


def canister(d, ink, accent):
    d.rectangle((210, 180, 390, 450), fill=ink)
    d.ellipse((210, 150, 390, 210), fill=accent)
    d.rectangle((285, 120, 315, 160), fill=accent)


def frother(d, ink, accent):
    d.rounded_rectangle((270, 80, 330, 280), 20, fill=ink)
    d.line((300, 280, 300, 400), fill=ink, width=8)
    d.ellipse((260, 390, 340, 450), outline=accent, width=10)


def whisk(d, ink, accent):
    d.chord((150, 300, 450, 500), 0, 180, fill=accent)
    d.rectangle((280, 90, 320, 200), fill=ink)
    for k in range(-5, 6):
        d.line((300 + k * 4, 200, 300 + k * 16, 340), fill=ink, width=5)


def chocolate(d, ink, accent):
    d.rectangle((170, 150, 430, 450), fill=ink)
    for x in range(170, 430, 65):
        for y in range(150, 450, 75):
            d.rectangle((x + 8, y + 8, x + 57, y + 67), fill=accent)


def biscotti(d, ink, accent):
    for k in range(3):
        box = (150 + k * 40, 170 + k * 90, 450 - k * 20, 260 + k * 90)
        d.rounded_rectangle(box, 40, fill=accent, outline=ink, width=6)
        for j in range(4):
            x = box[0] + 50 + j * 60
            d.ellipse((x, box[1] + 30, x + 20, box[1] + 50), fill=ink)


def apron(d, ink, accent):
    d.polygon(((240, 120), (360, 120), (360, 220), (430, 260), (410, 460), (190, 460), (170, 260), (240, 220)), fill=ink)
    d.arc((240, 60, 360, 180), 180, 360, fill=ink, width=10)
    d.rectangle((250, 320, 350, 390), fill=accent)


def sleeve(d, ink, accent):
    d.rounded_rectangle((170, 140, 450, 330), 18, fill=accent)
    d.rectangle((150, 230, 430, 440), fill=ink)
    d.polygon(((150, 230), (290, 330), (430, 230)), fill=accent)


# One drawing per product, by the last two digits of its id.
DRAWINGS = {
    "01": bag, "02": bag, "03": bag, "04": bag,
    "05": tin, "06": tin, "07": flowers,
    "08": grinder, "09": dripper, "10": filters, "11": press, "12": kettle, "13": scale,
    "14": mug, "15": glasses, "16": canister, "17": frother,
    "18": whisk, "19": chocolate, "20": biscotti, "21": apron, "22": sleeve,
}

# A distinct accent colour per product.
ACCENTS = [
    (214, 160, 60), (200, 90, 60), (60, 150, 170), (150, 170, 70), (120, 190, 110),
    (210, 120, 80), (240, 200, 60), (180, 180, 190), (230, 120, 100), (200, 190, 160),
    (120, 170, 220), (230, 180, 70), (100, 220, 180), (240, 170, 130), (170, 210, 240),
    (220, 160, 90), (250, 230, 200), (140, 200, 100), (180, 110, 70), (230, 200, 140),
    (230, 140, 90), (240, 190, 80),
]


def font(size):
    return ImageFont.load_default(size=size)


def wrapped(name, width=24):
    lines, line = [], ""
    for word in name.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line]


def draw(product, accent):
    number = product["id"][-2:]
    background, ink = PALETTES[product["category"]]
    picture = Image.new("RGB", (SIZE, SIZE), background)
    d = ImageDraw.Draw(picture)
    DRAWINGS[number](d, ink, accent)
    lines = wrapped(product["name"])
    for i, line in enumerate(lines):
        y = 520 - (len(lines) - 1 - i) * 36
        d.text((SIZE // 2, y), line, fill=ink, anchor="mm", font=font(32))
    return number, picture


def main():
    products = json.loads((HERE.parent / "data" / "demo-products.json").read_text())
    total = 0
    for product, accent in zip(products, ACCENTS):
        number, picture = draw(product, accent)
        path = HERE / f"{number}.webp"
        picture.save(path, "WEBP", quality=QUALITY, method=6)
        total += path.stat().st_size
        print(f"{path.name}: {path.stat().st_size} bytes  {product['name']}")
    print(f"total: {total} bytes")


if __name__ == "__main__":
    main()
