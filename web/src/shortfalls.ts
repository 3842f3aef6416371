// Pure: the sentences for a checkout that could not go through because of
// the stock (each product short, and how many are left) or the wallet (its
// balance below the total).

import type { StockShortfall } from "./gen/shop/orders/v1/orders_pb";

/** "Only 2 of Blue Mug left; you asked for 5", or "Blue Mug is out of stock; you asked for 5". */
export function shortfallText(s: Pick<StockShortfall, "productName" | "requested" | "available">): string {
  const name = s.productName || "a product";
  const asked = `you asked for ${s.requested}`;
  return s.available > 0n ? `Only ${s.available} of ${name} left; ${asked}` : `${name} is out of stock; ${asked}`;
}

/** A number of minor units from an error's metadata (e.g. "balance_minor"), or null if absent or malformed. */
export function minorFromMetadata(value: string | undefined): bigint | null {
  return value !== undefined && /^-?\d{1,19}$/.test(value.trim()) ? BigInt(value.trim()) : null;
}

/** Whether a wallet holding `balanceMinor` can pay `totalMinor`. */
export function walletCovers(balanceMinor: bigint, totalMinor: bigint): boolean {
  return balanceMinor >= totalMinor;
}

/** How to get store credit in this demo shop. */
export const HOW_TO_GET_CREDIT =
  "Store credit is added by the shop: in this demo shop an admin tops up wallets (demo customers start with $500.00). Pay by card instead, or lower the order's total.";

/** What the checkout says when the wallet does not cover the total; amounts already formatted. */
export function walletShortText(balance: string, total: string): string {
  return `Your store credit (${balance}) does not cover this order's total (${total}), so the order was not placed.`;
}

