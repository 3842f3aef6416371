// Unit tests of the shopper's pure helpers: availability words, picture
// sizes, order numbers, shortfall and wallet sentences, quantity messages.

import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { availabilityKind, availabilityText, canAdd, lineStockNote } from "../src/availability";
import { AvailabilitySchema, AvailabilityStatus } from "../src/gen/shop/catalog/v1/catalog_pb";
import { altText, fullSize, thumbSize } from "../src/images";
import { attemptTitle, normalizeOrderNumber, orderNumber, orderTitle } from "../src/numbers";
import { changedQuantityText, refusedQuantityText } from "../src/quantity";
import { minorFromMetadata, shortfallText, walletCovers, walletShortText } from "../src/shortfalls";

const availability = (status: AvailabilityStatus, unitsLeft = 0n) => create(AvailabilitySchema, { status, unitsLeft });

test("availability reads as in stock, only N left, or out of stock; unknown says nothing", () => {
  assert.equal(availabilityText(availability(AvailabilityStatus.IN_STOCK)), "In stock");
  assert.equal(availabilityText(availability(AvailabilityStatus.LOW_STOCK, 3n)), "Only 3 left");
  assert.equal(availabilityText(availability(AvailabilityStatus.OUT_OF_STOCK)), "Out of stock");
  assert.equal(availabilityText(undefined), "");
  assert.equal(availabilityText(availability(AvailabilityStatus.UNSPECIFIED)), "");
  assert.equal(availabilityKind(availability(AvailabilityStatus.LOW_STOCK, 1n)), "low-stock");
});

test("only a product known to be out of stock cannot be added", () => {
  assert.equal(canAdd(availability(AvailabilityStatus.OUT_OF_STOCK)), false);
  assert.equal(canAdd(availability(AvailabilityStatus.LOW_STOCK, 1n)), true);
  assert.equal(canAdd(undefined), true, "an unknown availability leaves the judgement to the server");
});

test("a cart line is told when it asks for more than is left, and only then", () => {
  assert.equal(lineStockNote(availability(AvailabilityStatus.LOW_STOCK, 3n), 3), "");
  assert.match(lineStockNote(availability(AvailabilityStatus.LOW_STOCK, 3n), 4), /You have 4 in your cart: lower the quantity to 3/);
  assert.match(lineStockNote(availability(AvailabilityStatus.OUT_OF_STOCK), 1), /cannot be ordered now/);
  assert.equal(lineStockNote(availability(AvailabilityStatus.IN_STOCK), 99), "");
});

test("a thumbnail's size is the full size scaled down to 480 on its longer side, never up", () => {
  assert.deepEqual(thumbSize({ width: 4000, height: 3000 }), { width: 480, height: 360 });
  assert.deepEqual(thumbSize({ width: 600, height: 800 }), { width: 360, height: 480 });
  assert.deepEqual(thumbSize({ width: 200, height: 100 }), { width: 200, height: 100 });
  assert.deepEqual(thumbSize({ width: 8000, height: 1 }), { width: 480, height: 1 }, "a sliver keeps at least a pixel");
  assert.deepEqual(thumbSize({ width: 0, height: 0 }), { width: 480, height: 360 }, "an unknown size is a 4:3 box");
  assert.deepEqual(fullSize({ width: -5, height: 10 }), { width: 480, height: 360 });
});

test("a picture's text is its own, else the product's name", () => {
  assert.equal(altText({ altText: "A blue mug" }, "Stoneware Mug"), "A blue mug");
  assert.equal(altText({ altText: "   " }, "Stoneware Mug"), "Stoneware Mug");
});

test("orders are named by their number; one from before numbers by its id's first block", () => {
  assert.equal(orderNumber({ number: "SH-4KQ7-9MZ2", id: "38b9a2d7-cdad-44e3-a52d-66e8e630a4c2" }), "SH-4KQ7-9MZ2");
  assert.equal(orderTitle({ number: "", id: "38b9a2d7-cdad-44e3-a52d-66e8e630a4c2" }), "Order 38B9A2D7");
  assert.equal(attemptTitle({ number: "SH-4KQ7-9MZ2", id: "x" }), "Checkout attempt SH-4KQ7-9MZ2");
});

test("a number typed into the search loses its spaces and case, and cannot grow past 64 characters", () => {
  assert.equal(normalizeOrderNumber("  sh-4kq7-9mz2 "), "SH-4KQ7-9MZ2");
  assert.equal(normalizeOrderNumber("SH 4KQ7 9MZ2"), "SH4KQ79MZ2");
  assert.equal(normalizeOrderNumber(""), "");
  assert.equal(normalizeOrderNumber("x".repeat(10_000)).length, 64);
});

test("a shortfall names the product, what is left and what was asked", () => {
  assert.equal(shortfallText({ productName: "Blue Mug", requested: 5n, available: 2n }), "Only 2 of Blue Mug left; you asked for 5");
  assert.equal(shortfallText({ productName: "Blue Mug", requested: 1n, available: 0n }), "Blue Mug is out of stock; you asked for 1");
  assert.equal(shortfallText({ productName: "", requested: 3n, available: 1n }), "Only 1 of a product left; you asked for 3");
});

test("the wallet's figures are read from the error's metadata, and garbage is not a number", () => {
  assert.equal(minorFromMetadata("12900"), 12900n);
  assert.equal(minorFromMetadata(" 50000 "), 50000n);
  for (const bad of [undefined, "", "12.50", "1e5", "abc", "9".repeat(40)]) assert.equal(minorFromMetadata(bad), null, String(bad));
  assert.equal(walletCovers(50000n, 50000n), true);
  assert.equal(walletCovers(49999n, 50000n), false);
  assert.match(walletShortText("$500.00", "$516.00"), /\$500\.00.*\$516\.00.*not placed/);
});

test("a refused quantity says what was typed and what the line still holds; a changed one is never silent", () => {
  assert.equal(
    refusedQuantityText("Quantity: must be between 1 and 99", "99999", 2),
    "Quantity: must be between 1 and 99. You entered 99999; the cart still holds 2.",
  );
  assert.equal(refusedQuantityText("Too many.", "99999", 0), "Too many. You entered 99999; nothing was added.");
  assert.equal(refusedQuantityText("Quantity: must be between 1 and 99", "", 2), "Quantity: must be between 1 and 99");
  assert.equal(changedQuantityText("Blue Mug", 5, 5), "");
  assert.equal(changedQuantityText("Blue Mug", 99999, 1000), "You asked for 99999 × Blue Mug, but your cart now holds 1000.");
});
