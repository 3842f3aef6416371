// The mock catalog's stock and what shoppers see of it: each product's
// availability (IN_STOCK, LOW_STOCK with 1 to 5 units left, OUT_OF_STOCK),
// derived from the units in stock now, and ListCategories (every category
// with products, by slug, with counts). Orders reserve units when placed and
// give them back when they fail or are cancelled; an order asking for more
// than is left fails OUT_OF_STOCK with its shortfalls. Demo stock: the
// milk frother is sold out and only 3 stoneware mugs are left, so every
// badge and the out-of-stock checkout can be seen.

import { create } from "@bufbuild/protobuf";
import { AvailabilitySchema, AvailabilityStatus, type Availability, type Category, type Product } from "../src/gen/shop/catalog/v1/catalog_pb";

/** LOW_STOCK from this many units down (catalog.proto: 1 to 5). */
const LOW_STOCK_AT = 5;
const DEFAULT_STOCK = 500;
/** Demo stock by product name; anything else starts with DEFAULT_STOCK. */
const DEMO_STOCK: Record<string, number> = {
  "Milk Frother": 0,
  "Stoneware Mug": 3,
};

const units = new Map<string, number>();

export function initialStock(product: Product): void {
  units.set(product.id, DEMO_STOCK[product.name] ?? DEFAULT_STOCK);
}

export function unitsLeft(productId: string): number {
  return units.get(productId) ?? 0;
}

export function availabilityOf(productId: string): Availability {
  const left = unitsLeft(productId);
  if (left <= 0) return create(AvailabilitySchema, { status: AvailabilityStatus.OUT_OF_STOCK });
  if (left <= LOW_STOCK_AT) return create(AvailabilitySchema, { status: AvailabilityStatus.LOW_STOCK, unitsLeft: BigInt(left) });
  return create(AvailabilitySchema, { status: AvailabilityStatus.IN_STOCK });
}

/** The product as shoppers read it now: with its current availability. */
export function withAvailability(p: Product): Product {
  p.availability = availabilityOf(p.id);
  return p;
}

/** The lines asking for more than is left, as [product id, requested, available]; empty when all can be had. */
export function shortOf(lines: { productId: string; quantity: bigint }[]): { productId: string; requested: bigint; available: bigint }[] {
  return lines
    .filter((l) => l.quantity > BigInt(unitsLeft(l.productId)))
    .map((l) => ({ productId: l.productId, requested: l.quantity, available: BigInt(unitsLeft(l.productId)) }));
}

/** Takes the lines' units out of stock (the caller checked they are there). */
export function reserve(lines: { productId: string; quantity: bigint }[]): void {
  for (const l of lines) units.set(l.productId, unitsLeft(l.productId) - Number(l.quantity));
}

/** Puts the lines' units back (a failed or cancelled order). */
export function release(lines: { productId: string; quantity: bigint }[]): void {
  for (const l of lines) units.set(l.productId, unitsLeft(l.productId) + Number(l.quantity));
}

/** Every category with at least one product, by slug, with how many. */
export function categoriesOf(products: Product[]): Pick<Category, "slug" | "productCount">[] {
  const counts = new Map<string, number>();
  for (const p of products) counts.set(p.category, (counts.get(p.category) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([slug, n]) => ({ slug, productCount: BigInt(n) }));
}
