// @ts-check
// A client generated from the shop's OpenAPI document places an order end to
// end: types by openapi-typescript (`npm run rest:types`, from the served
// document into rest/gen/), calls by openapi-fetch, so `npm run rest:check`
// fails if this script no longer matches the document. `npm run rest:order`
// signs in as the demo customer, quotes shipping, orders and reads the order
// back at SHOP_URL (default http://127.0.0.1:8080).
import createClient from "openapi-fetch";

/** @type {import("openapi-fetch").Client<import("./gen/shop-api.js").paths>} */
const shop = createClient({ baseUrl: process.env.SHOP_URL ?? "http://127.0.0.1:8080" });

/**
 * The answer's data, or the error the shop sent, thrown.
 * @template T
 * @param {string} what
 * @param {{ data?: T, error?: unknown, response: Response }} answer
 * @returns {T}
 */
function ok(what, answer) {
  if (answer.data === undefined) {
    throw new Error(`${what}: ${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

const product = "00000000-0000-7000-8000-000000000001";
const address = {
  recipient: "Grace Hopper",
  line1: "1 Compiler Lane",
  city: "Arlington",
  postalCode: "22201",
  countryCode: "US",
};
const lines = [{ productId: product, quantity: "1" }];

const login = ok(
  "login",
  await shop.POST("/v1/auth:login", {
    body: { email: "customer@shop.test", password: "customer-password-123" },
  }),
);
const headers = { authorization: `Bearer ${login.accessToken}` };
const quote = ok("quote", await shop.POST("/v1/shippingQuotes", { headers, body: { address, lines } }));
const placed = ok(
  "order",
  await shop.POST("/v1/orders", {
    headers,
    body: {
      requestId: `rest-client-${process.pid}`,
      lines,
      paymentMethod: { card: { number: "4242424242424242", expMonth: 12, expYear: 2099, cvc: "123" } },
      shippingAddress: address,
      shippingQuoteId: quote.id,
      shippingOption: "standard",
    },
  }),
);
const order = ok(
  "read back",
  await shop.GET("/v1/orders/{id}", { headers, params: { path: { id: placed.id ?? "" } } }),
);
if (order.id !== placed.id || order.status !== "ORDER_STATUS_CONFIRMED") {
  throw new Error(`the order read back is not the confirmed order placed: ${JSON.stringify(order)}`);
}
console.log(`order ${order.id}: ${order.status}, ${order.total?.amountMinor} ${order.total?.currencyCode}`);
