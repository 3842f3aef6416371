// Demo pictures for the mock catalog, drawn here as small PNGs (a coloured
// field, a disc and a band, in each product's own colours), and served as
// the real gateway serves images: GET /images/{id} (full size) and
// /images/{id}?size=thumb (at most 480 pixels on the longer side), with an
// ETag and long-lived caching (an image's bytes never change under its id).
// Only some products get pictures, so the grid's placeholder shows too.
// Uploaded images live in mock/images.ts, which serves both.

import { createHash } from "node:crypto";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { deflateSync } from "node:zlib";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { ProductImageSchema, type Product, type ProductImage } from "../src/gen/shop/catalog/v1/catalog_pb";

const THUMB_MAX = 480;

type Rgb = [number, number, number];
interface Drawing { width: number; height: number; back: Rgb; disc: Rgb; band: Rgb }

/** Pictures by product name: [width, height, background, disc, band, alt text] per picture. */
const DEMO: Record<string, [number, number, Rgb, Rgb, Rgb, string][]> = {
  "Ethiopia Yirgacheffe Coffee Beans": [
    [800, 600, [92, 58, 33], [201, 148, 84], [240, 226, 200], "A bag of Ethiopian coffee beans"],
    [600, 800, [60, 38, 24], [170, 110, 60], [220, 190, 150], ""],
  ],
  "Colombia Huila Coffee Beans": [[800, 600, [110, 70, 40], [214, 170, 110], [250, 236, 210], "A bag of Colombian coffee beans"]],
  "Espresso Blend": [[800, 800, [40, 26, 18], [150, 96, 54], [230, 200, 160], ""]],
  "Sencha Green Tea": [[800, 600, [58, 96, 52], [160, 200, 120], [236, 244, 220], "A tin of green tea"]],
  "Conical Burr Grinder": [[600, 800, [70, 74, 80], [180, 186, 196], [240, 240, 244], "A black burr grinder"]],
  "Stoneware Mug": [[800, 600, [36, 74, 128], [120, 160, 210], [232, 240, 250], "A blue stoneware mug"]],
  "Milk Frother": [[800, 600, [120, 120, 116], [210, 210, 200], [250, 250, 246], ""]],
};

interface Stored { drawing: Drawing; full?: Buffer; thumb?: Buffer }
const images = new Map<string, Stored>();

/** The product's demo pictures (none for most), registered for serving. */
export function demoImages(product: Product): ProductImage[] {
  return (DEMO[product.name] ?? []).map(([width, height, back, disc, band, altText]) => {
    const id = crypto.randomUUID();
    images.set(id, { drawing: { width, height, back, disc, band } });
    return create(ProductImageSchema, {
      id,
      contentType: "image/png",
      width,
      height,
      sizeBytes: BigInt(png(id, "full").length),
      url: `/images/${id}`,
      thumbnailUrl: `/images/${id}?size=thumb`,
      altText,
      createTime: timestampNow(),
    });
  });
}

type Fallback = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** A demo picture deleted in the back office: its URLs answer 404 from now on. */
export function forgetDemoImage(id: string): void {
  images.delete(id);
}

/** Answers GET /images/{id}[?size=thumb] for a demo picture (404 for an id it does not know); false for any other request. */
export function serveDemoImage(req: Parameters<Fallback>[0], res: Parameters<Fallback>[1]): boolean {
  const url = new URL(req.url ?? "/", "http://x");
  const m = /^\/images\/([0-9a-f-]{36})$/.exec(url.pathname);
  if (!m || req.method !== "GET") return false;
  if (!images.has(m[1])) {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("no such image");
    return true;
  }
  const size = url.searchParams.get("size") === "thumb" ? "thumb" : "full";
  const bytes = png(m[1], size);
  const etag = `"${createHash("sha256").update(bytes).digest("hex")}"`;
  const headers = { etag, "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" };
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, "content-type": "image/png", "content-length": bytes.length });
  res.end(bytes);
  return true;
}

function png(id: string, size: "full" | "thumb"): Buffer {
  const stored = images.get(id)!;
  const cached = stored[size];
  if (cached) return cached;
  const { width, height } = stored.drawing;
  const scale = size === "thumb" ? Math.min(1, THUMB_MAX / Math.max(width, height)) : 1;
  const bytes = encodePng(Math.round(width * scale), Math.round(height * scale), stored.drawing);
  stored[size] = bytes;
  return bytes;
}

/** Draws the picture at w x h and encodes it as an 8-bit RGB PNG. */
function encodePng(w: number, h: number, d: Drawing): Buffer {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  const r = Math.min(w, h) * 0.28;
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0; // no filter
    for (let x = 0; x < w; x++) {
      const inDisc = (x - w / 2) ** 2 + (y - h * 0.45) ** 2 < r * r;
      const inBand = y > h * 0.8 && y < h * 0.88;
      const c = inDisc ? d.disc : inBand ? d.band : d.back;
      raw.set(c, row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
