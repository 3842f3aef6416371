// Product images for the mock gateway, in memory: the bytes uploaded with
// CatalogService.AddProductImage, kept by image id and served at the URLs
// ProductImage names ("/images/{id}" and "/images/{id}?size=thumb"), as the
// real gateway does. Its own module so every catalog mock (the back
// office's, the shop's) shares one store.
//
// Simplified: the type is read from the bytes' signature (JPEG, PNG, WebP),
// the size from a PNG's header only (others report 0 x 0), and the "thumb"
// is the same bytes (the real service makes a copy of at most 480 px).
// The demo products' pictures (mock/demo-images.ts) are served from here
// too, so /images/{id} answers for both.

import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { ProductImageSchema, type ProductImage } from "../src/gen/shop/catalog/v1/catalog_pb";
import { forgetDemoImage, serveDemoImage } from "./demo-images";

export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;
export const MAX_IMAGES_PER_PRODUCT = 8;

const bytesById = new Map<string, { contentType: string; content: Uint8Array }>();

/** The type the bytes' signature names, or "" for anything else. */
export function sniff(b: Uint8Array): string {
  if (b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  if (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  const ascii = (from: number, to: number) => String.fromCharCode(...b.slice(from, to));
  if (b.length > 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  return "";
}

function pngSize(b: Uint8Array): [number, number] {
  if (b.length < 24) return [0, 0];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

/** Stores valid image bytes (checked by the caller with `sniff`) and describes them. */
export function storeImage(content: Uint8Array, altText: string): ProductImage {
  const contentType = sniff(content);
  const id = crypto.randomUUID();
  bytesById.set(id, { contentType, content: content.slice() });
  const [width, height] = contentType === "image/png" ? pngSize(content) : [0, 0];
  return create(ProductImageSchema, {
    id,
    contentType,
    width,
    height,
    sizeBytes: BigInt(content.length),
    url: `/images/${id}`,
    thumbnailUrl: `/images/${id}?size=thumb`,
    altText,
    createTime: timestampNow(),
  });
}

export function forgetImage(id: string): void {
  bytesById.delete(id);
  forgetDemoImage(id);
}

/** Answers GET /images/{id}[?size=thumb], uploaded or demo; false if the request is not for an image URL. */
export function serveImage(...[req, res]: Parameters<NonNullable<ConnectNodeAdapterOptions["fallback"]>>): boolean {
  const url = new URL(req.url ?? "/", "http://x");
  const m = /^\/images\/([0-9a-f-]{36})$/.exec(url.pathname);
  if (!m) return false;
  const found = bytesById.get(m[1]);
  if (!found && req.method === "GET") return serveDemoImage(req, res);
  if (req.method !== "GET" || !found) {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
    return true;
  }
  res.writeHead(200, {
    "content-type": found.contentType,
    "cache-control": "public, max-age=31536000, immutable",
    etag: `"${m[1]}"`,
  });
  res.end(Buffer.from(found.content));
  return true;
}
