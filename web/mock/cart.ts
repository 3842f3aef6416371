// The mock gateway's CartService, in memory, following the contract in
// proto/shop/cart/v1/cart.proto: etags, request ids (a repeated write is
// applied once), the limits (50 lines, 1 to 99 per line, refused and never
// clamped), anonymous carts addressed by their id, merging at sign-in, and
// CheckoutCart through the mock's own orders. The ordered lines leave the
// cart when the order confirms; an order that fails moves the cart to a new
// version. Carts do not expire here (expire_time is only reported).

import { create } from "@bufbuild/protobuf";
import { timestampNow, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { CartSchema, type Cart, type CartService } from "../src/gen/shop/cart/v1/cart_pb";
import type { Product } from "../src/gen/shop/catalog/v1/catalog_pb";
import { CreateOrderRequestSchema, OrderStatus, type CreateOrderRequest, type Order } from "../src/gen/shop/orders/v1/orders_pb";
import { invalid, withReason } from "./errors";

/** What the cart needs from the rest of the mock. */
export interface CartDeps<Account> {
  product(id: string): Product | undefined;
  /** The signed-in user's id, or null without a token; throws for a bad token. */
  callerIfAny(ctx: HandlerContext): string | null;
  /** The signed-in customer; throws UNAUTHENTICATED without one. */
  caller(ctx: HandlerContext): Account & { user: { id: string } };
  placeOrder(account: Account, req: CreateOrderRequest): Order;
  onOrderChange(listen: (order: Order) => void): void;
}

const MAX_LINES = 50;
const MAX_QUANTITY = 99;
const IDLE_EXPIRY_SECONDS = 30n * 24n * 3600n;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Money = { currencyCode: string; amountMinor: bigint };

interface Line {
  productId: string;
  /** The name as last seen, shown if the catalog deletes the product. */
  productName: string;
  quantity: number;
  /** The unit price when the customer last changed the line. */
  seen: Money;
}

interface StoredCart {
  id: string;
  /** "" for an anonymous cart. */
  userId: string;
  lines: Line[];
  version: number;
  updateTime: Timestamp;
  /** The order placed from each version that was checked out. */
  checkouts: Map<number, Order>;
}

/** Whose cart a call is about, and the scope its request ids live in. */
interface Target {
  userId: string;
  cart: StoredCart | undefined;
  scope: string;
}

const etagOf = (c: StoredCart) => `v${c.version}`;
const versionOf = (etag: string) => (/^v\d+$/.test(etag) ? Number(etag.slice(1)) : -1);

function cartNotFound() {
  return withReason(Code.NotFound, "CART_NOT_FOUND", "cart not found");
}

export function cartService<Account>(deps: CartDeps<Account>): ServiceImpl<typeof CartService> {
  const carts = new Map<string, StoredCart>();
  /** Writes applied, by scope and request id: a fingerprint of what they asked, and their cart. */
  const requests = new Map<string, { fingerprint: string; cartId: string }>();
  /** Orders placed by CheckoutCart and not settled yet: what they ordered from which cart. */
  const placed = new Map<string, { cartId: string; lines: { productId: string; quantity: number }[] }>();

  const customerCart = (userId: string) => [...carts.values()].find((c) => c.userId === userId);

  const message = (c: StoredCart | undefined): Cart => {
    if (!c) return create(CartSchema);
    return create(CartSchema, {
      id: c.id,
      userId: c.userId,
      etag: etagOf(c),
      updateTime: c.updateTime,
      expireTime: { seconds: c.updateTime.seconds + IDLE_EXPIRY_SECONDS, nanos: c.updateTime.nanos },
      lines: c.lines.map((l) => {
        const p = deps.product(l.productId);
        const unit = p?.price ?? l.seen;
        const changed = !!p && (unit.amountMinor !== l.seen.amountMinor || unit.currencyCode !== l.seen.currencyCode);
        return {
          productId: l.productId,
          productName: p?.name ?? l.productName,
          quantity: l.quantity,
          unitPrice: unit,
          priceChanged: changed,
          previousUnitPrice: changed ? l.seen : undefined,
          unavailable: !p,
        };
      }),
    });
  };

  const bump = (c: StoredCart) => {
    c.version++;
    c.updateTime = timestampNow();
  };

  const target = (ctx: HandlerContext, cartId: string): Target => {
    if (cartId && !UUID.test(cartId)) throw invalid([["cart_id", "must be a UUID"]]);
    const userId = deps.callerIfAny(ctx);
    if (userId) {
      const cart = customerCart(userId);
      if (cartId && cart?.id !== cartId) throw cartNotFound();
      return { userId, cart, scope: `user:${userId}` };
    }
    if (!cartId) return { userId: "", cart: undefined, scope: "new" };
    const cart = carts.get(cartId);
    // A customer's cart is never reachable by its id alone.
    if (!cart || cart.userId) throw cartNotFound();
    return { userId: "", cart, scope: `cart:${cartId}` };
  };

  /**
   * Applies one write: `violations` are the request's own field problems;
   * `change` edits a copy of the lines (throwing to refuse). A request id
   * seen before with the same content answers the cart as it is now.
   */
  const write = (
    ctx: HandlerContext,
    r: { $typeName: string; cartId: string; etag: string; requestId: string },
    violations: [string, string][],
    change: (lines: Line[]) => Line[],
  ): Cart => {
    const t = target(ctx, r.cartId);
    const v: [string, string][] = [];
    if (!REQUEST_ID.test(r.requestId)) v.push(["request_id", "must be 1 to 64 letters, digits, - or _"]);
    else if (!t.userId && !t.cart && !UUID.test(r.requestId)) v.push(["request_id", "must be a UUID when it creates an anonymous cart"]);
    v.push(...violations);
    if (v.length) throw invalid(v);

    const key = `${t.scope}/${r.requestId}`;
    // The request's type and content, less the etag (a retry's may be stale by then).
    const fingerprint = JSON.stringify({ ...r, etag: undefined });
    const before = requests.get(key);
    if (before) {
      if (before.fingerprint !== fingerprint) throw invalid([["request_id", "was already used for another change"]]);
      return message(carts.get(before.cartId));
    }
    if (r.etag !== (t.cart ? etagOf(t.cart) : "")) {
      throw withReason(Code.Aborted, "ETAG_MISMATCH", "the cart changed since it was read: read it again");
    }
    const cart = t.cart ?? { id: crypto.randomUUID(), userId: t.userId, lines: [], version: 0, updateTime: timestampNow(), checkouts: new Map() };
    cart.lines = change(cart.lines.map((l) => ({ ...l })));
    bump(cart);
    carts.set(cart.id, cart);
    requests.set(key, { fingerprint, cartId: cart.id });
    return message(cart);
  };

  const quantityViolations = (quantity: number): [string, string][] =>
    quantity >= 1 && quantity <= MAX_QUANTITY ? [] : [["quantity", `must be between 1 and ${MAX_QUANTITY}`]];
  const productViolations = (id: string): [string, string][] => (UUID.test(id) ? [] : [["product_id", "must be a UUID"]]);
  const lineOf = (lines: Line[], productId: string) => {
    const line = lines.find((l) => l.productId === productId);
    if (!line) throw withReason(Code.NotFound, "LINE_NOT_FOUND", "the cart has no line for this product", { product_id: productId });
    return line;
  };
  /** Changing a line acknowledges its price: it is the price seen from now on. */
  const acknowledge = (line: Line, p: Product | undefined) => {
    if (!p?.price) return;
    line.seen = { currencyCode: p.price.currencyCode, amountMinor: p.price.amountMinor };
    line.productName = p.name;
  };

  /** An order placed from a cart settled: confirmed takes its lines out, a failure only moves the version. */
  const settle = (order: Order) => {
    const from = placed.get(order.id);
    const cart = from && carts.get(from.cartId);
    if (!from || !cart) return;
    if (order.status === OrderStatus.CONFIRMED) {
      for (const ordered of from.lines) {
        const line = cart.lines.find((l) => l.productId === ordered.productId);
        // A line the customer added to meanwhile keeps the difference.
        if (line) line.quantity -= ordered.quantity;
      }
      cart.lines = cart.lines.filter((l) => l.quantity > 0);
    } else if (order.status !== OrderStatus.FAILED && order.status !== OrderStatus.CANCELLED) {
      return;
    }
    placed.delete(order.id);
    bump(cart);
  };
  deps.onOrderChange(settle);

  return {
    getCart(req, ctx) {
      return message(target(ctx, req.cartId).cart);
    },
    addItem(req, ctx) {
      return write(ctx, req, [...productViolations(req.productId), ...quantityViolations(req.quantity)], (lines) => {
        const p = deps.product(req.productId);
        if (!p) throw withReason(Code.NotFound, "PRODUCT_NOT_FOUND", "no such product for sale", { product_id: req.productId });
        const line = lines.find((l) => l.productId === req.productId);
        if (line) {
          const total = line.quantity + req.quantity;
          if (total > MAX_QUANTITY) throw invalid([["quantity", `the line would hold ${total}; a line holds at most ${MAX_QUANTITY}`]]);
          line.quantity = total;
          acknowledge(line, p);
          return lines;
        }
        if (lines.length >= MAX_LINES) throw invalid([["product_id", `the cart already holds ${MAX_LINES} lines, the most it may hold`]]);
        const added: Line = { productId: p.id, productName: p.name, quantity: req.quantity, seen: { currencyCode: "", amountMinor: 0n } };
        acknowledge(added, p);
        return [...lines, added];
      });
    },
    setQuantity(req, ctx) {
      return write(ctx, req, [...productViolations(req.productId), ...quantityViolations(req.quantity)], (lines) => {
        const line = lineOf(lines, req.productId);
        line.quantity = req.quantity;
        acknowledge(line, deps.product(req.productId));
        return lines;
      });
    },
    removeItem(req, ctx) {
      return write(ctx, req, productViolations(req.productId), (lines) => {
        lineOf(lines, req.productId);
        return lines.filter((l) => l.productId !== req.productId);
      });
    },
    clearCart(req, ctx) {
      return write(ctx, req, [], () => []);
    },
    mergeCart(req, ctx) {
      const userId = deps.caller(ctx).user.id;
      if (!UUID.test(req.anonymousCartId)) throw invalid([["anonymous_cart_id", "must be a UUID"]]);
      const from = carts.get(req.anonymousCartId);
      let mine = customerCart(userId);
      const capped: string[] = [];
      const dropped: string[] = [];
      if (from && !from.userId) {
        carts.delete(from.id);
        if (from.lines.length) {
          mine ??= { id: crypto.randomUUID(), userId, lines: [], version: 0, updateTime: timestampNow(), checkouts: new Map() };
          for (const l of from.lines) {
            const same = mine.lines.find((m) => m.productId === l.productId);
            if (same) {
              same.quantity += l.quantity;
              if (same.quantity > MAX_QUANTITY) {
                same.quantity = MAX_QUANTITY;
                capped.push(l.productId);
              }
            } else if (mine.lines.length >= MAX_LINES) {
              dropped.push(l.productId);
            } else {
              mine.lines.push({ ...l });
            }
          }
          bump(mine);
          carts.set(mine.id, mine);
        }
      }
      return { cart: message(mine), cappedProductIds: capped, droppedProductIds: dropped };
    },
    checkoutCart(req, ctx) {
      const account = deps.caller(ctx);
      const { cart } = target(ctx, req.cartId);
      if (!req.etag) throw invalid([["etag", "is required: the etag of the cart as the customer reviewed it"]]);
      // One order per cart version: a retry at a version already checked out gets its order.
      const earlier = cart?.checkouts.get(versionOf(req.etag));
      if (earlier) return { order: earlier };
      if (!cart || req.etag !== etagOf(cart)) {
        throw withReason(Code.Aborted, "ETAG_MISMATCH", "the cart changed since it was reviewed: read it again");
      }
      if (!cart.lines.length) throw withReason(Code.FailedPrecondition, "CART_EMPTY", "the cart is empty");
      const gone = cart.lines.filter((l) => !deps.product(l.productId)).map((l) => l.productId);
      if (gone.length) {
        throw withReason(Code.FailedPrecondition, "CART_LINES_UNAVAILABLE", "some products can no longer be bought", { product_ids: gone.join(",") });
      }
      const order = deps.placeOrder(account, create(CreateOrderRequestSchema, {
        requestId: `cart-${cart.id}-${cart.version}`,
        lines: cart.lines.map((l) => ({ productId: l.productId, quantity: BigInt(l.quantity) })),
        paymentMethod: req.paymentMethod,
        shippingAddress: req.shippingAddress,
        shippingQuoteId: req.shippingQuoteId,
        shippingOption: req.shippingOption,
      }));
      cart.checkouts.set(cart.version, order);
      placed.set(order.id, { cartId: cart.id, lines: cart.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) });
      // A decline has already failed the order; later outcomes arrive through onOrderChange.
      settle(order);
      return { order };
    },
  };
}
