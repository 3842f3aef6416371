// How products look on the page: the grid's picture (the first image's
// grid-sized copy, or a placeholder), the product page's gallery (the main
// image full size, the others as buttons that show them), and the
// availability badge.

import { h } from "./dom";
import { availabilityKind, availabilityText } from "./availability";
import type { Availability, Product, ProductImage } from "./gen/shop/catalog/v1/catalog_pb";
import { altText, fullSize, thumbSize } from "./images";

/** "In stock" / "Only 3 left" / "Out of stock", or null when the catalog did not say. */
export function availabilityBadge(a: Availability | undefined, id?: string): HTMLSpanElement | null {
  const text = availabilityText(a);
  if (!text) return null;
  const kind = availabilityKind(a);
  return h("span", { class: `badge avail-${kind}`, id, "data-testid": "availability", "data-availability": kind }, text);
}

/** The grid's picture of `p`: its first image, loaded lazily at a size known beforehand; a placeholder without one. */
export function gridPicture(p: Product): HTMLElement {
  const first = p.images[0];
  if (!first) {
    return h("div", { class: "picture placeholder", "data-testid": "product-placeholder", "aria-hidden": "true" }, h("span", null, "No photo yet"));
  }
  const { width, height } = thumbSize(first);
  return h("div", { class: "picture" },
    h("img", {
      src: first.thumbnailUrl,
      alt: altText(first, p.name),
      width,
      height,
      loading: "lazy",
      decoding: "async",
      "data-testid": "product-image",
    }),
  );
}

/**
 * The product page's pictures: the main image at full size and, when there
 * are several, a row of buttons (one per image, its thumbnail inside) that
 * show that image; the one shown is aria-pressed.
 */
export function gallery(p: Product): HTMLElement {
  if (p.images.length === 0) {
    return h("div", { class: "gallery" },
      h("div", { class: "picture placeholder big", "data-testid": "product-placeholder", "aria-hidden": "true" }, h("span", null, "No photo yet")));
  }
  const main = h("img", { class: "main-image", "data-testid": "gallery-main", decoding: "async" });
  const show = (img: ProductImage, index: number) => {
    const { width, height } = fullSize(img);
    main.src = img.url;
    main.width = width;
    main.height = height;
    main.alt = altText(img, p.name);
    main.dataset.index = String(index);
    for (const [i, b] of buttons.entries()) b.setAttribute("aria-pressed", String(i === index));
  };
  const buttons = p.images.map((img, i) => {
    const { width, height } = thumbSize(img);
    return h("button", {
      type: "button",
      class: "thumb",
      "aria-label": `Show picture ${i + 1} of ${p.images.length}: ${altText(img, p.name)}`,
      "aria-pressed": "false",
      "data-testid": "gallery-thumb",
      onclick: () => show(img, i),
    }, h("img", { src: img.thumbnailUrl, alt: "", width, height, loading: "lazy", decoding: "async" }));
  });
  show(p.images[0], 0);
  return h("div", { class: "gallery" },
    h("div", { class: "main-frame" }, main),
    buttons.length > 1 ? h("div", { class: "thumbs", role: "group", "aria-label": "Pictures" }, buttons) : null,
  );
}
