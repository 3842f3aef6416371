// The cart, kept by the cart service (shop.cart.v1.CartService) so that it
// follows the customer from one device to another. This module holds the
// copy last read, tells the header and the pages when it changes, and makes
// every write carry the etag it was based on and a fresh request id.
//
// An anonymous shopper's cart is addressed by the id the server issued with
// its first write, kept in localStorage: it is a capability, like a session
// cookie. A signed-in customer's cart is chosen by their token, so no id is
// sent. At sign-in the anonymous cart is merged into the customer's and its
// id forgotten; at sign-out the page starts again from an empty cart.

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { carts } from "./api";
import { describe } from "./errors";
import { CartSchema, type Cart, type MergeCartResponse } from "./gen/shop/cart/v1/cart_pb";
import type { AddressSchema } from "./gen/shop/common/v1/address_pb";
import type { PaymentMethodSchema } from "./gen/shop/common/v1/payment_method_pb";
import { OrderStatus, type Order } from "./gen/shop/orders/v1/orders_pb";
import { onSessionChange, session } from "./session";

/** The most units of one product a cart line holds (the server refuses more). */
export const MAX_QUANTITY = 99;

/**
 * Why `quantity` (from an input) cannot even be sent, or "". Only that is
 * checked here: the server judges the range and says why, never clamping.
 */
export function unsendableQuantity(quantity: number): string {
  return Number.isInteger(quantity) && Math.abs(quantity) < 2 ** 31 ? "" : `Quantity: enter a whole number from 1 to ${MAX_QUANTITY}.`;
}

const ID_KEY = "shop.cart.id.v1";

const listeners = new Set<() => void>();
const empty = (): Cart => create(CartSchema);
let current = empty();
/** Who the cart belongs to: the signed-in user's id, or "" for anonymous. */
let owner = session()?.user.id ?? "";
/** Moves on whenever the owner changes, so answers meant for the previous owner are dropped. */
let epoch = 0;
/** One call at a time, so that each write is based on the etag the previous one returned. */
let queue: Promise<unknown> = Promise.resolve();
/** A sentence about the cart for the header (e.g. what a merge could not keep); "" when none. */
let notice = "";

try {
  // The cart of earlier versions of this page, kept only in the browser.
  localStorage.removeItem("shop.cart.v1");
} catch {
  // Storage unavailable: nothing was kept there either.
}

function storedId(): string {
  try {
    return localStorage.getItem(ID_KEY) ?? "";
  } catch {
    return "";
  }
}

function storeId(id: string): void {
  try {
    localStorage.setItem(ID_KEY, id);
  } catch {
    // Storage unavailable: the cart lasts as long as this page.
  }
}

function forgetId(): void {
  try {
    localStorage.removeItem(ID_KEY);
  } catch {
    // Storage unavailable: nothing to forget.
  }
}

/** The cart id a request sends: the stored one when anonymous, none for a customer (their token chooses). */
function requestCartId(): string {
  return owner ? "" : storedId();
}

/** A random UUID (v4); `crypto.randomUUID` exists only on https and localhost. */
function newRequestId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function notify(): void {
  listeners.forEach((fn) => fn());
}

/** Takes `cart` as the current cart, unless it was read for a previous owner. */
function adopt(cart: Cart, at: number): void {
  if (at !== epoch) return;
  current = cart;
  if (!owner && cart.id) storeId(cart.id);
  notify();
}

function serial<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work);
  queue = run.catch(() => {});
  return run;
}

/** True when the server no longer knows the anonymous cart `cartId` (expired, or merged elsewhere). */
function isGone(err: unknown, cartId: string): boolean {
  const p = describe(err);
  return cartId !== "" && p.code === Code.NotFound && p.reason !== "PRODUCT_NOT_FOUND" && p.reason !== "LINE_NOT_FOUND";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The cart as last read (empty until the first read answers). */
export function cart(): Cart {
  return current;
}

/** Units in the cart, for the header's badge. */
export function cartCount(): number {
  return current.lines.reduce((n, l) => n + l.quantity, 0);
}

/** Calls `fn` after every change, until `signal` (the page's) aborts. */
export function onCartChange(fn: () => void, signal?: AbortSignal): void {
  listeners.add(fn);
  signal?.addEventListener("abort", () => listeners.delete(fn));
}

export function cartNotice(): string {
  return notice;
}

export function dismissCartNotice(): void {
  notice = "";
  notify();
}

async function read(signal?: AbortSignal): Promise<void> {
  const at = epoch;
  const cartId = requestCartId();
  if (!owner && !cartId) {
    adopt(empty(), at);
    return;
  }
  try {
    adopt(await carts.getCart({ cartId }, { signal }), at);
  } catch (err) {
    if (!isGone(err, cartId)) throw err;
    forgetId();
    adopt(empty(), at);
  }
}

/** Moves a stored anonymous cart into the signed-in customer's (once), else reads the cart. */
async function sync(signal?: AbortSignal): Promise<void> {
  const anonymousCartId = storedId();
  if (!owner || !anonymousCartId) return read(signal);
  const at = epoch;
  const res = await carts.mergeCart({ anonymousCartId }, { signal });
  forgetId();
  if (at !== epoch) return;
  notice = mergeNotice(res);
  adopt(res.cart ?? empty(), at);
}

function mergeNotice(res: MergeCartResponse): string {
  const parts: string[] = [];
  const capped = res.cart?.lines.filter((l) => res.cappedProductIds.includes(l.productId)).map((l) => l.productName) ?? [];
  if (capped.length) {
    parts.push(`Your earlier cart was added to your account's cart, but a line holds at most ${MAX_QUANTITY}: ${capped.join(", ")} now ${capped.length === 1 ? "holds" : "hold"} ${MAX_QUANTITY}.`);
  }
  const dropped = res.droppedProductIds.length;
  if (dropped) {
    parts.push(`${dropped} product${dropped === 1 ? " was" : "s were"} left out of your earlier cart because your account's cart already holds as many lines as a cart may.`);
  }
  return parts.join(" ");
}

/** Reads the cart from the server (merging a leftover anonymous cart first for a customer). */
export function loadCart(signal?: AbortSignal): Promise<Cart> {
  return serial(() => sync(signal)).then(() => current);
}

type Target = { cartId: string; etag: string; requestId: string };

export interface WriteResult {
  /** The cart had changed elsewhere: it was read again and the change applied to what it holds now. */
  refreshed: boolean;
}

/**
 * Sends one change. If the cart moved on meanwhile (ETAG_MISMATCH) it is read
 * again and the change retried once: the customer's intent does not depend
 * on the version. An anonymous cart the server no longer knows is forgotten;
 * an addition then starts a new cart.
 */
function write(send: (t: Target) => Promise<Cart>, createsCart: boolean): Promise<WriteResult> {
  return serial(async () => {
    const at = epoch;
    const cartId = requestCartId();
    const attempt = async () => adopt(await send({ cartId: requestCartId(), etag: current.etag, requestId: newRequestId() }), at);
    try {
      await attempt();
      return { refreshed: false };
    } catch (err) {
      if (describe(err).reason === "ETAG_MISMATCH") {
        await read();
      } else if (isGone(err, cartId)) {
        forgetId();
        adopt(empty(), at);
        if (!createsCart) return { refreshed: true };
      } else {
        throw err;
      }
    }
    await attempt();
    return { refreshed: true };
  });
}

export function addItem(productId: string, quantity: number): Promise<WriteResult> {
  return write((t) => carts.addItem({ ...t, productId, quantity }), true);
}

export function setQuantity(productId: string, quantity: number): Promise<WriteResult> {
  return write((t) => carts.setQuantity({ ...t, productId, quantity }), false);
}

export function removeItem(productId: string): Promise<WriteResult> {
  return write((t) => carts.removeItem({ ...t, productId }), false);
}

/**
 * Reads the cart until its etag is no longer `etag` (the server moved it to
 * a new version: an order from it failed, or its lines left on
 * confirmation), for at most `ms`. False if it had not moved by then.
 */
export async function awaitNewVersion(etag: string, ms: number, signal?: AbortSignal): Promise<boolean> {
  const at = epoch;
  const deadline = Date.now() + ms;
  for (let wait = 500; ; wait = Math.min(wait * 2, 3000)) {
    try {
      if ((await loadCart(signal)).etag !== etag) return true;
    } catch {
      // A read that failed is tried again, like one that found no change.
      if (signal?.aborted) return false;
    }
    if (at !== epoch || signal?.aborted || Date.now() + wait > deadline) return false;
    await sleep(wait);
  }
}

/**
 * Orders what the cart holds at `etag` (the version the customer reviewed),
 * shipped as `shipping` chose from a quote for these lines and this address.
 * Unless the order failed at once, follows the cart in the background until
 * the confirmation takes the ordered lines out, so the badge empties.
 */
export async function checkoutCart(
  etag: string,
  paymentMethod: MessageInitShape<typeof PaymentMethodSchema>,
  shippingAddress: MessageInitShape<typeof AddressSchema>,
  shipping: { quoteId: string; option: string },
): Promise<Order> {
  const res = await serial(() =>
    carts.checkoutCart({ etag, paymentMethod, shippingAddress, shippingQuoteId: shipping.quoteId, shippingOption: shipping.option }),
  );
  const order = res.order;
  if (!order) throw new Error("CheckoutCart answered without an order");
  if (order.status !== OrderStatus.FAILED) void awaitNewVersion(etag, 120_000);
  return order;
}

onSessionChange(() => {
  const next = session()?.user.id ?? "";
  if (next === owner) return;
  owner = next;
  epoch++;
  if (!next) {
    // Signed out: the customer's cart stays on the server; this browser starts afresh.
    forgetId();
    notice = "";
    current = empty();
    notify();
  }
  // A failed merge keeps the anonymous id, so the next read tries again.
  loadCart().catch(() => {});
});

// Another tab started an anonymous cart (or forgot it).
window.addEventListener("storage", (e) => {
  if (e.key === ID_KEY && !owner) loadCart().catch(() => {});
});
