// Shipping as the checkout and order pages show it, in pure functions (no
// DOM, so the unit tests run them in Node): when an address is complete
// enough to quote, which option to preselect, what the customer pays, and
// how a shipping price and a delivery estimate read.

import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { formatMoney } from "./money";

export type Amount = { currencyCode: string; amountMinor: bigint };

export interface QuoteAddress {
  recipient: string;
  line1: string;
  line2: string;
  city: string;
  region: string;
  postalCode: string;
  countryCode: string;
}

/**
 * Whether the address has everything a quote needs (the server still
 * judges it): asking earlier would only draw errors while the customer
 * is still typing.
 */
export function isQuotable(a: QuoteAddress): boolean {
  return !!(a.recipient && a.line1 && a.city && a.postalCode) && /^[A-Z]{2}$/.test(a.countryCode);
}

/** What a quote depends on, as a string: a new quote is needed only when this changes. */
export function quoteKey(a: QuoteAddress, lines: readonly { productId: string; quantity: number | bigint }[]): string {
  const parcel = lines.map((l) => `${l.productId}x${l.quantity}`).sort();
  return JSON.stringify([a.recipient, a.line1, a.line2, a.city, a.region, a.postalCode, a.countryCode, parcel]);
}

/**
 * The option to select in a new quote: the customer's earlier choice while
 * the quote still offers it, else the cheapest (the first of equals, the
 * server listing the cheapest first). "" when there is none.
 */
export function chooseOption(options: readonly { code: string; price?: Amount }[], previous = ""): string {
  if (previous && options.some((o) => o.code === previous)) return previous;
  let best: (typeof options)[number] | undefined;
  for (const o of options) {
    if (!best || (o.price?.amountMinor ?? 0n) < (best.price?.amountMinor ?? 0n)) best = o;
  }
  return best?.code ?? "";
}

/** "Free" for a zero price, else the price. */
export function shippingPriceText(price: Amount | undefined): string {
  if (!price?.currencyCode) return "";
  return price.amountMinor === 0n ? "Free" : formatMoney(price);
}

/** The subtotal plus shipping; null when they are in different currencies (then nothing adds up). */
export function addShipping(subtotal: Amount, shipping: Amount | undefined): Amount | null {
  if (!shipping?.currencyCode) return null;
  if (shipping.currencyCode !== subtotal.currencyCode) return null;
  return { currencyCode: subtotal.currencyCode, amountMinor: subtotal.amountMinor + shipping.amountMinor };
}

/**
 * "Arrives Tue 1 Dec – Thu 3 Dec" (the day as the reader's locale writes
 * it), or "Arrives Tue 1 Dec" when both ends fall on one day; "" when the
 * estimate is missing. `locale` and `timeZone` are for tests.
 */
export function formatEstimate(
  earliest: Timestamp | undefined,
  latest: Timestamp | undefined,
  locale?: string,
  timeZone?: string,
): string {
  if (!earliest || !latest) return "";
  const day = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", timeZone });
  const from = day.format(timestampDate(earliest));
  const to = day.format(timestampDate(latest));
  return from === to ? `Arrives ${from}` : `Arrives ${from} – ${to}`;
}

/** "We do not ship to Japan." (the country's name in the reader's language when known). */
export function notServedText(countryCode: string, locale?: string): string {
  let name = countryCode;
  try {
    name = new Intl.DisplayNames(locale, { type: "region" }).of(countryCode) ?? countryCode;
  } catch {
    // Not a region Intl knows: the code says it well enough.
  }
  return `We do not ship to ${name}. Please choose an address in another country.`;
}
