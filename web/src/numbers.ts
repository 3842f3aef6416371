// Pure: how the storefront names an order to people, by its number
// ("SH-4KQ7-9MZ2", Order.number) rather than its id, and how a number typed
// into the orders page's search box is sent to ListOrders.

import type { Order } from "./gen/shop/orders/v1/orders_pb";

/** The first block of a UUID: for an order placed before orders had numbers, or a reservation (named by its order's id). */
export function shortId(id: string): string {
  return id.split("-")[0].toUpperCase();
}

/** The order's number, or (an order from before numbers) the first block of its id. */
export function orderNumber(o: Pick<Order, "number" | "id">): string {
  return o.number || shortId(o.id);
}

/** "Order SH-4KQ7-9MZ2". */
export function orderTitle(o: Pick<Order, "number" | "id">): string {
  return `Order ${orderNumber(o)}`;
}

/** "Checkout attempt SH-4KQ7-9MZ2": a failed order, which never became an order. */
export function attemptTitle(o: Pick<Order, "number" | "id">): string {
  return `Checkout attempt ${orderNumber(o)}`;
}

/** A number as typed (spaces, any case) as ListOrders compares it: no spaces, upper case; at most 64 characters. */
export function normalizeOrderNumber(typed: string): string {
  return typed.replace(/\s+/g, "").toUpperCase().slice(0, 64);
}
