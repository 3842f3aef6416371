// Unit tests of src/shipping.ts: quoting an address, the preselected
// option, totals with shipping, and how prices and estimates read.

import assert from "node:assert/strict";
import { test } from "node:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { addShipping, chooseOption, formatEstimate, isQuotable, notServedText, quoteKey, shippingPriceText } from "../src/shipping";

const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const at = (iso: string) => timestampFromDate(new Date(iso));
const address = { recipient: "Ada", line1: "1 Main St", line2: "", city: "Springfield", region: "", postalCode: "12345", countryCode: "US" };

test("an address is quotable once the required parts and a two-letter country are there", () => {
  assert.equal(isQuotable(address), true);
  assert.equal(isQuotable({ ...address, postalCode: "" }), false);
  assert.equal(isQuotable({ ...address, countryCode: "U" }), false);
  assert.equal(isQuotable({ ...address, countryCode: "us" }), false);
});

test("the quote key ignores the order of lines but not quantities or the address", () => {
  const a = [{ productId: "p1", quantity: 1 }, { productId: "p2", quantity: 2 }];
  const b = [{ productId: "p2", quantity: 2n }, { productId: "p1", quantity: 1n }];
  assert.equal(quoteKey(address, a), quoteKey(address, b));
  assert.notEqual(quoteKey(address, a), quoteKey(address, [{ productId: "p1", quantity: 2 }, { productId: "p2", quantity: 2 }]));
  assert.notEqual(quoteKey(address, a), quoteKey({ ...address, countryCode: "DE" }, a));
});

test("the cheapest option is preselected, the first of equals", () => {
  const options = [
    { code: "express", price: usd(1499n) },
    { code: "standard", price: usd(499n) },
    { code: "economy", price: usd(499n) },
  ];
  assert.equal(chooseOption(options), "standard");
  assert.equal(chooseOption([]), "");
});

test("an earlier choice is kept while the new quote offers it", () => {
  const options = [{ code: "standard", price: usd(0n) }, { code: "express", price: usd(1499n) }];
  assert.equal(chooseOption(options, "express"), "express");
  assert.equal(chooseOption(options, "overnight"), "standard");
});

test("a zero shipping price reads Free", () => {
  assert.equal(shippingPriceText(usd(0n)), "Free");
  assert.match(shippingPriceText(usd(499n)), /4\.99/);
  assert.equal(shippingPriceText(undefined), "");
});

test("the total adds shipping to the subtotal in one currency only", () => {
  assert.deepEqual(addShipping(usd(2900n), usd(499n)), usd(3399n));
  assert.deepEqual(addShipping(usd(2900n), usd(0n)), usd(2900n));
  assert.equal(addShipping(usd(2900n), { currencyCode: "EUR", amountMinor: 499n }), null);
  assert.equal(addShipping(usd(2900n), undefined), null);
});

test("an estimate reads as a range of days", () => {
  const text = formatEstimate(at("2026-12-01T10:00:00Z"), at("2026-12-03T10:00:00Z"), "en-GB", "UTC");
  assert.equal(text, "Arrives Tue 1 Dec – Thu 3 Dec");
});

test("an estimate within one day names that day once", () => {
  assert.equal(formatEstimate(at("2026-12-01T08:00:00Z"), at("2026-12-01T18:00:00Z"), "en-GB", "UTC"), "Arrives Tue 1 Dec");
});

test("the estimate's days are the reader's, not UTC's", () => {
  // 23:30 UTC on 30 Nov is already 1 Dec in Berlin.
  assert.equal(formatEstimate(at("2026-11-30T23:30:00Z"), at("2026-12-02T12:00:00Z"), "en-GB", "Europe/Berlin"), "Arrives Tue 1 Dec – Wed 2 Dec");
});

test("a missing estimate reads as nothing", () => {
  assert.equal(formatEstimate(undefined, at("2026-12-01T00:00:00Z")), "");
});

test("a country not served is named", () => {
  assert.equal(notServedText("JP", "en"), "We do not ship to Japan. Please choose an address in another country.");
  assert.match(notServedText("ZZ", "en"), /^We do not ship to /);
});
