#!/usr/bin/env node
// Browser test of the back office against a running gateway:
//   SHOP_URL=http://127.0.0.1:8080 node e2e/backoffice.mjs
// A new customer finds #/admin "admins only" and places an order. The demo
// admin (admin@shop.test) then sorts and pages the products table; creates
// a product with an image and sees it in the shop grid with the image
// loaded; reorders and deletes images; is told of an edit made meanwhile in
// another tab (etag); adjusts the stock and sees the shop's availability
// change; finds the customer's order (with the customer's email) by status
// and number, and packs, ships (carrier and tracking number) and delivers it
// while the customer's own browser follows the order live; cancels another
// order with a reason; tops up the customer's wallet with a double click
// that credits once; is refused demoting the last admin (LAST_ADMIN); makes
// the customer an admin (who gets the back office at their next login) and
// demotes them again (whose pages then show the service's refusal); and
// reads the emails sent. Every back-office page is audited with axe-core
// (e2e/axe.mjs) and checked for horizontal overflow at 390x844.
// Shipments must not move by themselves, so the admin's steps are the only
// ones: the mock with MOCK_SHIPMENT_STEP_MS=0 (as `npm run e2e:mock` runs
// it); the real services with fulfilment's FULFILMENT_DEMO_ADVANCE=0 (the
// all-in-one `shop` moves them every 20 s, which races the shipping step).
// Env: SHOP_URL (required), CHROMIUM, SCREENSHOT, HEADFUL, as e2e/harness.mjs says;
// ADMIN_EMAIL / ADMIN_PASSWORD (default the demo admin).

import { audit } from "./axe.mjs";
import { base, expect, finish, name, newPage, reportOn, step } from "./harness.mjs";

const ADMIN_EMAIL = process.env.ADMIN_EMAIL ?? "admin@shop.test";
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? "admin-password-123";

name("backoffice");
/** The customer's browser and the admin's; a failing step reports the one last acted in. */
const shopper = await newPage();
const admin = await newPage();

const on = (p, id) => p.locator(`[data-testid="${id}"]`);

/** Audits a back-office page and checks that it does not scroll sideways on a phone. */
async function check(p, what) {
  await audit(p, what);
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow <= 0, `${what} is ${overflow} px wider than the phone`);
}

async function logIn(p, email, password) {
  await p.goto(`${base}/#/login`);
  await on(p, "login-email").fill(email);
  await on(p, "login-password").fill(password);
  await on(p, "login-submit").click();
  await on(p, "user-name").waitFor();
}

/** Goes to a back-office route by the in-app navigation's link. */
async function adminNav(section) {
  await on(admin, `admin-nav-${section}`).click();
  await admin.locator(`[data-testid="admin-nav-${section}"][aria-current="page"]`).waitFor();
}

// An 8x6 PNG of warm browns.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAZklEQVR4nAXBoQEAIAgAQcf5cchkMpnMEGYy2Ww2mx3GuzGFElpYwhaOcIUnjKmU0spStnKUqzxlTKOMNpaxjWNc4xljOuW0s5ztHOc6zxkzqKCDFezgBDd4wZhJJZ2sZCcnuclLPpclPeHac7w8AAAAAElFTkSuQmCC",
  "base64",
);
const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const email = `bo-${stamp}@example.com`;
const password = "correct horse battery";
const productName = `E2E Roast ${stamp}`;
let orderId = "";
let productId = "";
let customerId = "";

await step("a customer registers, and #/admin tells them it is for admins only", async () => {
  await shopper.goto(`${base}/#/register`);
  await on(shopper, "register-name").fill("Back Office Customer");
  await on(shopper, "register-email").fill(email);
  await on(shopper, "register-password").fill(password);
  await on(shopper, "register-submit").click();
  await on(shopper, "user-name").waitFor();
  expect((await on(shopper, "nav-admin").count()) === 0, "a customer's header links to the back office");
  await shopper.goto(`${base}/#/admin`);
  await on(shopper, "admins-only").waitFor();
  await check(shopper, "the admins-only page");
});

/** The customer orders the grid's first product with the test card; returns the order id once CONFIRMED. */
async function placeOrder() {
  await shopper.goto(`${base}/#/`);
  await on(shopper, "add-to-cart").first().click();
  await shopper.locator('[data-testid="cart-count"]', { hasText: /^1$/ }).waitFor();
  await on(shopper, "nav-cart").click();
  await on(shopper, "checkout-link").click();
  await on(shopper, "checkout-recipient").fill("Back Office Customer");
  await on(shopper, "checkout-line1").fill("1 Test Street");
  await on(shopper, "checkout-city").fill("Springfield");
  await on(shopper, "checkout-postal-code").fill("12345");
  await on(shopper, "checkout-country").fill("US");
  await shopper.locator('[data-testid="shipping-option"] input:checked').waitFor();
  await on(shopper, "checkout-pay-card").check();
  await on(shopper, "fill-test-card").click();
  await on(shopper, "place-order").click();
  await shopper.waitForURL(/#\/orders\/[^/]+$/);
  await shopper.locator('[data-testid="order-status"][data-status="CONFIRMED"]').waitFor();
  return decodeURIComponent(shopper.url().split("#/orders/")[1]);
}

await step("the customer places an order with the test card and sees it CONFIRMED", async () => {
  orderId = await placeOrder();
});

await step("the demo admin logs in and the header leads to the back office", async () => {
  reportOn(admin);
  await logIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await on(admin, "nav-admin").click();
  await on(admin, "admin-products").waitFor();
  await admin.locator('[data-testid="admin-product-row"]').first().waitFor();
  await check(admin, "the products table");
});

await step("the products table sorts by a column header and pages with Next and Previous", async () => {
  await on(admin, "sort-name").click();
  await admin.locator('th[aria-sort="ascending"] [data-testid="sort-name"]').waitFor();
  const names = await admin.locator('[data-testid="admin-product-link"]').allTextContents();
  const sorted = [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  expect(JSON.stringify(names) === JSON.stringify(sorted), `names are not sorted: ${names.join(", ")}`);
  await on(admin, "sort-name").click();
  await admin.locator('th[aria-sort="descending"] [data-testid="sort-name"]').waitFor();
  await on(admin, "admin-products-next").click();
  await admin.locator('[data-testid="admin-products-page"]', { hasText: "Page 2" }).waitFor();
  await on(admin, "admin-products-prev").click();
  await admin.locator('[data-testid="admin-products-page"]', { hasText: "Page 1" }).waitFor();
});

await step("create a product with 3 units, refused first without a price", async () => {
  await on(admin, "admin-new-product").click();
  await on(admin, "product-form").waitFor();
  await check(admin, "the new product form");
  await on(admin, "product-name").fill(productName);
  await on(admin, "product-category").fill("e2e");
  await on(admin, "product-save").click();
  await on(admin, "error-product.price.amount_minor").waitFor();
  await on(admin, "product-price").fill("9.99");
  await on(admin, "product-initial-stock").fill("3");
  await on(admin, "product-save").click();
  await admin.waitForURL(/#\/admin\/products\/[0-9a-f-]{36}$/);
  productId = admin.url().split("/").pop();
  await on(admin, "product-images").waitFor();
});

await step("upload an image: its thumbnail shows, and the shop grid shows it loaded", async () => {
  await on(admin, "image-file").setInputFiles({ name: "roast.png", mimeType: "image/png", buffer: PNG });
  await on(admin, "image-alt").fill("A bag of beans");
  await on(admin, "image-upload").click();
  await on(admin, "product-image").first().waitFor();
  await check(admin, "the product editor with an image");
  await shopper.goto(`${base}/#/?q=${encodeURIComponent(productName)}`);
  const card = shopper.locator(`[data-testid="product-card"][data-product-id="${productId}"]`);
  const img = card.locator('[data-testid="product-image"]');
  await img.waitFor();
  await shopper.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
  const availability = await card.locator('[data-testid="availability"]').textContent();
  expect(availability.includes("3"), `the shop shows "${availability}" for 3 units`);
});

await step("a second image is moved up to be the grid's picture, then deleted", async () => {
  const images = admin.locator('[data-testid="product-image"]');
  await on(admin, "image-file").setInputFiles({ name: "second.png", mimeType: "image/png", buffer: PNG });
  await on(admin, "image-upload").click();
  await admin.waitForFunction(() => document.querySelectorAll('[data-testid="product-image"]').length === 2);
  const [first, second] = await images.evaluateAll((els) => els.map((e) => e.getAttribute("data-image-id")));
  await images.nth(1).locator('[data-testid="image-up"]').click();
  await admin.locator(`[data-testid="product-image"]:first-child[data-image-id="${second}"]`).waitFor();
  await images.nth(0).locator('[data-testid="image-delete"]').click();
  await admin.waitForFunction(() => document.querySelectorAll('[data-testid="product-image"]').length === 1);
  expect((await images.first().getAttribute("data-image-id")) === first, "the image left is not the first one uploaded");
});

await step("an edit with a stale etag is refused as changed by someone else", async () => {
  // Two tabs on the same product: the second saves first.
  const other = await admin.context().newPage();
  await other.goto(`${base}/#/admin/products/${productId}`);
  await on(other, "product-name").fill(`${productName} (renamed)`);
  await on(other, "product-save").click();
  await other.locator('[data-testid="product-saved"]', { hasText: "Saved" }).waitFor();
  await other.close();
  await on(admin, "product-description").fill("Changed here too");
  await on(admin, "product-save").click();
  await admin.locator('[data-testid="form-error"]', { hasText: "changed by someone else" }).waitFor();
  await on(admin, "product-reload").click();
  await admin.locator(`[data-testid="product-name"][value="${productName} (renamed)"]`).waitFor();
});

await step("adjust the stock (a zero delta is refused first) and see the shop's availability change", async () => {
  await on(admin, "product-stock-link").click();
  await on(admin, "stock-form").waitFor();
  await admin.locator('[data-testid="stock-levels"]', { hasText: "3 available" }).waitFor();
  await on(admin, "stock-delta").fill("0");
  await on(admin, "stock-reason").fill("delivery");
  await on(admin, "stock-adjust").click();
  await on(admin, "error-delta").waitFor();
  await on(admin, "stock-delta").fill("20");
  await on(admin, "stock-adjust").click();
  await admin.locator('[data-testid="stock-levels"]', { hasText: "23 available" }).waitFor();
  await check(admin, "the stock page");
  await shopper.reload();
  const card = shopper.locator(`[data-testid="product-card"][data-product-id="${productId}"]`);
  await card.locator('[data-testid="availability"]', { hasText: "In stock" }).waitFor();
});

await step("the orders table names the customer, and finds the order by status and number", async () => {
  await adminNav("orders");
  const row = admin.locator(`[data-testid="admin-order-row"][data-order-id="${orderId}"]`);
  await row.locator('[data-testid="order-customer"]', { hasText: email }).waitFor();
  const number = (await row.locator('[data-testid="admin-order-link"]').textContent()).trim();
  await on(admin, "order-status-filter").selectOption({ label: "Delivered" });
  await on(admin, "admin-orders-status").filter({ hasText: "No orders match." }).waitFor();
  await on(admin, "order-status-filter").selectOption({ label: "Confirmed" });
  await row.waitFor();
  await on(admin, "order-number").fill(number.toLowerCase());
  await on(admin, "order-number-find").click();
  await admin.waitForFunction(() => document.querySelectorAll('[data-testid="admin-order-row"]').length === 1);
  await row.waitFor();
  await check(admin, "the orders table");
  await row.locator('[data-testid="admin-order-link"]').click();
  await on(admin, "shipment-pack").waitFor();
  await check(admin, "an order's detail");
});

await step("pack and ship the order; the customer's order page follows live, then delivered", async () => {
  await shopper.goto(`${base}/#/orders/${orderId}`);
  await shopper.locator('[data-testid="order-status"][data-status="CONFIRMED"]').waitFor();
  await on(admin, "shipment-pack").click();
  await admin.locator('[data-testid="shipment-status"][data-status="PACKED"]').waitFor();
  await on(admin, "shipment-ship").click();
  await on(admin, "error-carrier").waitFor();
  await on(admin, "ship-carrier").fill("Parcel Co");
  await on(admin, "ship-tracking").fill("PC-123456");
  await on(admin, "shipment-ship").click();
  await admin.locator('[data-testid="shipment-status"][data-status="SHIPPED"]').waitFor();
  await shopper.locator('[data-testid="order-status"][data-status="SHIPPED"]').waitFor();
  await shopper.locator("main", { hasText: "PC-123456" }).waitFor();
  await admin.locator('[data-testid="order-status"][data-status="SHIPPED"]').first().waitFor();
  expect((await on(admin, "admin-cancel").count()) === 0, "a shipped order still offers cancelling");
  await on(admin, "shipment-deliver").click();
  await admin.locator('[data-testid="shipment-status"][data-status="DELIVERED"]').waitFor();
  await shopper.locator('[data-testid="order-status"][data-status="DELIVERED"]').waitFor();
});

await step("cancel another order with a reason; both the admin and the customer see it CANCELLED", async () => {
  reportOn(shopper);
  const second = await placeOrder();
  reportOn(admin);
  await admin.goto(`${base}/#/admin/orders/${second}`);
  await on(admin, "admin-cancel-reason").fill("customer asked by phone");
  await on(admin, "admin-cancel").click();
  await admin.locator('[data-testid="order-status"][data-status="CANCELLED"]').first().waitFor();
  await admin.locator('[data-testid="admin-order-summary"]', { hasText: "customer asked by phone" }).waitFor();
  await admin.locator('[data-testid="shipment-status"][data-status="CANCELLED"]').waitFor();
  await shopper.locator('[data-testid="order-status"][data-status="CANCELLED"]').waitFor();
});

await step("top up the customer's wallet: a double click credits once", async () => {
  await adminNav("customers");
  await on(admin, "customer-query").fill(email);
  await on(admin, "customer-search").click();
  // The unfiltered first page may still be showing: wait for the search's answer, one row.
  await admin.waitForFunction(() => document.querySelectorAll('[data-testid="customer-row"]').length === 1);
  await admin.locator('[data-testid="customer-link"]', { hasText: email }).waitFor();
  await check(admin, "the customers table");
  await on(admin, "customer-link").click();
  const balance = admin.locator('[data-testid="wallet-balance"] [data-amount-minor]');
  await balance.waitFor();
  const before = BigInt(await balance.getAttribute("data-amount-minor"));
  customerId = admin.url().split("/").pop();
  await on(admin, "topup-amount").fill("25.00");
  await on(admin, "topup-reason").fill("goodwill credit");
  await on(admin, "topup-submit").dblclick();
  await admin.locator(`[data-testid="wallet-balance"] [data-amount-minor="${before + 2500n}"]`).waitFor();
  // A fresh read of the wallet: still credited once.
  await admin.reload();
  await admin.locator(`[data-testid="wallet-balance"] [data-amount-minor="${before + 2500n}"]`).waitFor();
  await check(admin, "a customer's page");
});

await step("demoting the last admin is refused; the customer is made an admin", async () => {
  await on(admin, "role-select").selectOption({ label: "Admin" });
  await on(admin, "role-submit").click();
  await on(admin, "customer-role-now").filter({ hasText: "Admin" }).waitFor();
  // Back to customer, then try to demote the demo admin while it is the only one.
  await on(admin, "role-select").selectOption({ label: "Customer" });
  await on(admin, "role-submit").click();
  await on(admin, "customer-role-now").filter({ hasText: "Customer" }).waitFor();
  await adminNav("customers");
  await on(admin, "customer-query").fill(ADMIN_EMAIL);
  await on(admin, "customer-search").click();
  await admin.locator('[data-testid="customer-link"]', { hasText: ADMIN_EMAIL }).click();
  await on(admin, "role-select").selectOption({ label: "Customer" });
  await on(admin, "role-submit").click();
  await admin.locator('[data-testid="form-error"]', { hasText: "last admin" }).waitFor();
  await on(admin, "customer-role-now").filter({ hasText: "Admin" }).waitFor();
  await admin.goto(`${base}/#/admin/customers/${customerId}`);
  await on(admin, "role-select").selectOption({ label: "Admin" });
  await on(admin, "role-submit").click();
  await on(admin, "customer-role-now").filter({ hasText: "Admin" }).waitFor();
});

await step("the new admin gets the back office at their next login, and is shown the refusal once demoted", async () => {
  reportOn(shopper);
  await on(shopper, "nav-logout").click();
  await logIn(shopper, email, password);
  await on(shopper, "nav-admin").click();
  await shopper.locator('[data-testid="admin-product-row"]').first().waitFor();
  reportOn(admin);
  await admin.goto(`${base}/#/admin/customers/${customerId}`);
  await on(admin, "role-select").selectOption({ label: "Customer" });
  await on(admin, "role-submit").click();
  await on(admin, "customer-role-now").filter({ hasText: "Customer" }).waitFor();
  // The role counts from the user's next token (the mock applies it at
  // once): renew the session as its expiry would, then the back office is
  // refused, by the services (the page says why) or by the page itself.
  reportOn(shopper);
  await shopper.evaluate(() => {
    const key = "shop.session.v1";
    const s = JSON.parse(localStorage.getItem(key));
    localStorage.setItem(key, JSON.stringify({ ...s, expiresAt: Date.now() - 1000 }));
  });
  await shopper.goto(`${base}/#/admin/emails`);
  await shopper.reload();
  await shopper
    .locator('[data-testid="page-error"]', { hasText: "not (or no longer) an admin" })
    .or(shopper.locator('[data-testid="admins-only"]'))
    .first()
    .waitFor();
  reportOn(admin);
});

await step("the emails sent list the customer's welcome and order emails", async () => {
  await adminNav("emails");
  await admin.locator('[data-testid="email-row"][data-kind="ORDER_SHIPPED"]').first().waitFor();
  await on(admin, "email-state").selectOption({ label: "Failed" });
  await on(admin, "admin-emails-status").filter({ hasText: "No emails." }).waitFor();
  await check(admin, "the emails sent");
  await adminNav("stock");
  await on(admin, "stock-product").waitFor();
  await check(admin, "the stock product picker");
});

await step("an admin's own orders page says where everyone's orders are", async () => {
  await on(admin, "nav-orders").click();
  await on(admin, "admin-orders-link").waitFor();
});

await finish();
