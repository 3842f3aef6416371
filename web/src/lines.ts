// How cart lines read on the cart and checkout pages: their totals, and the
// notes on a price that changed since the customer last changed the line or
// on a product that is no longer sold.

import { h } from "./dom";
import type { Cart, CartLine } from "./gen/shop/cart/v1/cart_pb";
import { formatMoney, sumByCurrency } from "./money";

export function lineAmount(l: CartLine): { currencyCode: string; amountMinor: bigint } {
  return { currencyCode: l.unitPrice?.currencyCode ?? "", amountMinor: (l.unitPrice?.amountMinor ?? 0n) * BigInt(l.quantity) };
}

/** What the lines that can still be bought come to, per currency. */
export function cartTotals(cart: Cart): { currencyCode: string; amountMinor: bigint }[] {
  return sumByCurrency(cart.lines.filter((l) => !l.unavailable).map(lineAmount));
}

export function hasUnavailable(cart: Cart): boolean {
  return cart.lines.some((l) => l.unavailable);
}

/** The notes under a line: "Price changed from X to Y", "No longer available". */
export function lineNotes(l: CartLine): HTMLElement[] {
  const notes: HTMLElement[] = [];
  if (l.unavailable) {
    notes.push(h("p", { class: "error note", "data-testid": "cart-line-unavailable" }, "No longer available: remove it to check out."));
  } else if (l.priceChanged) {
    notes.push(h("p", { class: "notice note", "data-testid": "cart-line-price-changed" },
      `Price changed from ${formatMoney(l.previousUnitPrice)} to ${formatMoney(l.unitPrice)}.`));
  }
  return notes;
}
