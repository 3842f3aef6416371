// Pure: the sizes the storefront gives product images before they load, so
// the page does not jump when they arrive, and their text for screen readers.

import type { ProductImage } from "./gen/shop/catalog/v1/catalog_pb";

/** The grid-sized copy's longer side at most (catalog.proto: ProductImage.thumbnail_url). */
export const THUMB_MAX = 480;

/** Used when the catalog gave no size: a 4:3 box. */
const FALLBACK = { width: 480, height: 360 };

/** The full-size image's width and height, or a 4:3 box when unknown. */
export function fullSize(img: Pick<ProductImage, "width" | "height">): { width: number; height: number } {
  return img.width > 0 && img.height > 0 ? { width: img.width, height: img.height } : { ...FALLBACK };
}

/** The thumbnail's width and height: the full size scaled down (never up) to at most THUMB_MAX on its longer side. */
export function thumbSize(img: Pick<ProductImage, "width" | "height">): { width: number; height: number } {
  const { width, height } = fullSize(img);
  const scale = Math.min(1, THUMB_MAX / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The image's text for screen readers: its own, else the product's name. */
export function altText(img: Pick<ProductImage, "altText">, productName: string): string {
  return img.altText.trim() || productName;
}
