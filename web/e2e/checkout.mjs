#!/usr/bin/env node
// Browser test of the storefront against a running gateway:
//   SHOP_URL=http://127.0.0.1:8080 node e2e/checkout.mjs
// Registers a fresh customer, searches, adds a product to the cart, checks
// that bad checkout fields are flagged next to the fields, that the decline
// test card is declined, then pays with the test card, waits for CONFIRMED
// (live, via WatchOrder), cancels and waits for CANCELLED.
// Env: SHOP_URL (required), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOT (a .png path written on failure), HEADFUL=1 to watch it.

import { chromium } from "playwright-core";

const base = process.env.SHOP_URL?.replace(/\/+$/, "");
if (!base) {
  console.error("SHOP_URL is not set (e.g. SHOP_URL=http://127.0.0.1:8080)");
  process.exit(2);
}
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 20000);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: !process.env.HEADFUL,
  args: [
    ...(process.env.HEADFUL ? [] : ["--headless"]),
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
  ],
});
const page = await browser.newPage({ viewport: { width: 420, height: 900 } }); // a narrow window
page.setDefaultTimeout(TIMEOUT);
const browserLog = [];
page.on("console", (m) => m.type() === "error" && browserLog.push(`console: ${m.text()}`));
page.on("pageerror", (e) => browserLog.push(`page error: ${e.message}`));

const byTestId = (id) => page.locator(`[data-testid="${id}"]`);
let passed = 0;

async function step(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (err) {
    console.error(`FAIL ${name}\n     ${String(err?.message ?? err).split("\n").join("\n     ")}`);
    console.error(`     at ${page.url()}`);
    for (const line of browserLog.slice(-10)) console.error(`     ${line}`);
    if (process.env.SCREENSHOT) {
      await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true }).catch(() => {});
      console.error(`     screenshot: ${process.env.SCREENSHOT}`);
    }
    console.error(`e2e: ${passed} passed, 1 failed`);
    await browser.close();
    process.exit(1);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** Waits for the order page's status badge to say `status`. */
async function waitForStatus(status) {
  const badge = page.locator(`[data-testid="order-status"][data-status="${status}"]`);
  await badge.waitFor({ timeout: 30000 }).catch(async () => {
    const shown = await byTestId("order-status").getAttribute("data-status").catch(() => "nothing");
    const note = await byTestId("live-note").textContent().catch(() => "");
    throw new Error(`order never became ${status}: the page shows ${shown}. ${note}`);
  });
}

const email = `e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
const password = "correct horse battery";
const year = String(new Date().getFullYear() + 2);
let orderId = "";

await step("the storefront loads", async () => {
  await page.goto(`${base}/#/`);
  await byTestId("product-card").first().waitFor();
});

await step(`register a new customer (${email})`, async () => {
  await byTestId("nav-register").click();
  await byTestId("register-name").fill("E2E Customer");
  await byTestId("register-email").fill(email);
  await byTestId("register-password").fill(password);
  await byTestId("register-submit").click();
  await byTestId("user-name").waitFor();
  expect((await byTestId("user-name").textContent()) === "E2E Customer", "the header does not show the new customer");
});

await step("search the catalog and open a product", async () => {
  await byTestId("search-input").fill("beans");
  await byTestId("search-submit").click();
  await page.waitForURL(/#\/\?q=beans/);
  const cards = byTestId("product-card");
  await cards.first().waitFor();
  const names = await cards.locator('[data-testid="product-link"]').allTextContents();
  expect(names.length > 0, "no product matches 'beans'");
  await cards.first().locator('[data-testid="product-link"]').click();
  await byTestId("product-detail").waitFor();
});

await step("add it to the cart", async () => {
  await byTestId("add-to-cart").click();
  await page.locator('[data-testid="cart-count"]', { hasText: /^1$/ }).waitFor();
  await byTestId("nav-cart").click();
  await byTestId("cart-line").first().waitFor();
  expect((await byTestId("cart-line").count()) === 1, "the cart should have exactly one line");
  await byTestId("checkout-link").click();
  await byTestId("checkout-form").waitFor();
});

async function fillCheckout({ postalCode, card }) {
  await byTestId("checkout-recipient").fill("E2E Customer");
  await byTestId("checkout-line1").fill("1 Test Street");
  await byTestId("checkout-city").fill("Springfield");
  await byTestId("checkout-postal-code").fill(postalCode);
  await byTestId("checkout-country").fill("US");
  await byTestId("checkout-pay-card").check();
  await byTestId("checkout-card-number").fill(card);
  await byTestId("checkout-card-exp-month").fill("12");
  await byTestId("checkout-card-exp-year").fill(year);
  await byTestId("checkout-card-cvc").fill("123");
}

await step("invalid checkout fields are shown next to the fields", async () => {
  await fillCheckout({ postalCode: "", card: "4242424242424241" });
  await byTestId("place-order").click();
  const postal = byTestId("error-shipping_address.postal_code");
  await postal.waitFor();
  expect((await postal.textContent()).trim().length > 0, "the postal code error is empty");
  await byTestId("error-payment_method.card.number").waitFor();
  expect(await byTestId("checkout-postal-code").getAttribute("aria-invalid"), "the postal code input is not marked invalid");
  expect(page.url().includes("#/checkout"), "an invalid checkout left the checkout page");
});

await step("the decline test card is declined with a readable reason", async () => {
  await fillCheckout({ postalCode: "12345", card: "4000000000000002" });
  await byTestId("place-order").click();
  const error = page.locator('[data-testid="form-error"]', { hasText: /declined/i });
  await error.waitFor();
  expect(await byTestId("error-shipping_address.postal_code").isHidden(), "the old postal code error is still shown");
});

await step("pay with the test card and see the order CONFIRMED (live)", async () => {
  await fillCheckout({ postalCode: "12345", card: "4242424242424242" });
  await byTestId("place-order").click();
  await page.waitForURL(/#\/orders\/[^/]+$/);
  orderId = decodeURIComponent(page.url().split("#/orders/")[1]);
  const first = await byTestId("order-status").getAttribute("data-status");
  console.log(`     order ${orderId}: first shown as ${first}`);
  await waitForStatus("CONFIRMED");
  await page.locator('[data-testid="cart-count"]', { hasText: /^0$/ }).waitFor();
});

await step("cancel the order and see it CANCELLED", async () => {
  await byTestId("cancel-order").click();
  await byTestId("confirm-cancel").click();
  await waitForStatus("CANCELLED");
});

await step("the order history lists the order", async () => {
  await byTestId("nav-orders").click();
  const row = page.locator(`[data-testid="order-row"][data-order-id="${orderId}"]`);
  await row.waitFor();
  const status = await row.locator('[data-testid="order-status"]').getAttribute("data-status");
  expect(status === "CANCELLED", `the history shows the order as ${status}`);
});

await step("log out", async () => {
  await byTestId("nav-logout").click();
  await byTestId("nav-login").waitFor();
});

await browser.close();
console.log(`e2e: ${passed} passed, 0 failed`);
