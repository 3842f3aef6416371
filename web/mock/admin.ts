// The mock gateway's back-office methods, in memory, following the contract:
// the catalog's writes and images, sorted product lists, categories; the
// accounts (ListUsers, GetUser, BatchGetUsers, SetUserRole with LAST_ADMIN);
// everyone's orders for admins (filters, order_by, numbers); wallets
// (GetWallet for another user, TopUpWallet with idempotency keys); the
// warehouse's steps (Pack, Ship, Deliver, ListShipments, with
// SHIPMENT_STATUS refusals); and the emails sent (ListNotifications).
// Everything admin-only answers PERMISSION_DENIED to anyone else.
//
// Simplified where noted: a role change counts at once (the real one at the
// user's next token); every email is "sent" the moment it is written.

import { create } from "@bufbuild/protobuf";
import { timestampNow, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { Role, type AuthService, type User } from "../src/gen/shop/auth/v1/auth_pb";
import { ProductSchema, type CatalogService, type Product } from "../src/gen/shop/catalog/v1/catalog_pb";
import { ShipmentStatus, type FulfilmentService, type Shipment } from "../src/gen/shop/fulfilment/v1/fulfilment_pb";
import {
  NotificationKind,
  NotificationSchema,
  NotificationState,
  type Notification,
  type NotificationService,
} from "../src/gen/shop/notifications/v1/notifications_pb";
import { OrderStatus, type Order, type OrderService } from "../src/gen/shop/orders/v1/orders_pb";
import type { PaymentService } from "../src/gen/shop/payments/v1/payments_pb";
import { invalid, withReason } from "./errors";
import { forgetImage, MAX_IMAGE_BYTES, MAX_IMAGES_PER_PRODUCT, sniff, storeImage } from "./images";
import { inventoryMock } from "./inventory";
import { newOrderNumber } from "./orders";
import { orderBy, pageOf, sortBy } from "./paging";

interface Account { user: User; walletMinor: bigint }

export interface AdminDeps {
  /** The catalog's products, changed in place. */
  products: Product[];
  accounts: Map<string, Account>;
  orders: Map<string, Order>;
  /** The signed-in account; throws UNAUTHENTICATED without one. */
  caller(ctx: HandlerContext): Account;
  shipments: Map<string, Shipment>;
  moveShipment(s: Shipment, status: ShipmentStatus, changes?: Partial<Shipment>): void;
  onShipmentMoved(s: Shipment): void;
}

const time = (t: Timestamp | undefined) => (t ? t.seconds * 1_000_000_000n + BigInt(t.nanos) : 0n);
const SLUG = /^[a-z0-9-]{1,50}$/;
const KEY = /^[A-Za-z0-9_-]{1,64}$/;

export function isAdmin(account: Account): boolean {
  return account.user.role === Role.ADMIN;
}

export function adminMock(deps: AdminDeps) {
  const requireAdmin = (ctx: HandlerContext): Account => {
    const account = deps.caller(ctx);
    if (!isAdmin(account)) throw withReason(Code.PermissionDenied, "PERMISSION_DENIED", "only admins may do this");
    return account;
  };
  const product = (id: string): Product => {
    const p = deps.products.find((p) => p.id === id);
    if (!p) throw withReason(Code.NotFound, "PRODUCT_NOT_FOUND", `product ${id} not found`, { product_ids: id });
    return p;
  };
  const inventory = inventoryMock({ exists: (id) => deps.products.some((p) => p.id === id), requireAdmin });
  /** What reads return: the product with its availability now. */
  const shown = (p: Product) => create(ProductSchema, { ...p, availability: inventory.availability(p.id) });
  const users = () => [...deps.accounts.values()].map((a) => a.user);
  const accountById = (id: string) => [...deps.accounts.values()].find((a) => a.user.id === id);

  // --- catalog ---------------------------------------------------------------

  const productViolations = (p: Partial<Product>, paths: string[]): [string, string][] => {
    const v: [string, string][] = [];
    const has = (f: string) => paths.includes(f);
    if (has("name") && (!p.name?.trim() || p.name.length > 200)) v.push(["product.name", "must be 1 to 200 characters"]);
    if (has("description") && (p.description ?? "").length > 5000) v.push(["product.description", "must be at most 5000 characters"]);
    if (has("category") && !SLUG.test(p.category ?? "")) v.push(["product.category", "must be 1 to 50 characters of a-z, 0-9 and -"]);
    if (has("price")) {
      if (!/^[A-Z]{3}$/.test(p.price?.currencyCode ?? "")) v.push(["product.price.currency_code", "must be an ISO 4217 code, e.g. USD"]);
      const a = p.price?.amountMinor ?? 0n;
      if (a < 0n || a > 100_000_000n) v.push(["product.price.amount_minor", "must be between 0 and 100000000"]);
    }
    if (has("weight_grams") && ((p.weightGrams ?? 0) < 0 || (p.weightGrams ?? 0) > 1_000_000)) v.push(["product.weight_grams", "must be between 0 and 1000000"]);
    return v;
  };
  const EDITABLE = ["name", "description", "category", "price", "weight_grams"];

  const catalog: Partial<ServiceImpl<typeof CatalogService>> = {
    listProducts(req) {
      const v: [string, string][] = [];
      if (req.query.length > 100) v.push(["query", "must be at most 100 characters"]);
      if (v.length) throw invalid(v);
      const { field, desc } = orderBy(req.orderBy, ["create_time", "name", "price"], "create_time");
      const q = req.query.toLowerCase();
      const found = deps.products.filter(
        (p) => (!req.category || p.category === req.category) && (!q || `${p.name} ${p.description}`.toLowerCase().includes(q)),
      );
      const order = deps.products.map((p) => p.id);
      const key = (p: Product) => (field === "name" ? p.name.toLowerCase() : field === "price" ? p.price?.amountMinor ?? 0n : order.indexOf(p.id));
      const { items, next } = pageOf(sortBy(found, key, desc), req.pageSize, req.pageToken, [req.category, req.query, field, desc]);
      return { products: items.map(shown), nextPageToken: next };
    },
    getProduct(req) {
      return shown(product(req.id));
    },
    batchGetProducts(req) {
      if (req.ids.length > 100) throw invalid([["ids", "must name at most 100 products"]]);
      const missing = req.ids.filter((id) => !deps.products.some((p) => p.id === id));
      if (missing.length) throw withReason(Code.NotFound, "PRODUCT_NOT_FOUND", "products not found", { product_ids: missing.join(",") });
      return { products: req.ids.map((id) => shown(product(id))) };
    },
    listCategories() {
      const counts = new Map<string, bigint>();
      for (const p of deps.products) counts.set(p.category, (counts.get(p.category) ?? 0n) + 1n);
      return { categories: [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([slug, productCount]) => ({ slug, productCount })) };
    },
    createProduct(req, ctx) {
      requireAdmin(ctx);
      const p = req.product;
      const v = productViolations(p ?? {}, EDITABLE);
      if (!p?.price) v.push(["product.price", "is required"]);
      if (req.initialStock < 0n || req.initialStock > 1_000_000n) v.push(["initial_stock", "must be between 0 and 1000000"]);
      if (v.length) throw invalid(v);
      const made = create(ProductSchema, {
        id: crypto.randomUUID(),
        name: p!.name.trim(),
        description: p!.description,
        category: p!.category,
        price: p!.price,
        weightGrams: p!.weightGrams,
        etag: "1",
        createTime: timestampNow(),
        updateTime: timestampNow(),
      });
      deps.products.push(made);
      inventory.setInitial(made.id, req.initialStock);
      return shown(made);
    },
    updateProduct(req, ctx) {
      requireAdmin(ctx);
      const paths = req.updateMask?.paths ?? [];
      if (paths.length > 5) throw invalid([["update_mask.paths", "must name at most 5 fields"]]);
      if (!paths.length) throw invalid([["update_mask", "must name the fields to change"]]);
      const bad = paths.filter((p) => !EDITABLE.includes(p) && !(p === "*" && paths.length === 1));
      if (bad.length) throw invalid([["update_mask.paths", `cannot change ${bad.join(", ")}`]]);
      const fields = paths[0] === "*" ? EDITABLE : paths;
      const p = product(req.product?.id ?? "");
      const v = productViolations(req.product ?? {}, fields);
      if (v.length) throw invalid(v);
      if (req.product!.etag && req.product!.etag !== p.etag) {
        throw withReason(Code.Aborted, "ETAG_MISMATCH", "the product was changed since it was read", { etag: p.etag });
      }
      const from = req.product!;
      if (fields.includes("name")) p.name = from.name.trim();
      if (fields.includes("description")) p.description = from.description;
      if (fields.includes("category")) p.category = from.category;
      if (fields.includes("price")) p.price = from.price;
      if (fields.includes("weight_grams")) p.weightGrams = from.weightGrams;
      p.etag = String(Number(p.etag) + 1);
      p.updateTime = timestampNow();
      return shown(p);
    },
    deleteProduct(req, ctx) {
      requireAdmin(ctx);
      const p = product(req.id);
      if (req.etag && req.etag !== p.etag) throw withReason(Code.Aborted, "ETAG_MISMATCH", "the product was changed since it was read", { etag: p.etag });
      deps.products.splice(deps.products.indexOf(p), 1);
      p.images.forEach((i) => forgetImage(i.id));
      return {};
    },
    addProductImage(req, ctx) {
      requireAdmin(ctx);
      const v: [string, string][] = [];
      if (req.content.length === 0 || req.content.length > MAX_IMAGE_BYTES) v.push(["content", "must be an image of at most 4 MiB"]);
      else if (!sniff(req.content)) v.push(["content", "must be a JPEG, PNG or WebP image"]);
      if (req.altText.length > 200) v.push(["alt_text", "must be at most 200 characters"]);
      if (v.length) throw invalid(v);
      const p = product(req.productId);
      if (p.images.length >= MAX_IMAGES_PER_PRODUCT) {
        throw withReason(Code.FailedPrecondition, "TOO_MANY_IMAGES", `a product has at most ${MAX_IMAGES_PER_PRODUCT} images`, { product_id: p.id });
      }
      const image = storeImage(req.content, req.altText.trim());
      p.images.push(image);
      p.updateTime = timestampNow();
      return image;
    },
    deleteProductImage(req, ctx) {
      requireAdmin(ctx);
      const p = product(req.productId);
      const i = p.images.findIndex((i) => i.id === req.imageId);
      if (i < 0) throw withReason(Code.NotFound, "IMAGE_NOT_FOUND", `the product has no image ${req.imageId}`, { image_id: req.imageId });
      p.images.splice(i, 1);
      forgetImage(req.imageId);
      p.updateTime = timestampNow();
      return {};
    },
    reorderProductImages(req, ctx) {
      requireAdmin(ctx);
      const p = product(req.productId);
      const ids = req.imageIds;
      const same = ids.length === p.images.length && new Set(ids).size === ids.length && ids.every((id) => p.images.some((i) => i.id === id));
      if (!same) throw invalid([["image_ids", "must name each of the product's images exactly once"]]);
      p.images = ids.map((id) => p.images.find((i) => i.id === id)!);
      p.updateTime = timestampNow();
      return shown(p);
    },
  };

  // --- accounts --------------------------------------------------------------

  const findUser = (id: string): User => {
    const u = users().find((u) => u.id === id);
    if (!u) throw withReason(Code.NotFound, "USER_NOT_FOUND", `user ${id} not found`, { user_id: id });
    return u;
  };

  const auth: Partial<ServiceImpl<typeof AuthService>> = {
    listUsers(req, ctx) {
      requireAdmin(ctx);
      if (req.query.length > 100) throw invalid([["query", "must be at most 100 characters"]]);
      const { field, desc } = orderBy(req.orderBy, ["create_time", "email"], "create_time desc");
      const q = req.query.toLowerCase();
      const found = users().filter((u) => (!req.role || u.role === req.role) && (!q || `${u.email}\n${u.displayName}`.toLowerCase().includes(q)));
      const created = users().map((u) => u.id);
      const sorted = sortBy(found, (u) => (field === "email" ? u.email : created.indexOf(u.id)), desc);
      const { items, next } = pageOf(sorted, req.pageSize, req.pageToken, [req.role, req.query, field, desc]);
      return { users: items, nextPageToken: next };
    },
    getUser(req, ctx) {
      requireAdmin(ctx);
      return findUser(req.id);
    },
    batchGetUsers(req, ctx) {
      requireAdmin(ctx);
      if (req.ids.length < 1 || req.ids.length > 100) throw invalid([["ids", "must name 1 to 100 users"]]);
      return { users: req.ids.flatMap((id) => users().filter((u) => u.id === id)) };
    },
    setUserRole(req, ctx) {
      requireAdmin(ctx);
      if (req.role !== Role.ADMIN && req.role !== Role.CUSTOMER) throw invalid([["role", "must be ROLE_CUSTOMER or ROLE_ADMIN"]]);
      const u = findUser(req.id);
      if (u.role === Role.ADMIN && req.role !== Role.ADMIN && users().filter((x) => x.role === Role.ADMIN).length === 1) {
        throw withReason(Code.FailedPrecondition, "LAST_ADMIN", "the shop would be left without an admin", { user_id: u.id });
      }
      u.role = req.role;
      return u;
    },
  };

  // --- orders ----------------------------------------------------------------

  const ordersService: Partial<ServiceImpl<typeof OrderService>> = {
    listOrders(req, ctx) {
      const me = deps.caller(ctx);
      if (req.userId && req.userId !== me.user.id && !isAdmin(me)) throw withReason(Code.PermissionDenied, "PERMISSION_DENIED", "customers may list only their own orders");
      const who = req.userId || (isAdmin(me) ? "" : me.user.id);
      const { field, desc } = orderBy(req.orderBy, ["create_time", "total"], "create_time desc");
      const number = req.number.trim().toUpperCase();
      const found = [...deps.orders.values()].filter(
        (o) =>
          (!who || o.userId === who) &&
          (!req.status || o.status === req.status) &&
          (!number || o.number.toUpperCase() === number) &&
          !(req.hideFailed && o.status === OrderStatus.FAILED),
      );
      const sorted = sortBy(found, (o) => (field === "total" ? o.total?.amountMinor ?? 0n : time(o.createTime)), desc);
      const { items, next } = pageOf(sorted, req.pageSize, req.pageToken, [who, req.status, number, req.hideFailed, field, desc]);
      return { orders: items, nextPageToken: next };
    },
  };

  // --- wallets ---------------------------------------------------------------

  const otherWallets = new Map<string, bigint>(); // "user|currency" -> minor units
  const topUps = new Map<string, string>(); // idempotency key -> the request it was first used with
  const balance = (userId: string, currency: string): bigint => {
    const a = accountById(userId);
    if (a && currency === "USD") return a.walletMinor;
    return otherWallets.get(`${userId}|${currency}`) ?? 0n;
  };
  const wallet = (userId: string, currency: string) => ({ userId, balance: { currencyCode: currency, amountMinor: balance(userId, currency) }, updateTime: timestampNow() });

  const payments: Partial<ServiceImpl<typeof PaymentService>> = {
    getWallet(req, ctx) {
      const me = deps.caller(ctx);
      if (!/^[A-Z]{3}$/.test(req.currencyCode)) throw invalid([["currency_code", "must be an ISO 4217 code, e.g. USD"]]);
      const userId = req.userId || me.user.id;
      if (userId !== me.user.id && !isAdmin(me)) throw withReason(Code.PermissionDenied, "PERMISSION_DENIED", "only admins may read another user's wallet");
      return wallet(userId, req.currencyCode);
    },
    topUpWallet(req, ctx) {
      requireAdmin(ctx);
      const v: [string, string][] = [];
      if (!req.userId) v.push(["user_id", "is required"]);
      if (!/^[A-Z]{3}$/.test(req.amount?.currencyCode ?? "")) v.push(["amount.currency_code", "must be an ISO 4217 code, e.g. USD"]);
      const amount = req.amount?.amountMinor ?? 0n;
      if (amount <= 0n || amount > 100_000_000n) v.push(["amount.amount_minor", "must be greater than 0 and at most 100000000"]);
      if (!KEY.test(req.idempotencyKey)) v.push(["idempotency_key", "must be 1 to 64 letters, digits, - or _"]);
      const reason = req.reason.trim();
      if (!reason || reason.length > 200) v.push(["reason", "must be 1 to 200 characters"]);
      if (v.length) throw invalid(v);
      const currency = req.amount!.currencyCode;
      const fingerprint = JSON.stringify([req.userId, currency, String(amount), req.reason]);
      const seen = topUps.get(req.idempotencyKey);
      if (seen !== undefined) {
        if (seen !== fingerprint) throw withReason(Code.AlreadyExists, "IDEMPOTENCY_KEY_REUSED", "the idempotency key was used for another top-up");
        return wallet(req.userId, currency);
      }
      topUps.set(req.idempotencyKey, fingerprint);
      const a = accountById(req.userId);
      if (a && currency === "USD") a.walletMinor += amount;
      else otherWallets.set(`${req.userId}|${currency}`, balance(req.userId, currency) + amount);
      return wallet(req.userId, currency);
    },
  };

  // --- the warehouse ---------------------------------------------------------

  const shipment = (id: string): Shipment => {
    const s = [...deps.shipments.values()].find((s) => s.id === id);
    if (!s) throw withReason(Code.NotFound, "SHIPMENT_NOT_FOUND", `shipment ${id} not found`, { shipment_id: id });
    return s;
  };
  const refuse = (s: Shipment, wanted: string) =>
    withReason(Code.FailedPrecondition, "SHIPMENT_STATUS", `a ${ShipmentStatus[s.status]} shipment cannot be ${wanted}`, {
      status: ShipmentStatus[s.status].toLowerCase(),
    });

  const fulfilment: Partial<ServiceImpl<typeof FulfilmentService>> = {
    listShipments(req, ctx) {
      requireAdmin(ctx);
      const found = [...deps.shipments.values()].filter((s) => (!req.status || s.status === req.status) && (!req.userId || s.userId === req.userId));
      const { items, next } = pageOf(sortBy(found, (s) => time(s.createTime), false), req.pageSize, req.pageToken, [req.status, req.userId]);
      return { shipments: items, nextPageToken: next };
    },
    packShipment(req, ctx) {
      requireAdmin(ctx);
      const s = shipment(req.shipmentId);
      if (s.status === ShipmentStatus.PACKED) return s;
      if (s.status !== ShipmentStatus.PENDING) throw refuse(s, "packed");
      deps.moveShipment(s, ShipmentStatus.PACKED);
      return s;
    },
    shipShipment(req, ctx) {
      requireAdmin(ctx);
      const v: [string, string][] = [];
      const carrier = req.carrier.trim();
      const tracking = req.trackingNumber.trim();
      if (!carrier || carrier.length > 64) v.push(["carrier", "must be 1 to 64 characters"]);
      if (!/^[A-Za-z0-9 -]{1,64}$/.test(tracking)) v.push(["tracking_number", "must be 1 to 64 letters, digits, '-' or ' '"]);
      if (v.length) throw invalid(v);
      const s = shipment(req.shipmentId);
      if (s.status === ShipmentStatus.SHIPPED && s.carrier === carrier && s.trackingNumber === tracking) return s;
      if (s.status !== ShipmentStatus.PACKED) throw refuse(s, "shipped");
      deps.moveShipment(s, ShipmentStatus.SHIPPED, { carrier, trackingNumber: tracking });
      deps.onShipmentMoved(s);
      return s;
    },
    deliverShipment(req, ctx) {
      requireAdmin(ctx);
      const s = shipment(req.shipmentId);
      if (s.status === ShipmentStatus.DELIVERED) return s;
      if (s.status !== ShipmentStatus.SHIPPED) throw refuse(s, "delivered");
      deps.moveShipment(s, ShipmentStatus.DELIVERED);
      deps.onShipmentMoved(s);
      return s;
    },
  };

  // --- emails ----------------------------------------------------------------

  const sent: Notification[] = [];
  const notify = (user: User | undefined, userId: string, kind: NotificationKind, subject: string) => {
    const now = timestampNow();
    sent.push(
      create(NotificationSchema, {
        id: crypto.randomUUID(),
        userId,
        recipient: user?.email ?? "",
        kind,
        subject,
        state: NotificationState.SENT,
        attempts: 1,
        eventId: crypto.randomUUID(),
        createTime: now,
        sendTime: now,
      }),
    );
  };
  const emails: Record<number, [NotificationKind, string]> = {
    [OrderStatus.CONFIRMED]: [NotificationKind.ORDER_CONFIRMED, "Your order {n} is confirmed"],
    [OrderStatus.FAILED]: [NotificationKind.ORDER_FAILED, "We could not place your order"],
    [OrderStatus.CANCELLED]: [NotificationKind.ORDER_CANCELLED, "Your order {n} was cancelled"],
    [OrderStatus.SHIPPED]: [NotificationKind.ORDER_SHIPPED, "Your order {n} is on its way"],
    [OrderStatus.DELIVERED]: [NotificationKind.ORDER_DELIVERED, "Your order {n} was delivered"],
  };

  const notifications: Partial<ServiceImpl<typeof NotificationService>> = {
    listNotifications(req, ctx) {
      requireAdmin(ctx);
      const found = sent.filter((n) => (!req.userId || n.userId === req.userId) && (!req.state || n.state === req.state)).reverse();
      const { items, next } = pageOf(found, req.pageSize, req.pageToken, [req.userId, req.state]);
      return { notifications: items, nextPageToken: next };
    },
  };

  /** Every change of an order: its number, its emails (its stock follows in mock/stock.ts). */
  const onOrder = (order: Order) => {
    if (!order.number) order.number = newOrderNumber();
    const email = emails[order.status];
    if (email) notify(accountById(order.userId)?.user, order.userId, email[0], email[1].replace("{n}", order.number));
  };
  const onRegistered = (user: User) => notify(user, user.id, NotificationKind.WELCOME, "Welcome to the shop");

  return {
    catalog,
    auth,
    orders: ordersService,
    payments,
    fulfilment,
    notifications,
    inventory: inventory.service,
    onOrder,
    onRegistered,
  };
}
