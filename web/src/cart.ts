// The cart lives in the browser (localStorage), with a copy of each
// product's name and price for display; checkout sends only ids and
// quantities, and the server prices the order.

import type { Product } from "./gen/shop/catalog/v1/catalog_pb";

export const MAX_QUANTITY = 1000;
export const MAX_LINES = 50;

export interface CartLine {
  productId: string;
  name: string;
  currencyCode: string;
  /** Unit price in minor units, as a string (JSON has no bigint). */
  unitMinor: string;
  quantity: number;
}

const KEY = "shop.cart.v1";
const listeners = new Set<() => void>();
let lines: CartLine[] = load();

function load(): CartLine[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (l): l is CartLine =>
        typeof l?.productId === "string" && Number.isInteger(l.quantity) && l.quantity > 0 && /^\d+$/.test(l.unitMinor),
    );
  } catch {
    return [];
  }
}

function save(next: CartLine[]): void {
  lines = next;
  try {
    localStorage.setItem(KEY, JSON.stringify(lines));
  } catch {
    // Storage unavailable: the cart still works for this page view.
  }
  listeners.forEach((fn) => fn());
}

export function cartLines(): readonly CartLine[] {
  return lines;
}

export function cartCount(): number {
  return lines.reduce((n, l) => n + l.quantity, 0);
}

function clamp(quantity: number): number {
  return Math.min(MAX_QUANTITY, Math.max(1, Math.floor(quantity) || 1));
}

function snapshot(p: Product): Omit<CartLine, "quantity"> {
  return {
    productId: p.id,
    name: p.name,
    currencyCode: p.price?.currencyCode ?? "",
    unitMinor: String(p.price?.amountMinor ?? 0n),
  };
}

/** Adds units of a product (merging with an existing line). False if the cart is full. */
export function addToCart(p: Product, quantity = 1): boolean {
  const existing = lines.find((l) => l.productId === p.id);
  if (existing) {
    save(lines.map((l) => (l === existing ? { ...snapshot(p), quantity: clamp(l.quantity + quantity) } : l)));
    return true;
  }
  if (lines.length >= MAX_LINES) return false;
  save([...lines, { ...snapshot(p), quantity: clamp(quantity) }]);
  return true;
}

export function setQuantity(productId: string, quantity: number): void {
  save(lines.map((l) => (l.productId === productId ? { ...l, quantity: clamp(quantity) } : l)));
}

export function removeFromCart(productId: string): void {
  save(lines.filter((l) => l.productId !== productId));
}

/** Refreshes names and prices from the catalog (they may have changed). */
export function refreshProducts(products: Product[]): void {
  const byId = new Map(products.map((p) => [p.id, p]));
  save(lines.map((l) => (byId.has(l.productId) ? { ...l, ...snapshot(byId.get(l.productId)!) } : l)));
}

export function clearCart(): void {
  save([]);
}

/** Calls `fn` after every change, until `signal` (the page's) aborts. */
export function onCartChange(fn: () => void, signal?: AbortSignal): void {
  listeners.add(fn);
  signal?.addEventListener("abort", () => listeners.delete(fn));
}

window.addEventListener("storage", (e) => {
  if (e.key === KEY) {
    lines = load();
    listeners.forEach((fn) => fn());
  }
});
