// A stand-in for the Rust gateway, for working on the storefront and for
// running the browser tests (e2e/*.mjs) without the real services: the same contract
// (generated from ../proto) served as grpc-web on the same origin as dist/.
// Everything is in memory and simplified; it is NOT the real behaviour.
// A successful checkout returns PENDING and confirms a moment later, so the
// order page has to follow WatchOrder; card 4000000000000002 is declined.
// The cart (mock/cart.ts) follows the cart contract and orders through here.
// Orders name a shipping quote of mock/fulfilment.ts, which also ships the
// confirmed ones on a timer (SHIPPED, then DELIVERED). Tokens and account
// recovery are mock/accounts.ts's (the only token mechanism). The back
// office's methods are in mock/admin.ts (InventoryService in inventory.ts);
// the one stock model, which the shop's availability, the orders and the
// back office share, is mock/stock.ts; images (uploaded, and the demo
// pictures of demo-images.ts) are served by images.ts; saved shipping
// addresses are addresses.ts's. The demo admin
// admin@shop.test / admin-password-123 exists from the start.

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampNow, DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter, type ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { ErrorInfoSchema, RetryInfoSchema } from "../src/gen/google/rpc/error_details_pb";
import { AuthService, Role, UserSchema, type User } from "../src/gen/shop/auth/v1/auth_pb";
import { CatalogService, ProductSchema, type Product } from "../src/gen/shop/catalog/v1/catalog_pb";
import { DeclineCode } from "../src/gen/shop/common/v1/decline_code_pb";
import { PaymentMethodType } from "../src/gen/shop/common/v1/payment_method_pb";
import {
  FailureReason,
  OrderEventSchema,
  OrderSchema,
  OrderService,
  OrderShipmentSchema,
  OrderStatus,
  StockShortfallSchema,
  type CreateOrderRequest,
  type Order,
  type OrderEvent,
} from "../src/gen/shop/orders/v1/orders_pb";
import { PaymentService } from "../src/gen/shop/payments/v1/payments_pb";
import { CartService } from "../src/gen/shop/cart/v1/cart_pb";
import { FulfilmentService, ShipmentStatus, type Shipment } from "../src/gen/shop/fulfilment/v1/fulfilment_pb";
import { accountsMock } from "./accounts";
import { addressesMock } from "./addresses";
import { cartService } from "./cart";
import { invalid, withReason } from "./errors";
import { addressViolations, fulfilmentMock } from "./fulfilment";
import { adminMock, isAdmin } from "./admin";
import { demoImages } from "./demo-images";
import { serveImage } from "./images";
import { insufficientFunds, listed, newOrderNumber } from "./orders";
import { categoriesOf, followOrder, initialStock, reserve, shortOf, withAvailability } from "./stock";
import { InventoryService } from "../src/gen/shop/catalog/v1/inventory_pb";
import { NotificationService } from "../src/gen/shop/notifications/v1/notifications_pb";

// --- data ------------------------------------------------------------------

const demo: [string, string, number, string][] = [
  ["coffee", "Ethiopia Yirgacheffe Coffee Beans", 1450, "Floral, citrusy single-origin beans, 250 g."],
  ["coffee", "Colombia Huila Coffee Beans", 1290, "Caramel sweetness and a round body, 250 g."],
  ["coffee", "Espresso Blend", 3400, "Dark, syrupy blend for espresso, 1 kg."],
  ["coffee", "Decaf Swiss Water Process", 1390, "Chemical-free decaf coffee beans, 250 g."],
  ["tea", "Sencha Green Tea", 1100, "Grassy Japanese green tea, 100 g."],
  ["tea", "Assam Breakfast Tea", 950, "Malty black tea, 125 g."],
  ["brewing", "Conical Burr Grinder", 12900, "Consistent grind from espresso to French press."],
  ["brewing", "Pour-Over Dripper", 2400, "Ceramic cone dripper, size 02."],
  ["brewing", "French Press, 1 Litre", 3500, "Borosilicate glass and steel."],
  ["brewing", "Gooseneck Kettle", 7900, "Precise pouring, 0.9 litres."],
  ["kitchen", "Stoneware Mug", 1800, "Hand-glazed, 350 ml."],
  ["kitchen", "Milk Frother", 1500, "Battery-powered whisk."],
  ["snacks", "Dark Chocolate Bar 70%", 550, "Single-origin cocoa, 100 g."],
  ["snacks", "Almond Biscotti", 800, "Twice-baked, for dipping."],
];
const products: Product[] = demo.map(([category, name, price, description], i) =>
  create(ProductSchema, {
    id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`,
    name,
    description,
    category,
    price: { currencyCode: "USD", amountMinor: BigInt(price) },
    etag: "1",
    createTime: timestampNow(),
    updateTime: timestampNow(),
  }),
);
for (const p of products) {
  initialStock(p);
  p.images = demoImages(p);
}
/** A product as shoppers read it: with its availability now. */
const product = (id: string) => {
  const p = products.find((p) => p.id === id);
  return p && withAvailability(p);
};

function uuid(): string {
  return crypto.randomUUID();
}

interface Account { user: User; password: string; walletMinor: bigint }
const accounts = new Map<string, Account>(); // by email
/** Tokens, sessions, recovery and the emails they send (mock/accounts.ts). */
const auth = accountsMock(accounts);
// The demo admin, as the real shop creates it on first start.
accounts.set("admin@shop.test", {
  user: create(UserSchema, { id: uuid(), email: "admin@shop.test", displayName: "Admin", role: Role.ADMIN, emailVerified: true, createTime: timestampNow() }),
  password: "admin-password-123",
  walletMinor: 0n,
});
const failedLogins = new Map<string, number[]>(); // email -> times
const orders = new Map<string, Order>();
const events = new Map<string, OrderEvent[]>();
const watchers = new Map<string, Set<() => void>>();
/** Told of every order change (the cart follows the orders it placed). */
const orderListeners = new Set<(order: Order) => void>();

const issue = auth.issue;

/** The caller's account if the request carries a token (which must be valid), else null. */
function callerIfAny(ctx: HandlerContext): Account | null {
  return ctx.requestHeader.has("authorization") ? caller(ctx) : null;
}

/** Saved shipping addresses, per user (mock/addresses.ts). */
const addresses = addressesMock((ctx) => caller(ctx).user.id);

function caller(ctx: HandlerContext): Account {
  return auth.caller(ctx);
}

// --- orders ----------------------------------------------------------------

function luhn(n: string): boolean {
  if (!/^\d{12,19}$/.test(n)) return false;
  const sum = [...n].reverse().reduce((s, c, i) => {
    const d = Number(c) * (i % 2 ? 2 : 1);
    return s + (d > 9 ? d - 9 : d);
  }, 0);
  return sum % 10 === 0;
}

function record(order: Order, status: OrderStatus, changes: Partial<Order> = {}): void {
  Object.assign(order, changes, { status, updateTime: timestampNow() });
  const history = events.get(order.id) ?? [];
  history.push(
    create(OrderEventSchema, {
      orderId: order.id,
      sequence: BigInt(history.length + 1),
      status,
      failureReason: order.failureReason,
      createTime: order.updateTime,
      order: create(OrderSchema, order),
    }),
  );
  events.set(order.id, history);
  watchers.get(order.id)?.forEach((wake) => wake());
  orderListeners.forEach((listen) => listen(order));
}

/** Runs `steps` one after another, `ms` apart (the "saga" of the mock). */
function later(ms: number, ...steps: (() => void)[]): void {
  let t = 0;
  for (const step of steps) setTimeout(step, (t += ms));
}

/** Where WatchOrder ends: a confirmed order is followed through shipping to its delivery. */
const final = [OrderStatus.DELIVERED, OrderStatus.FAILED, OrderStatus.CANCELLED];

function ownOrder(ctx: HandlerContext, id: string): Order {
  const order = orders.get(id);
  const me = caller(ctx);
  if (!order || (order.userId !== me.user.id && !isAdmin(me))) throw withReason(Code.NotFound, "ORDER_NOT_FOUND", `order ${id} not found`, { order_id: id });
  return order;
}

function page<T>(items: T[], pageSize: number, pageToken: string): { items: T[]; next: string } {
  const start = Number(pageToken || "0");
  const size = pageSize || 20;
  const next = start + size < items.length ? String(start + size) : "";
  return { items: items.slice(start, start + size), next };
}

/** CreateOrder for `account`: validates, then runs the mock's saga (a decline fails at once). */
function placeOrder(account: Account, req: CreateOrderRequest): Order {
  const v: [string, string][] = [];
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(req.requestId)) v.push(["request_id", "must be 1 to 64 letters, digits, - or _"]);
  if (!req.lines.length) v.push(["lines", "must have at least one line"]);
  req.lines.forEach((l, i) => {
    if (l.quantity < 1n || l.quantity > 1000n) v.push([`lines[${i}].quantity`, "must be between 1 and 1000"]);
  });
  const method = req.paymentMethod?.method;
  if (!method?.case) v.push(["payment_method", "is required: a card or the wallet"]);
  if (method?.case === "card") {
    const c = method.value;
    if (!luhn(c.number)) v.push(["payment_method.card.number", "must be 12 to 19 digits with a valid check digit"]);
    if (c.expMonth < 1 || c.expMonth > 12) v.push(["payment_method.card.exp_month", "must be between 1 and 12"]);
    if (c.expYear < 1000 || c.expYear > 9999) v.push(["payment_method.card.exp_year", "must be a four-digit year"]);
    if (!/^\d{3,4}$/.test(c.cvc)) v.push(["payment_method.card.cvc", "must be 3 or 4 digits"]);
  }
  const a = req.shippingAddress;
  v.push(...addressViolations(a, "shipping_address"));
  if (!req.shippingQuoteId) v.push(["shipping_quote_id", "is required: a quote from FulfilmentService.GetShippingQuote"]);
  if (!req.shippingOption) v.push(["shipping_option", "is required: the code of one of the quote's options"]);
  if (v.length) throw invalid(v);

  const existing = [...orders.values()].find((o) => o.userId === account.user.id && o.requestId === req.requestId);
  if (existing) return existing;
  const missing = req.lines.filter((l) => !products.some((p) => p.id === l.productId)).map((l) => l.productId);
  if (missing.length) throw withReason(Code.NotFound, "PRODUCT_NOT_FOUND", "products not found", { product_ids: missing.join(",") });

  const lines = req.lines.map((l) => {
    const p = products.find((p) => p.id === l.productId)!;
    const unit = p.price!.amountMinor;
    return { productId: p.id, productName: p.name, unitPrice: p.price, quantity: l.quantity, lineTotal: { currencyCode: "USD", amountMinor: unit * l.quantity } };
  });
  // The price comes from the quote, never from the client.
  const shipping = fulfilment.check(account.user.id, req.shippingQuoteId, req.shippingOption, a, req.lines);
  const subtotal = lines.reduce((s, l) => s + l.lineTotal.amountMinor, 0n);
  const total = subtotal + shipping.price!.amountMinor;
  // A wallet that cannot pay is refused before anything is placed.
  if (method?.case === "wallet" && account.walletMinor < total) throw insufficientFunds(account.walletMinor, total);
  const init: MessageInitShape<typeof OrderSchema> = {
    id: uuid(),
    number: newOrderNumber(),
    userId: account.user.id,
    requestId: req.requestId,
    lines,
    subtotal: { currencyCode: "USD", amountMinor: subtotal },
    shipping,
    shippingQuoteId: req.shippingQuoteId,
    total: { currencyCode: "USD", amountMinor: total },
    shippingAddress: a,
    payment: {
      method:
        method?.case === "card"
          ? { methodType: PaymentMethodType.CARD, cardBrand: method.value.number.startsWith("4") ? "visa" : "other", cardLast4: method.value.number.slice(-4) }
          : { methodType: PaymentMethodType.WALLET },
    },
    createTime: timestampNow(),
  };
  const order = create(OrderSchema, init);
  orders.set(order.id, order);
  record(order, OrderStatus.PENDING);

  const short = shortOf(req.lines);
  if (short.length) {
    const shortfalls = short.map((s) =>
      create(StockShortfallSchema, { ...s, productName: lines.find((l) => l.productId === s.productId)!.productName }),
    );
    record(order, OrderStatus.COMPENSATING, { failureReason: FailureReason.OUT_OF_STOCK, shortfalls });
    record(order, OrderStatus.FAILED);
    return order;
  }
  // Held at once, so the next order sees the units gone; the order's later states commit or release them (mock/stock.ts).
  reserve(order);
  const now = new Date();
  let decline = DeclineCode.UNSPECIFIED;
  if (method?.case === "card") {
    const c = method.value;
    if (c.number === "4000000000000002") decline = DeclineCode.INSUFFICIENT_FUNDS;
    else if (c.expYear < now.getFullYear() || (c.expYear === now.getFullYear() && c.expMonth < now.getMonth() + 1)) decline = DeclineCode.EXPIRED_CARD;
  }
  if (decline) {
    // Declines come back at once, as a failed order (not an error).
    record(order, OrderStatus.STOCK_RESERVED);
    record(order, OrderStatus.COMPENSATING, { failureReason: FailureReason.PAYMENT_DECLINED, declineCode: decline });
    record(order, OrderStatus.FAILED);
    return order;
  }
  if (method?.case === "wallet") account.walletMinor -= total;
  later(400,
    () => record(order, OrderStatus.STOCK_RESERVED),
    () => record(order, OrderStatus.PAID, { payment: { ...order.payment!, paymentId: uuid() } }),
    () => {
      record(order, OrderStatus.CONFIRMED);
      fulfilment.ship(order);
    },
  );
  return order;
}

// --- services --------------------------------------------------------------

function routes(router: ConnectRouter) {
  router.service(AuthService, {
    register(req) {
      const email = req.email.trim().toLowerCase();
      const v: [string, string][] = [];
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) v.push(["email", "must be a valid email address"]);
      if (req.password.length < 10 || req.password.length > 128) v.push(["password", "must be 10 to 128 characters"]);
      if (!req.displayName.trim() || req.displayName.length > 100) v.push(["display_name", "must be 1 to 100 characters"]);
      if (v.length) throw invalid(v);
      if (accounts.has(email)) throw withReason(Code.AlreadyExists, "EMAIL_TAKEN", "an account with this email exists");
      const user = create(UserSchema, { id: uuid(), email, displayName: req.displayName.trim(), role: Role.CUSTOMER, createTime: timestampNow() });
      // Demo customers start with 500.00 USD of store credit, like the real shop's demo mode.
      const account = { user, password: req.password, walletMinor: 50000n };
      accounts.set(email, account);
      auth.sendVerification(account);
      admin.onRegistered(user);
      return issue(account);
    },
    login(req) {
      const email = req.email.trim().toLowerCase();
      const recent = (failedLogins.get(email) ?? []).filter((t) => Date.now() - t < 60_000);
      if (recent.length >= 5) {
        throw new ConnectError("too many attempts", Code.ResourceExhausted, undefined, [
          { desc: RetryInfoSchema, value: { retryDelay: create(DurationSchema, { seconds: 30n }) } },
          { desc: ErrorInfoSchema, value: { reason: "TOO_MANY_ATTEMPTS", domain: "shop" } },
        ]);
      }
      const account = accounts.get(email);
      if (!account || account.password !== req.password) {
        failedLogins.set(email, [...recent, Date.now()]);
        throw withReason(Code.Unauthenticated, "INVALID_CREDENTIALS", "wrong email or password");
      }
      return issue(account);
    },
    whoAmI(_req, ctx) {
      return caller(ctx).user;
    },
    ...auth.handlers,
    ...admin.auth,
    ...addresses,
  });

  router.service(CatalogService, {
    listProducts(req) {
      const q = req.query.toLowerCase();
      const found = products.filter(
        (p) => (!req.category || p.category === req.category) && (!q || `${p.name} ${p.description}`.toLowerCase().includes(q)),
      );
      const { items, next } = page(found, req.pageSize, req.pageToken);
      return { products: items.map(withAvailability), nextPageToken: next };
    },
    getProduct(req) {
      const p = product(req.id);
      if (!p) throw withReason(Code.NotFound, "PRODUCT_NOT_FOUND", `product ${req.id} not found`, { product_ids: req.id });
      return p;
    },
    batchGetProducts(req) {
      const missing = req.ids.filter((id) => !products.some((p) => p.id === id));
      if (missing.length) throw withReason(Code.NotFound, "PRODUCT_NOT_FOUND", "products not found", { product_ids: missing.join(",") });
      return { products: req.ids.map((id) => product(id)!) };
    },
    listCategories() {
      return { categories: categoriesOf(products) };
    },
    ...admin.catalog,
  });
  router.service(InventoryService, admin.inventory);
  router.service(NotificationService, admin.notifications);

  router.service(OrderService, {
    createOrder(req, ctx) {
      return placeOrder(caller(ctx), req);
    },
    getOrder(req, ctx) {
      return ownOrder(ctx, req.id);
    },
    listOrders(req, ctx) {
      const me = caller(ctx).user.id;
      const mine = listed([...orders.values()].filter((o) => o.userId === me), req);
      const { items, next } = page(mine, req.pageSize, req.pageToken);
      return { orders: items, nextPageToken: next };
    },
    cancelOrder(req, ctx) {
      const order = ownOrder(ctx, req.id);
      if (order.status === OrderStatus.CANCELLING || order.status === OrderStatus.CANCELLED) return order;
      if (order.status !== OrderStatus.CONFIRMED) {
        throw withReason(Code.FailedPrecondition, "ORDER_NOT_CANCELLABLE", "only confirmed orders that have not shipped can be cancelled", {
          order_id: order.id,
          status: OrderStatus[order.status],
        });
      }
      // The shipment first: a parcel that left makes the order not cancellable, even before the order hears of it.
      if (!fulfilment.cancel(order.id, req.reason)) {
        throw withReason(Code.FailedPrecondition, "ORDER_NOT_CANCELLABLE", "the parcel has left the warehouse", { order_id: order.id, status: "SHIPPED" });
      }
      record(order, OrderStatus.CANCELLING, { cancelReason: req.reason });
      later(500, () => {
        if (order.payment?.method?.methodType === PaymentMethodType.WALLET) tokensOwner(order.userId).walletMinor += order.total!.amountMinor;
        record(order, OrderStatus.CANCELLED);
      });
      return order;
    },
    async *watchOrder(req, ctx) {
      ownOrder(ctx, req.id);
      // The stream ends when the token it was opened with expires (the client renews and reconnects).
      const tokenExpires = auth.callerExpiry(ctx);
      let sent = req.afterSequence;
      let wake: () => void = () => {};
      const set = watchers.get(req.id) ?? new Set();
      watchers.set(req.id, set);
      const listener = () => wake();
      set.add(listener);
      try {
        for (;;) {
          const history = events.get(req.id) ?? [];
          for (const e of history.filter((e) => e.sequence > sent)) {
            sent = e.sequence;
            yield e;
          }
          if (final.includes(history.at(-1)?.status ?? OrderStatus.UNSPECIFIED)) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
            ctx.signal.addEventListener("abort", () => resolve(), { once: true });
            setTimeout(resolve, Math.max(0, tokenExpires - Date.now()));
          });
          if (ctx.signal.aborted) return;
          if (Date.now() >= tokenExpires) throw withReason(Code.Unauthenticated, "TOKEN_EXPIRED", "access token expired");
        }
      } finally {
        set.delete(listener);
      }
    },
    ...admin.orders,
  });

  router.service(
    CartService,
    cartService({
      product: (id) => products.find((p) => p.id === id),
      callerIfAny: (ctx) => callerIfAny(ctx)?.user.id ?? null,
      caller: (ctx) => caller(ctx),
      placeOrder,
      onOrderChange: (listen) => orderListeners.add(listen),
    }),
  );

  router.service(FulfilmentService, { ...fulfilment.service, ...admin.fulfilment });

  router.service(PaymentService, {
    getWallet(req, ctx) {
      const account = caller(ctx);
      if (!/^[A-Z]{3}$/.test(req.currencyCode)) throw invalid([["currency_code", "must be an ISO 4217 code, e.g. USD"]]);
      const balance = req.currencyCode === "USD" ? account.walletMinor : 0n;
      return { userId: account.user.id, balance: { currencyCode: req.currencyCode, amountMinor: balance } };
    },
    ...admin.payments,
  });
}

/** The order follows its parcel: SHIPPED with carrier and tracking, then DELIVERED. */
function shipmentMoved(s: Shipment): void {
  const order = orders.get(s.orderId);
  if (!order) return;
  const shipment = create(OrderShipmentSchema, { shipmentId: s.id, carrier: s.carrier, trackingNumber: s.trackingNumber, shipTime: s.shipTime, deliverTime: s.deliverTime });
  if (s.status === ShipmentStatus.SHIPPED && order.status === OrderStatus.CONFIRMED) record(order, OrderStatus.SHIPPED, { shipment });
  if (s.status === ShipmentStatus.DELIVERED && order.status === OrderStatus.SHIPPED) record(order, OrderStatus.DELIVERED, { shipment });
}

const fulfilment = fulfilmentMock({
  product: (id) => products.find((p) => p.id === id),
  callerId: (ctx) => caller(ctx).user.id,
  ownOrder,
  onShipmentMoved: shipmentMoved,
});

// The back office's methods (mock/admin.ts). Spread after this file's own,
// they take over where they go further: sorted catalog reads with stock,
// ListOrders' filters and admins' view, GetWallet naming another user.
const admin = adminMock({
  products,
  accounts,
  orders,
  caller,
  shipments: fulfilment.shipments,
  moveShipment: fulfilment.move,
  onShipmentMoved: shipmentMoved,
});
orderListeners.add(admin.onOrder);
// The one stock model (mock/stock.ts) follows every order: commit when confirmed, release when failed or cancelled.
orderListeners.add(followOrder);

function tokensOwner(userId: string): Account {
  return [...accounts.values()].find((a) => a.user.id === userId)!;
}

// --- static files (dist/) and the server ----------------------------------

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

export function startMockGateway(port: number, dist: string) {
  const serveStatic: ConnectNodeAdapterOptions["fallback"] = (req, res) => {
    if (auth.testEndpoint(req, res)) return;
    if (serveImage(req, res)) return;
    // The URL parser resolves "..", so the path cannot leave dist/.
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    let file = join(dist, path === "/" ? "index.html" : path);
    if (!existsSync(file) || !statSync(file).isFile()) file = "";
    if (req.method !== "GET" || !file) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": types[extname(file)] ?? "application/octet-stream",
      // The strict policy the real gateway can send: the storefront needs nothing inline.
      "content-security-policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
    });
    createReadStream(file).pipe(res);
  };
  const server = createServer(connectNodeAdapter({ routes, fallback: serveStatic }));
  return new Promise<typeof server>((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}
