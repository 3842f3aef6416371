// Unit tests of src/views/admin/values.ts: what the back office's forms
// refuse before calling a service, and how amounts are read and written.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AvailabilityStatus } from "../src/gen/shop/catalog/v1/catalog_pb";
import { adjustmentProblems, availabilityText, majorText, parseMinor, topUpProblems } from "../src/views/admin/values";

test("amounts are read as dollars and cents, and nothing else", () => {
  assert.equal(parseMinor("12.50"), 1250n);
  assert.equal(parseMinor(" 12,5 "), 1250n);
  assert.equal(parseMinor("7"), 700n);
  assert.equal(parseMinor("0.01"), 1n);
  for (const bad of ["", "1.234", "-1", "1e3", "12.", ".5", "twelve", "99999999"]) assert.equal(parseMinor(bad), null, bad);
});

test("an amount written for an input reads back as the same amount", () => {
  for (const minor of [0n, 1n, 99n, 100n, 1250n, 100_000_000n]) assert.equal(parseMinor(majorText(minor)), minor);
});

test("a stock adjustment needs a non-zero whole delta within a million and a reason", () => {
  assert.deepEqual([...adjustmentProblems("10", "delivery").keys()], []);
  assert.deepEqual([...adjustmentProblems("-3", "breakage").keys()], []);
  for (const bad of ["0", "+0", "", "1.5", "abc", "1000001", "-1000001"]) assert.ok(adjustmentProblems(bad, "x").has("delta"), bad);
  assert.ok(adjustmentProblems("5", "   ").has("reason"));
  assert.ok(adjustmentProblems("5", "x".repeat(201)).has("reason"));
});

test("a top-up needs a positive amount of at most a million and a reason", () => {
  assert.deepEqual([...topUpProblems("25.00", "goodwill credit").keys()], []);
  for (const bad of ["0", "0.00", "", "-5", "1000000.01", "abc"]) assert.ok(topUpProblems(bad, "x").has("amount.amount_minor"), bad);
  assert.ok(topUpProblems("1", "").has("reason"));
});

test("availability is said in words, with the count only when few are left", () => {
  assert.equal(availabilityText({ status: AvailabilityStatus.IN_STOCK, unitsLeft: 0n } as never), "In stock");
  assert.equal(availabilityText({ status: AvailabilityStatus.LOW_STOCK, unitsLeft: 3n } as never), "Only 3 left");
  assert.equal(availabilityText({ status: AvailabilityStatus.OUT_OF_STOCK, unitsLeft: 0n } as never), "Out of stock");
  assert.equal(availabilityText(undefined), "Unknown");
});
