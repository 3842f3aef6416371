#!/usr/bin/env node
// Browser test of saved shipping addresses against a running gateway (after
// the others, by `npm run e2e`):
//   SHOP_URL=http://127.0.0.1:8080 node e2e/addresses.mjs
// A fresh customer's first checkout offers no saved address: they type one
// and tick "Save this address"; their next checkout offers it, chosen (the
// default), quotes shipping for it and places the order to it without a
// field typed. On the addresses page (from the account page) they add a
// second address, are told what is wrong with an incomplete one next to its
// field, edit one, make the other the default (it moves first) and delete
// one after confirming; the next checkout then offers the new default. Every
// page it visits is audited with axe-core (e2e/axe.mjs), at a phone's size
// and a desktop's, light and dark.
// Env: as e2e/checkout.mjs (SHOP_URL, CHROMIUM, SCREENSHOT, HEADFUL, E2E_TIMEOUT_MS).

import { audit } from "./axe.mjs";
import { base, expect, finish, name, newPage, step } from "./harness.mjs";

name("addresses");
const page = await newPage();
const byTestId = (id) => page.locator(`[data-testid="${id}"]`);

const email = `e2e-addresses-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
const password = "correct horse battery";
const year = String(new Date().getFullYear() + 2);
const HOME = { line1: "7 Saved Lane", city: "Springfield", postalCode: "12345", country: "US" };

/** Puts one unit of the first product that can be bought in the (empty) cart, and opens checkout. */
async function toCheckout() {
  await page.goto(`${base}/#/`);
  const card = page.locator('[data-testid="product-card"]', { has: page.locator('[data-testid="add-to-cart"]:enabled') }).first();
  await card.waitFor();
  await card.locator('[data-testid="add-to-cart"]').click();
  await page.locator('[data-testid="cart-count"]', { hasText: /^1$/ }).waitFor();
  await page.goto(`${base}/#/checkout`);
  await byTestId("checkout-form").waitFor();
}

/** Pays with the test card once a shipping option is chosen, and waits for the order page. */
async function placeWithTestCard() {
  await page.locator('[data-testid="shipping-option"] input:checked').waitFor();
  await byTestId("checkout-card-number").fill("4242424242424242");
  await byTestId("checkout-card-exp-month").fill("12");
  await byTestId("checkout-card-exp-year").fill(year);
  await byTestId("checkout-card-cvc").fill("123");
  await byTestId("place-order").click();
  await page.waitForURL(/#\/orders\/[^/]+$/);
  // Confirmed, the server empties the cart: wait for that, so the next
  // checkout starts from an empty cart.
  await page.locator('[data-testid="order-status"]:is([data-status="CONFIRMED"], [data-status="SHIPPED"], [data-status="DELIVERED"])').waitFor({ timeout: 30000 });
  await page.locator('[data-testid="cart-count"]', { hasText: /^0$/ }).waitFor({ timeout: 30000 });
}

/** The saved addresses on the addresses page, as { label, text, isDefault }, in the order shown. */
async function listed() {
  await byTestId("address-list").waitFor();
  return byTestId("saved-address").evaluateAll((els) => els.map((el) => ({
    label: el.querySelector('[data-testid="address-label"]').textContent,
    text: el.querySelector('[data-testid="address-text"]').textContent,
    isDefault: el.getAttribute("data-default") === "true",
  })));
}

/** The text of the saved address chosen at checkout, once the choices are shown. */
async function chosenSaved() {
  const chosen = page.locator('[data-testid="saved-address-option"]', { has: page.locator("input:checked") });
  await chosen.waitFor();
  return chosen.textContent();
}

/** The saved address item labelled `label`. */
const item = (label) => page.locator('[data-testid="saved-address"]', { has: page.locator('[data-testid="address-label"]', { hasText: new RegExp(`^${label}$`) }) });

await step(`register a new customer (${email})`, async () => {
  await page.goto(`${base}/#/register`);
  await byTestId("register-name").fill("Address Tester");
  await byTestId("register-email").fill(email);
  await byTestId("register-password").fill(password);
  await byTestId("register-submit").click();
  await byTestId("user-name").waitFor();
});

await step("the first checkout offers no saved address: type one and tick 'Save this address'", async () => {
  await toCheckout();
  // The saved addresses were asked for: none, so the fields are there to type in.
  await page.waitForLoadState("networkidle");
  expect(await byTestId("saved-addresses").isHidden(), "saved addresses are offered to a customer who has none");
  await byTestId("checkout-line1").fill(HOME.line1);
  await byTestId("checkout-city").fill(HOME.city);
  await byTestId("checkout-postal-code").fill(HOME.postalCode);
  await byTestId("checkout-country").fill(HOME.country);
  await byTestId("checkout-save-address").check();
  await audit(page, "the checkout with a new address to save");
  await placeWithTestCard();
});

await step("the next checkout preselects the saved address and places the order to it without typing", async () => {
  await toCheckout();
  await byTestId("saved-addresses").waitFor();
  const options = byTestId("saved-address-option");
  expect((await options.count()) === 2, `expected the saved address and "A new address", found ${await options.count()} choices`);
  const text = await chosenSaved();
  expect(text.includes(HOME.line1) && text.includes("(default)"), `the chosen option reads "${text}"`);
  expect(await byTestId("new-address").isHidden(), "the new address fields are shown although a saved address is chosen");
  await audit(page, "the checkout with a saved address chosen");
  await placeWithTestCard();
  const shippedTo = await page.locator("address").textContent();
  expect(shippedTo.includes(HOME.line1), `the order ships to "${shippedTo}", not the saved address`);
});

await step("the account page leads to the addresses page, which lists it as the default", async () => {
  await page.goto(`${base}/#/account`);
  await byTestId("account-addresses-link").click();
  await page.waitForURL(/#\/account\/addresses$/);
  const shown = await listed();
  expect(shown.length === 1 && shown[0].isDefault && shown[0].text.includes(HOME.line1), `the page lists ${JSON.stringify(shown)}`);
  await byTestId("address-default-badge").waitFor();
  await audit(page, "the addresses page");
});

await step("an incomplete address is refused with the reason next to its field", async () => {
  await byTestId("new-address-label").fill("Work");
  await byTestId("new-address-line1").fill("1 Office Park");
  await byTestId("new-address-city").fill("Shelbyville");
  await byTestId("new-address-postal-code").fill("");
  await byTestId("address-add").click();
  await byTestId("error-saved_address.address.postal_code").waitFor();
  expect(await byTestId("new-address-postal-code").getAttribute("aria-invalid"), "the postal code input is not marked invalid");
  await audit(page, "the addresses page's field errors");
});

await step("add a second address", async () => {
  await byTestId("new-address-postal-code").fill("54321");
  await byTestId("address-add").click();
  await item("Work").waitFor();
  const shown = await listed();
  expect(shown.length === 2, `the page lists ${shown.length} addresses`);
  expect(shown.filter((a) => a.isDefault).length === 1 && shown[0].isDefault, "the first address should stay the one default, listed first");
});

await step("edit an address", async () => {
  await item("Work").locator('[data-testid="address-edit"]').click();
  await byTestId("address-edit-form").waitFor();
  await audit(page, "an address being edited");
  await byTestId("address-line1").fill("2 Office Park");
  await byTestId("address-save").click();
  await page.locator('[data-testid="saved-address"]', { hasText: "2 Office Park" }).waitFor();
  expect(await byTestId("address-edit-form").count() === 0, "the edit form stayed open");
});

await step("make the other address the default: it moves first and alone has the badge", async () => {
  await item("Work").locator('[data-testid="address-make-default"]').click();
  await page.locator('[data-testid="saved-address"][data-default="true"]', { hasText: "2 Office Park" }).waitFor();
  const shown = await listed();
  expect(shown[0].label === "Work" && shown[0].isDefault && !shown[1].isDefault, `the page lists ${JSON.stringify(shown)}`);
  expect(await byTestId("address-default-badge").count() === 1, "more than one address is marked the default");
});

await step("delete an address after confirming", async () => {
  const home = page.locator('[data-testid="saved-address"]', { hasText: HOME.line1 });
  await home.locator('[data-testid="address-delete"]').click();
  await audit(page, "an address about to be deleted");
  await home.locator('[data-testid="address-delete-confirm"]').click();
  await home.waitFor({ state: "detached" });
  const shown = await listed();
  expect(shown.length === 1 && shown[0].label === "Work", `the page lists ${JSON.stringify(shown)}`);
});

await step("the next checkout offers the new default", async () => {
  await toCheckout();
  const text = await chosenSaved();
  expect(text.includes("2 Office Park"), `the chosen option reads "${text}"`);
  // "A new address" brings the fields back, empty.
  await page.locator('[data-testid="saved-address-option"][data-id="new"] input').check();
  await byTestId("new-address").waitFor();
  expect((await byTestId("checkout-line1").inputValue()) === "", "the new address fields are not empty");
});

await finish();
