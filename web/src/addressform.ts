// The postal address fields, as checkout and the addresses page both ask
// for them: labelled fields keyed by the request's field path (e.g.
// "shipping_address.city" or "saved_address.address.city"), so the server's
// violations land under the right field; and the one-line summary an address
// is listed by.

import type { Address } from "./gen/shop/common/v1/address_pb";
import { h } from "./dom";
import { field, inputOf, valueOf, type FieldOptions } from "./forms";
import type { QuoteAddress } from "./shipping";

/** The address parts: request field name, the property, and the test id's suffix. */
const PARTS = [
  ["recipient", "recipient", "recipient"],
  ["line1", "line1", "line1"],
  ["line2", "line2", "line2"],
  ["city", "city", "city"],
  ["region", "region", "region"],
  ["postal_code", "postalCode", "postal-code"],
  ["country_code", "countryCode", "country"],
] as const;

/**
 * The fields of an address under `prefix` (its request field path), each
 * with the test id `${testPrefix}-recipient`, `-line1`, ... `-country`.
 */
export function addressFields(prefix: string, testPrefix: string, value: Partial<QuoteAddress> = {}): HTMLElement[] {
  const f = (name: string, label: string, extra: Partial<FieldOptions>) =>
    field({ path: `${prefix}.${name}`, label, testid: `${testPrefix}-${PARTS.find((p) => p[0] === name)![2]}`, ...extra });
  return [
    f("recipient", "Recipient", { autocomplete: "name", value: value.recipient, maxlength: 100 }),
    f("line1", "Address", { autocomplete: "address-line1", value: value.line1, maxlength: 200 }),
    f("line2", "Apartment, floor, etc.", { autocomplete: "address-line2", value: value.line2, optional: true, maxlength: 200 }),
    h("div", { class: "fields" },
      f("city", "City", { autocomplete: "address-level2", value: value.city, maxlength: 100 }),
      f("region", "State or region", { autocomplete: "address-level1", value: value.region, optional: true, maxlength: 100 }),
    ),
    h("div", { class: "fields" },
      f("postal_code", "Postal code", { autocomplete: "postal-code", value: value.postalCode, maxlength: 20 }),
      f("country_code", "Country code", { autocomplete: "country", value: value.countryCode ?? "US", maxlength: 2, hint: "Two letters, e.g. US or DE" }),
    ),
  ];
}

/** The address as entered under `prefix`, trimmed, the country code in upper case. */
export function readAddress(form: HTMLElement, prefix: string): QuoteAddress {
  const a = Object.fromEntries(PARTS.map(([name, prop]) => [prop, valueOf(form, `${prefix}.${name}`)])) as unknown as QuoteAddress;
  return { ...a, countryCode: a.countryCode.toUpperCase() };
}

/** Puts `a` into the fields under `prefix`. */
export function fillAddress(form: HTMLElement, prefix: string, a: QuoteAddress): void {
  for (const [name, prop] of PARTS) {
    const input = inputOf(form, `${prefix}.${name}`);
    if (input) input.value = a[prop];
  }
}

/** An address on one line: "Ada Lovelace, 12 Analytical Row, Flat 2, London, N1 9GU, GB". */
export function addressLine(a: Address | QuoteAddress | undefined): string {
  if (!a) return "";
  return [a.recipient, a.line1, a.line2, a.city, a.region, a.postalCode, a.countryCode].filter((part) => part).join(", ");
}

/** The plain values of an address message. */
export function plainAddress(a: Address | undefined): QuoteAddress {
  return {
    recipient: a?.recipient ?? "",
    line1: a?.line1 ?? "",
    line2: a?.line2 ?? "",
    city: a?.city ?? "",
    region: a?.region ?? "",
    postalCode: a?.postalCode ?? "",
    countryCode: a?.countryCode ?? "",
  };
}
