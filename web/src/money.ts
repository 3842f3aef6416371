// Money is an integer count of the currency's minor unit (1999 USD = $19.99).
// Intl knows how many minor digits each currency has (2 for USD, 0 for JPY).

import type { Money } from "./gen/shop/common/v1/money_pb";

const formats = new Map<string, Intl.NumberFormat>();

function formatFor(currency: string): Intl.NumberFormat {
  let f = formats.get(currency);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { style: "currency", currency });
    formats.set(currency, f);
  }
  return f;
}

/** "$19.99" for { currencyCode: "USD", amountMinor: 1999n }; "" if unset. */
export function formatMoney(money: Pick<Money, "currencyCode" | "amountMinor"> | undefined): string {
  if (!money?.currencyCode) return "";
  let f: Intl.NumberFormat;
  try {
    f = formatFor(money.currencyCode);
  } catch {
    return `${money.amountMinor} ${money.currencyCode} (minor units)`;
  }
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  // Amounts are at most 10^8 minor units, far inside a double's exact range.
  return f.format(Number(money.amountMinor) / 10 ** digits);
}

/** Totals per currency: a cart may (wrongly) mix currencies. */
export function sumByCurrency(items: { currencyCode: string; amountMinor: bigint }[]): { currencyCode: string; amountMinor: bigint }[] {
  const sums = new Map<string, bigint>();
  for (const { currencyCode, amountMinor } of items) {
    sums.set(currencyCode, (sums.get(currencyCode) ?? 0n) + amountMinor);
  }
  return [...sums].map(([currencyCode, amountMinor]) => ({ currencyCode, amountMinor }));
}
