// Pure: how a product's availability reads to shoppers ("In stock", "Only 3
// left", "Out of stock"), and what a cart line should say when it asks for
// more than is left. The stock count itself is shown only when few are left.

import { AvailabilityStatus, type Availability } from "./gen/shop/catalog/v1/catalog_pb";

type Known = Pick<Availability, "status" | "unitsLeft"> | undefined;

/** The badge's words; "" when the catalog did not say (then no badge is shown). */
export function availabilityText(a: Known): string {
  switch (a?.status) {
    case AvailabilityStatus.IN_STOCK:
      return "In stock";
    case AvailabilityStatus.LOW_STOCK:
      return `Only ${a.unitsLeft} left`;
    case AvailabilityStatus.OUT_OF_STOCK:
      return "Out of stock";
    default:
      return "";
  }
}

/** A stable name for tests and styling: "in-stock", "low-stock", "out-of-stock" or "" (unknown). */
export function availabilityKind(a: Known): string {
  switch (a?.status) {
    case AvailabilityStatus.IN_STOCK:
      return "in-stock";
    case AvailabilityStatus.LOW_STOCK:
      return "low-stock";
    case AvailabilityStatus.OUT_OF_STOCK:
      return "out-of-stock";
    default:
      return "";
  }
}

/** Whether "Add to cart" is offered: everything but a product known to be out of stock. */
export function canAdd(a: Known): boolean {
  return a?.status !== AvailabilityStatus.OUT_OF_STOCK;
}

/**
 * What a cart line asking for `quantity` must be told about the stock, or ""
 * when the badge says enough (in stock, enough left, or not known).
 */
export function lineStockNote(a: Known, quantity: number): string {
  if (a?.status === AvailabilityStatus.OUT_OF_STOCK) return "It cannot be ordered now: remove it to check out the rest.";
  if (a?.status === AvailabilityStatus.LOW_STOCK && quantity > Number(a.unitsLeft)) {
    return `You have ${quantity} in your cart: lower the quantity to ${a.unitsLeft} or less to order it.`;
  }
  return "";
}
