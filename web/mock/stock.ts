// The mock's one stock model, shared by the shop's catalog reads, the
// orders and the back office's InventoryService (mock/inventory.ts): units
// available and reserved per product, reservations keyed by order id, and
// what shoppers see of it: each product's availability (IN_STOCK,
// LOW_STOCK with 1 to 5 units left, OUT_OF_STOCK) derived from the units
// available now. So an AdjustStock in the back office changes the shop's
// badge at once. Also ListCategories' counts (every category with products).
//
// An order reserves its units the moment it is placed (so the next order
// sees them gone); an order asking for more than is available fails
// OUT_OF_STOCK with its shortfalls and reserves nothing. The order's later
// states move the reservation: CONFIRMED commits it, FAILED or CANCELLED
// gives the units back. Held reservations never expire here.
// Demo stock: the milk frother is sold out and only 3 stoneware mugs are
// left, so every badge and the out-of-stock checkout can be seen.

import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { AvailabilitySchema, AvailabilityStatus, type Availability, type Category, type Product } from "../src/gen/shop/catalog/v1/catalog_pb";
import { ReservationSchema, ReservationStatus, type Reservation } from "../src/gen/shop/catalog/v1/inventory_pb";
import { OrderStatus, type Order } from "../src/gen/shop/orders/v1/orders_pb";

/** LOW_STOCK from this many units down (catalog.proto: 1 to 5). */
const LOW_STOCK_AT = 5n;
const DEFAULT_STOCK = 500n;
/** Demo stock by product name; anything else starts with DEFAULT_STOCK. */
const DEMO_STOCK: Record<string, bigint> = {
  "Milk Frother": 0n,
  "Stoneware Mug": 3n,
};

export interface Level { available: bigint; reserved: bigint }

const levels = new Map<string, Level>();
/** By order id. */
export const reservations = new Map<string, Reservation>();

/** A demo product's stock at start-up. */
export function initialStock(product: Product): void {
  setStock(product.id, DEMO_STOCK[product.name] ?? DEFAULT_STOCK);
}

/** A product's stock from now on, nothing reserved (a new product's initial stock). */
export function setStock(productId: string, available: bigint): void {
  levels.set(productId, { available, reserved: 0n });
}

/** The product's level, changed in place by the caller (a product never stocked has none). */
export function level(productId: string): Level {
  let l = levels.get(productId);
  if (!l) {
    l = { available: 0n, reserved: 0n };
    levels.set(productId, l);
  }
  return l;
}

export function availabilityOf(productId: string): Availability {
  const left = level(productId).available;
  if (left <= 0n) return create(AvailabilitySchema, { status: AvailabilityStatus.OUT_OF_STOCK });
  if (left <= LOW_STOCK_AT) return create(AvailabilitySchema, { status: AvailabilityStatus.LOW_STOCK, unitsLeft: left });
  return create(AvailabilitySchema, { status: AvailabilityStatus.IN_STOCK });
}

/** The product as shoppers read it now: with its current availability. */
export function withAvailability(p: Product): Product {
  p.availability = availabilityOf(p.id);
  return p;
}

/** The lines asking for more than is available, as [product id, requested, available]; empty when all can be had. */
export function shortOf(lines: { productId: string; quantity: bigint }[]): { productId: string; requested: bigint; available: bigint }[] {
  const asked = new Map<string, bigint>();
  for (const l of lines) asked.set(l.productId, (asked.get(l.productId) ?? 0n) + l.quantity);
  return [...asked]
    .filter(([id, quantity]) => quantity > level(id).available)
    .map(([productId, requested]) => ({ productId, requested, available: level(productId).available }));
}

/** Holds the order's units (once per order; clamped to what is there, the caller having checked shortOf). */
export function reserve(order: Order): void {
  if (reservations.has(order.id)) return;
  const now = timestampNow();
  const lines = order.lines
    .map((l) => {
      const lv = level(l.productId);
      const quantity = l.quantity < lv.available ? l.quantity : lv.available;
      lv.available -= quantity;
      lv.reserved += quantity;
      return { productId: l.productId, quantity };
    })
    .filter((l) => l.quantity > 0n)
    .sort((a, b) => (a.productId < b.productId ? -1 : 1));
  const expire = timestampNow();
  expire.seconds += 900n;
  reservations.set(order.id, create(ReservationSchema, { id: order.id, lines, status: ReservationStatus.HELD, expireTime: expire, createTime: now, updateTime: now }));
}

/** Follows an order's life (every status change): reserve, commit, release. */
export function followOrder(order: Order): void {
  if (order.status === OrderStatus.STOCK_RESERVED) reserve(order);
  const existing = reservations.get(order.id);
  if (!existing) return;
  const now = timestampNow();
  if (order.status === OrderStatus.CONFIRMED && existing.status === ReservationStatus.HELD) {
    for (const l of existing.lines) level(l.productId).reserved -= l.quantity;
    Object.assign(existing, { status: ReservationStatus.COMMITTED, updateTime: now });
  }
  if ((order.status === OrderStatus.FAILED || order.status === OrderStatus.CANCELLED) && existing.status !== ReservationStatus.RELEASED) {
    for (const l of existing.lines) {
      const lv = level(l.productId);
      lv.available += l.quantity;
      if (existing.status === ReservationStatus.HELD) lv.reserved -= l.quantity;
    }
    Object.assign(existing, { status: ReservationStatus.RELEASED, updateTime: now });
  }
}

/** Every category with at least one product, by slug, with how many. */
export function categoriesOf(products: Product[]): Pick<Category, "slug" | "productCount">[] {
  const counts = new Map<string, number>();
  for (const p of products) counts.set(p.category, (counts.get(p.category) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([slug, n]) => ({ slug, productCount: BigInt(n) }));
}
