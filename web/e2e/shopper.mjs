#!/usr/bin/env node
// Browser test of what a shopper sees of the catalog and of their orders,
// against a running gateway (after e2e/checkout.mjs, by `npm run e2e`):
//   SHOP_URL=http://127.0.0.1:8080 node e2e/shopper.mjs
// Product pictures load in the grid (lazily, with their size given
// beforehand) and in the product page's gallery; every card has an
// availability badge, and a product out of stock cannot be added; the
// category menu lists every category with its count; a quantity of 99999 is
// refused with a message naming it; a checkout asking for more than a
// low-stock product has names it and how many are left; a declined attempt
// stays out of the order history and shows in the attempts, on its own page
// with the decline code; an order shows its number, and the history finds
// it by number; paying from a wallet that cannot cover the total is refused
// before anything is placed. Steps that need a product low on stock or out
// of stock say "skipped" where the shop has none. Every page it visits is
// audited with axe-core (e2e/axe.mjs), at a phone's size and a desktop's.
// Env: as e2e/harness.mjs says (SHOP_URL, CHROMIUM, SCREENSHOT, HEADFUL, E2E_TIMEOUT_MS).

import { audit } from "./axe.mjs";
import { base, expect, finish, newPage, step } from "./harness.mjs";

const MAX_QUANTITY = 99;

const page = await newPage();

const byTestId = (id) => page.locator(`[data-testid="${id}"]`);

/** Waits until the image `locator` has loaded and has pixels. */
async function expectLoaded(locator, what) {
  await locator.scrollIntoViewIfNeeded();
  const ok = await locator
    .evaluate((img) => img.complete && img.naturalWidth > 0 ? true : new Promise((resolve) => {
      img.addEventListener("load", () => resolve(img.naturalWidth > 0), { once: true });
      img.addEventListener("error", () => resolve(false), { once: true });
    }))
    .catch(() => false);
  expect(ok, `${what} did not load (${await locator.getAttribute("src")})`);
}

/** Opens the catalog and shows every page of it ("Show more" until there is no more). */
async function wholeCatalog() {
  await page.goto(`${base}/#/`);
  await byTestId("product-card").first().waitFor();
  for (let i = 0; i < 20 && (await byTestId("load-more").isVisible()); i++) {
    const before = await byTestId("product-card").count();
    await byTestId("load-more").click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="product-card"]').length > n, before);
  }
  return byTestId("product-card");
}

/** The cards of the whole catalog as { id, name, category, availability, price, hasImage }. */
async function cardsOf() {
  const cards = await wholeCatalog();
  return cards.evaluateAll((els) => els.map((el) => ({
    id: el.getAttribute("data-product-id"),
    name: el.querySelector('[data-testid="product-link"]').textContent,
    category: el.querySelector(".tag a").textContent,
    availability: el.querySelector('[data-testid="availability"]')?.getAttribute("data-availability") ?? "",
    availabilityText: el.querySelector('[data-testid="availability"]')?.textContent ?? "",
    price: BigInt(el.querySelector('[data-testid="product-price"]').getAttribute("data-amount-minor") || "0").toString(),
    hasImage: !!el.querySelector('[data-testid="product-image"]'),
  })));
}

/** Waits for the header's cart badge to show `n` units. */
async function badge(n) {
  await page.locator('[data-testid="cart-count"]', { hasText: new RegExp(`^${n}$`) }).waitFor().catch(async () => {
    const shown = await byTestId("cart-count").textContent().catch(() => "nothing");
    throw new Error(`the cart badge never showed ${n}: it shows ${shown}`);
  });
}

/** Adds `quantity` of product `id` from its page. */
async function addFromProductPage(id, quantity) {
  await page.goto(`${base}/#/product/${id}`);
  await byTestId("product-detail").waitFor();
  const before = Number(await byTestId("cart-count").textContent());
  await byTestId("product-quantity").fill(String(quantity));
  await byTestId("add-to-cart").click();
  await badge(before + quantity);
}

/** Empties the cart from the cart page. */
async function emptyCart() {
  await page.goto(`${base}/#/cart`);
  for (let i = 0; i < 60; i++) {
    await page.locator('[data-testid="cart-line"], [data-testid="cart-empty"]').first().waitFor();
    if (await byTestId("cart-empty").isVisible()) return;
    const lines = await byTestId("cart-line").count();
    await byTestId("cart-remove").first().click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="cart-line"]').length < n, lines);
  }
}

const year = String(new Date().getFullYear() + 2);

async function fillAddress() {
  await byTestId("checkout-recipient").fill("E2E Shopper");
  await byTestId("checkout-line1").fill("1 Test Street");
  await byTestId("checkout-city").fill("Springfield");
  await byTestId("checkout-postal-code").fill("12345");
  await byTestId("checkout-country").fill("US");
  await page.locator('[data-testid="shipping-option"] input:checked').waitFor();
}

async function payByCard(card) {
  await byTestId("checkout-pay-card").check();
  await byTestId("checkout-card-number").fill(card);
  await byTestId("checkout-card-exp-month").fill("12");
  await byTestId("checkout-card-exp-year").fill(year);
  await byTestId("checkout-card-cvc").fill("123");
}

async function toCheckout() {
  await page.goto(`${base}/#/cart`);
  await byTestId("checkout-link").click();
  await byTestId("checkout-form").waitFor();
}

let catalogCards = [];

await step("the grid shows each product's first picture (lazily, its size given) or a placeholder", async () => {
  catalogCards = await cardsOf();
  const cards = byTestId("product-card");
  const total = await cards.count();
  const pictures = await byTestId("product-image").count();
  const placeholders = await byTestId("product-placeholder").count();
  expect(pictures + placeholders === total, `${total} cards but ${pictures} pictures and ${placeholders} placeholders`);
  expect(pictures > 0, "no product in the catalog has a picture");
  for (const img of await byTestId("product-image").all()) {
    const [width, height, loading, alt] = await Promise.all(["width", "height", "loading", "alt"].map((a) => img.getAttribute(a)));
    expect(Number(width) > 0 && Number(height) > 0, `a grid picture has no size beforehand (${width}x${height})`);
    expect(loading === "lazy", `a grid picture loads ${loading}, not lazily`);
    expect((alt ?? "").trim().length > 0, "a grid picture has no text for screen readers");
  }
  await expectLoaded(byTestId("product-image").first(), "the first grid picture");
  await audit(page, "the catalog with pictures");
});

await step("every card says whether it is in stock; one out of stock cannot be added", async () => {
  const unknown = catalogCards.filter((c) => !c.availability);
  expect(unknown.length === 0, `no availability shown for ${unknown.map((c) => c.name).join(", ")}`);
  for (const c of catalogCards.filter((c) => c.availability === "low-stock")) {
    expect(/^Only \d+ left$/.test(c.availabilityText), `a low-stock badge reads "${c.availabilityText}"`);
  }
  const out = catalogCards.find((c) => c.availability === "out-of-stock");
  if (!out) return "skipped";
  const card = page.locator(`[data-testid="product-card"][data-product-id="${out.id}"]`);
  const add = card.locator('[data-testid="add-to-cart"]');
  expect(await add.isDisabled(), `${out.name} is out of stock but can be added`);
  const badgeId = await card.locator('[data-testid="availability"]').getAttribute("id");
  expect(((await add.getAttribute("aria-describedby")) ?? "").split(" ").includes(badgeId), "the disabled button does not point at the reason");
});

await step("the category menu lists every category with its number of products", async () => {
  const options = await page.locator('[data-testid="category-select"] option[data-count]').evaluateAll((els) =>
    els.map((o) => ({ slug: o.value, count: Number(o.getAttribute("data-count")), text: o.textContent })));
  const counts = new Map();
  for (const c of catalogCards) counts.set(c.category, (counts.get(c.category) ?? 0) + 1);
  expect(options.length === counts.size, `the menu has ${options.length} categories, the catalog ${counts.size}`);
  for (const o of options) {
    expect(counts.get(o.slug) === o.count, `the menu counts ${o.count} in ${o.slug}, the catalog has ${counts.get(o.slug)}`);
    expect(o.text.includes(String(o.count)), `the option "${o.text}" does not show its count`);
  }
  const last = options.at(-1);
  await byTestId("category-select").selectOption(last.slug);
  await page.waitForURL(new RegExp(`category=${last.slug}`));
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="product-card"]').length === n, Math.min(last.count, 12));
  const tags = await page.locator('[data-testid="product-card"] .tag a').allTextContents();
  expect(tags.every((t) => t === last.slug), `the ${last.slug} page shows ${tags.join(", ")}`);
});

await step("the product page shows its pictures in a gallery", async () => {
  const withPictures = catalogCards.find((c) => c.hasImage);
  await page.goto(`${base}/#/product/${withPictures.id}`);
  await byTestId("product-detail").waitFor();
  const main = byTestId("gallery-main");
  await expectLoaded(main, "the product page's main picture");
  expect(Number(await main.getAttribute("width")) > 0, "the main picture has no size beforehand");
  expect(((await main.getAttribute("alt")) ?? "").trim().length > 0, "the main picture has no text");
  expect(!/size=thumb/.test(await main.getAttribute("src")), "the main picture is the grid's thumbnail, not full size");
  await byTestId("availability").waitFor();
  const thumbs = byTestId("gallery-thumb");
  if ((await thumbs.count()) > 1) {
    const first = await main.getAttribute("src");
    await thumbs.nth(1).click();
    expect((await thumbs.nth(1).getAttribute("aria-pressed")) === "true", "the thumbnail chosen is not marked pressed");
    expect((await main.getAttribute("src")) !== first, "choosing another picture did not show it");
    await expectLoaded(main, "the second picture");
  }
  await audit(page, "a product page with pictures");
});

await step("a product out of stock cannot be added from its page, and says why", async () => {
  const out = catalogCards.find((c) => c.availability === "out-of-stock");
  if (!out) return "skipped";
  await page.goto(`${base}/#/product/${out.id}`);
  await byTestId("product-detail").waitFor();
  expect(await byTestId("add-to-cart").isDisabled(), "the add button is enabled");
  expect((await byTestId("availability").textContent()) === "Out of stock", "the badge does not say out of stock");
  await byTestId("out-of-stock-note").waitFor();
  await audit(page, "a product out of stock");
});

const email = `e2e-shopper-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

await step(`register a customer (${email})`, async () => {
  await page.goto(`${base}/#/register`);
  await byTestId("register-name").fill("E2E Shopper");
  await byTestId("register-email").fill(email);
  await byTestId("register-password").fill("correct horse battery");
  await byTestId("register-submit").click();
  await byTestId("user-name").waitFor();
  await badge(0);
});

const inStock = () => catalogCards.filter((c) => c.availability === "in-stock");

await step("a quantity of 99999 is refused with a message that names it, on the product page and in the cart", async () => {
  const p = inStock()[0];
  await page.goto(`${base}/#/product/${p.id}`);
  await byTestId("product-detail").waitFor();
  await byTestId("product-quantity").fill("99999");
  await byTestId("add-to-cart").click();
  const error = byTestId("add-error");
  await error.waitFor();
  const said = await error.textContent();
  expect(said.includes("99999") && said.includes(String(MAX_QUANTITY)), `the product page says "${said}"`);
  await badge(0);
  await addFromProductPage(p.id, 2);
  await page.goto(`${base}/#/cart`);
  const quantity = byTestId("cart-quantity").first();
  await quantity.fill("99999");
  await quantity.blur();
  const lineError = byTestId("cart-line-error");
  await lineError.waitFor();
  const text = await lineError.textContent();
  expect(text.includes("99999") && text.includes(String(MAX_QUANTITY)) && /holds 2/.test(text), `the cart says "${text}"`);
  await badge(2);
  await audit(page, "a refused quantity in the cart");
  await emptyCart();
});

let declinedId = "";
let shortId = "";

await step("a checkout asking for more than is left names the product and how many are left", async () => {
  const low = catalogCards.find((c) => c.availability === "low-stock");
  if (!low) return "skipped";
  const left = Number(/\d+/.exec(low.availabilityText)[0]);
  await addFromProductPage(low.id, left + 1);
  await page.goto(`${base}/#/cart`);
  const note = page.locator(`[data-testid="cart-line"][data-product-id="${low.id}"] [data-testid="cart-line-stock"]`);
  await note.waitFor();
  expect((await note.textContent()).includes(`lower the quantity to ${left}`), `the cart line says "${await note.textContent()}"`);
  await toCheckout();
  const warned = byTestId("checkout-line-stock");
  await warned.waitFor();
  expect((await warned.textContent()).includes(`lower the quantity to ${left}`), `the checkout line says "${await warned.textContent()}"`);
  await fillAddress();
  await payByCard("4242424242424242");
  await byTestId("place-order").click();
  const shortfall = page.locator(`[data-testid="shortfall"][data-product-id="${low.id}"]`);
  await shortfall.waitFor();
  const text = await shortfall.textContent();
  const expected = `Only ${left} of ${low.name} left; you asked for ${left + 1}`;
  expect(text.startsWith(expected), `the checkout says "${text}", not "${expected}"`);
  shortId = decodeURIComponent((await byTestId("failed-order-link").getAttribute("href")).split("/attempts/")[1]);
  await audit(page, "a checkout short of stock");
  await byTestId("fix-cart").click();
  await page.waitForURL(/#\/cart$/);
  await emptyCart();
});

let orderNumber = "";
let orderId = "";

await step("a declined card leaves an attempt; the test card places an order named by its number", async () => {
  const p = inStock()[0];
  await addFromProductPage(p.id, 1);
  await toCheckout();
  await fillAddress();
  await payByCard("4000000000000002");
  await byTestId("place-order").click();
  const link = byTestId("failed-order-link");
  await link.waitFor();
  declinedId = decodeURIComponent((await link.getAttribute("href")).split("/attempts/")[1]);
  await page.locator('[data-testid="place-order"]:enabled').waitFor();
  await payByCard("4242424242424242");
  await byTestId("place-order").click();
  await page.waitForURL(/#\/orders\/[^/]+$/);
  orderId = decodeURIComponent(page.url().split("#/orders/")[1]);
  const number = byTestId("order-number");
  await number.waitFor();
  orderNumber = (await number.textContent()).trim();
  expect(/^[A-Z0-9][A-Z0-9-]{5,}$/.test(orderNumber), `the order number reads "${orderNumber}"`);
  await page.locator("h1", { hasText: orderNumber }).waitFor();
  expect(!(await page.locator("h1").textContent()).includes(orderId.split("-")[0]), "the heading still shows the id");
  await audit(page, "an order named by its number");
});

await step("the history shows orders by number, without the failed attempts, and finds one by its number", async () => {
  await page.goto(`${base}/#/orders`);
  const row = page.locator(`[data-testid="order-row"][data-order-id="${orderId}"]`);
  await row.waitFor();
  expect((await row.locator('[data-testid="order-link"]').textContent()).includes(orderNumber), "the history does not show the order's number");
  for (const failed of [declinedId, shortId].filter(Boolean)) {
    expect((await page.locator(`[data-testid="order-row"][data-order-id="${failed}"]`).count()) === 0, `the failed attempt ${failed} is in the history`);
  }
  await audit(page, "the order history");
  await byTestId("order-search-input").fill(` ${orderNumber.toLowerCase()} `);
  await byTestId("order-search-submit").click();
  await page.waitForURL(/number=/);
  await page.locator('[data-testid="order-search-note"]').waitFor();
  await row.waitFor();
  expect((await byTestId("order-row").count()) === 1, `searching ${orderNumber} shows ${await byTestId("order-row").count()} orders`);
  await byTestId("order-search-input").fill("SH-ZZZZ-ZZZZ");
  await byTestId("order-search-submit").click();
  await page.locator("p", { hasText: "No order is numbered SH-ZZZZ-ZZZZ" }).waitFor();
  expect((await byTestId("order-row").count()) === 0, "a number nobody has still lists orders");
  await audit(page, "an order search with no result");
});

await step("the failed attempts are listed apart, and one opens on its own page saying why", async () => {
  await page.goto(`${base}/#/orders`);
  await byTestId("attempts-link").click();
  await page.waitForURL(/#\/attempts$/);
  const row = page.locator(`[data-testid="attempt-row"][data-order-id="${declinedId}"]`);
  await row.waitFor();
  if (shortId) await page.locator(`[data-testid="attempt-row"][data-order-id="${shortId}"]`).waitFor();
  expect((await page.locator(`[data-testid="attempt-row"][data-order-id="${orderId}"]`).count()) === 0, "the placed order is among the failed attempts");
  await audit(page, "the checkout attempts");
  await row.locator('[data-testid="attempt-link"]').click();
  await byTestId("attempt-detail").waitFor();
  expect(/declined/i.test(await byTestId("attempt-reason").textContent()), "the attempt does not say it was declined");
  await byTestId("decline-code").waitFor();
  await audit(page, "a declined checkout attempt");
  if (shortId) {
    await page.goto(`${base}/#/attempts/${shortId}`);
    await byTestId("shortfall").first().waitFor();
  }
});

await step("paying from a wallet that cannot cover the total is refused before placing", async () => {
  if ((await byTestId("cart-count").textContent()) !== "0") await emptyCart();
  const dearest = inStock().reduce((a, b) => (BigInt(b.price) > BigInt(a.price) ? b : a));
  await addFromProductPage(dearest.id, 1);
  await toCheckout();
  await byTestId("checkout-pay-wallet").check();
  const balanceEl = page.locator('[data-testid="wallet-balance"][data-amount-minor]');
  await balanceEl.waitFor();
  const balance = BigInt(await balanceEl.getAttribute("data-amount-minor"));
  const quantity = Number(balance / BigInt(dearest.price)) + 1;
  if (quantity > MAX_QUANTITY) return "skipped";
  await page.goto(`${base}/#/cart`);
  const input = byTestId("cart-quantity").first();
  await input.fill(String(quantity));
  await input.blur();
  await badge(quantity);
  const placed = [];
  const watch = (r) => r.url().includes("CheckoutCart") && placed.push(r.url());
  page.on("request", watch);
  await toCheckout();
  await fillAddress();
  await byTestId("checkout-pay-wallet").check();
  await balanceEl.waitFor();
  await byTestId("place-order").click();
  const refusal = byTestId("wallet-refusal");
  await refusal.waitFor();
  const text = await refusal.textContent();
  expect(/does not cover/.test(text) && /admin/.test(text), `the refusal says "${text}"`);
  page.off("request", watch);
  expect(placed.length === 0, "the order was sent although the wallet cannot pay it");
  expect(page.url().includes("#/checkout"), "the refusal left the checkout");
  expect((await refusal.getAttribute("data-balance-minor")) === String(balance), "the refusal does not give the balance read");
  await audit(page, "a wallet refusal");
  // The server refuses too (INSUFFICIENT_FUNDS), should the page think the wallet richer than it is:
  // the browser is told of a huge balance, so only the server can refuse.
  await page.route("**/shop.payments.v1.PaymentService/GetWallet", (route) =>
    route.fulfill({ status: 200, headers: { "content-type": "application/grpc-web+proto" }, body: walletResponse(10n ** 10n) }));
  await byTestId("checkout-pay-card").check();
  await byTestId("checkout-pay-wallet").check();
  await page.locator('[data-testid="wallet-balance"][data-amount-minor="10000000000"]').waitFor();
  await byTestId("place-order").click();
  await page.locator(`[data-testid="wallet-refusal"][data-balance-minor="${balance}"]`).waitFor().catch(async () => {
    const shown = await byTestId("form-error").textContent().catch(() => "nothing");
    throw new Error(`the server's INSUFFICIENT_FUNDS was not explained with the real balance: the page says "${shown}"`);
  });
  await page.unroute("**/shop.payments.v1.PaymentService/GetWallet");
  await emptyCart();
});

/** A grpc-web answer to GetWallet: a WalletAccount with `minor` USD (protobuf by hand), then an OK trailer. */
function walletResponse(minor) {
  const varint = (n) => {
    const out = [];
    for (let v = BigInt(n); ; v >>= 7n) {
      if (v < 0x80n) return [...out, Number(v)];
      out.push(Number(v & 0x7fn) | 0x80);
    }
  };
  const money = [0x0a, 3, ...Buffer.from("USD"), 0x10, ...varint(minor)];
  const account = [0x12, money.length, ...money];
  const frame = (flag, bytes) => {
    const head = Buffer.alloc(5);
    head[0] = flag;
    head.writeUInt32BE(bytes.length, 1);
    return Buffer.concat([head, Buffer.from(bytes)]);
  };
  return Buffer.concat([frame(0, account), frame(0x80, Buffer.from("grpc-status: 0\r\n"))]);
}

await finish();
