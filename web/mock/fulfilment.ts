// The mock gateway's FulfilmentService, in memory: shipping quotes and the
// shipments of confirmed orders, following proto/shop/fulfilment/v1.
//
// The shipping rules are an APPROXIMATION of the real service's, close
// enough to work on the storefront: the destination's zone (the US;
// the EU, the UK and Canada; anywhere else is not served), "standard" and
// "express" priced per unit (the mock's catalog has no weights, so every
// unit counts as DEFAULT_UNIT_GRAMS), free standard shipping within the US
// from FREE_STANDARD_FROM, and estimates in calendar days from the quote.
// Quotes last QUOTE_TTL_MS (env MOCK_QUOTE_TTL_MS, to try expiry quickly).
//
// Shipments move on by themselves like the real demo mode (which waits 20 s
// a step): PENDING -> PACKED -> SHIPPED (carrier "Demo Post", a DEMO-
// tracking number) -> DELIVERED, one step every STEP_MS (env
// MOCK_SHIPMENT_STEP_MS), telling the orders of SHIPPED and DELIVERED.
// MOCK_SHIPMENT_STEP_MS=0 leaves every step to the back office (mock/admin.ts).

import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Product } from "../src/gen/shop/catalog/v1/catalog_pb";
import type { Address } from "../src/gen/shop/common/v1/address_pb";
import {
  ShipmentSchema,
  ShipmentStatus,
  ShippingOptionSchema,
  ShippingQuoteSchema,
  type FulfilmentService,
  type Shipment,
  type ShippingLine,
  type ShippingOption,
  type ShippingQuote,
} from "../src/gen/shop/fulfilment/v1/fulfilment_pb";
import type { Order } from "../src/gen/shop/orders/v1/orders_pb";
import { invalid, withReason } from "./errors";

const QUOTE_TTL_MS = Number(process.env.MOCK_QUOTE_TTL_MS ?? 15 * 60_000);
const STEP_MS = Number(process.env.MOCK_SHIPMENT_STEP_MS ?? 6000);
const DEFAULT_UNIT_GRAMS = 500n;
const CURRENCY = "USD";
const FREE_STANDARD_FROM = 5000n;
const CARRIER = "Demo Post";

type Zone = "domestic" | "international";

const EUROPE_AND_CANADA = new Set(
  "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB CA".split(" "),
);

function zoneOf(country: string): Zone | null {
  if (country === "US") return "domestic";
  return EUROPE_AND_CANADA.has(country) ? "international" : null;
}

interface Rule {
  code: string;
  name: string;
  /** Minor units for the first unit, then for each further unit. */
  first: bigint;
  each: bigint;
  days: [number, number];
}

const RULES: Record<Zone, Rule[]> = {
  domestic: [
    { code: "standard", name: "Standard (3-5 days)", first: 499n, each: 50n, days: [3, 5] },
    { code: "express", name: "Express (1-2 days)", first: 1499n, each: 100n, days: [1, 2] },
  ],
  international: [
    { code: "standard", name: "Standard (6-10 days)", first: 1499n, each: 150n, days: [6, 10] },
    { code: "express", name: "Express (2-4 days)", first: 3499n, each: 300n, days: [2, 4] },
  ],
};

interface StoredQuote {
  quote: ShippingQuote;
  userId: string;
  /** The lines and the address it was made for, in a comparable form. */
  fingerprint: string;
}

/** What the fulfilment mock needs from the rest of the mock. */
export interface FulfilmentDeps {
  product(id: string): Product | undefined;
  /** The signed-in user's id; throws UNAUTHENTICATED without one. */
  callerId(ctx: HandlerContext): string;
  /** The order of `orderId` if it is the caller's, else throws NOT_FOUND. */
  ownOrder(ctx: HandlerContext, orderId: string): Order;
  /** The parcel was handed to the carrier, or delivered. */
  onShipmentMoved(shipment: Shipment): void;
}

function addressFingerprint(a: Address | undefined) {
  return [a?.recipient, a?.line1, a?.line2, a?.city, a?.region, a?.postalCode, a?.countryCode].map((s) => (s ?? "").trim());
}

/** Lines and address as compared by the quote check: the lines in any order. */
function fingerprint(lines: readonly { productId: string; quantity: bigint }[], address: Address | undefined): string {
  const sorted = lines.map((l) => `${l.productId}x${l.quantity}`).sort();
  return JSON.stringify([sorted, addressFingerprint(address)]);
}

export function addressViolations(a: Address | undefined, prefix: string): [string, string][] {
  const v: [string, string][] = [];
  const required: [string, string, number][] = [["recipient", a?.recipient ?? "", 100], ["line1", a?.line1 ?? "", 200], ["city", a?.city ?? "", 100], ["postal_code", a?.postalCode ?? "", 20]];
  for (const [name, value, max] of required) {
    if (!value.trim()) v.push([`${prefix}.${name}`, "must not be empty"]);
    else if (value.trim().length > max) v.push([`${prefix}.${name}`, `must be at most ${max} characters`]);
  }
  if (!/^[A-Z]{2}$/.test(a?.countryCode ?? "")) v.push([`${prefix}.country_code`, "must be an ISO 3166-1 alpha-2 code in upper case, e.g. US"]);
  return v;
}


function daysFrom(now: Date, days: number) {
  return timestampFromDate(new Date(now.getTime() + days * 86_400_000));
}

export function fulfilmentMock(deps: FulfilmentDeps) {
  const quotes = new Map<string, StoredQuote>();
  const shipments = new Map<string, Shipment>(); // by order id

  const quote = (userId: string, address: Address | undefined, lines: ShippingLine[]): ShippingQuote => {
    const v = addressViolations(address, "address");
    if (!lines.length || lines.length > 50) v.push(["lines", "must have 1 to 50 lines"]);
    lines.forEach((l, i) => {
      if (l.quantity < 1n || l.quantity > 1000n) v.push([`lines[${i}].quantity`, "must be between 1 and 1000"]);
    });
    if (v.length) throw invalid(v);
    const missing = lines.filter((l) => !deps.product(l.productId)).map((l) => l.productId);
    if (missing.length) throw withReason(Code.NotFound, "PRODUCT_NOT_FOUND", "products not found", { product_ids: missing.join(",") });
    const prices = lines.map((l) => deps.product(l.productId)!.price!);
    if (prices.some((p) => p.currencyCode !== CURRENCY)) {
      throw withReason(Code.FailedPrecondition, "CURRENCY_MISMATCH", `shipping is priced in ${CURRENCY} only`);
    }
    const country = address!.countryCode;
    const zone = zoneOf(country);
    if (!zone) throw withReason(Code.FailedPrecondition, "DESTINATION_NOT_SERVED", `no shipping to ${country}`, { country_code: country });

    const units = lines.reduce((n, l) => n + l.quantity, 0n);
    const value = lines.reduce((s, l, i) => s + prices[i].amountMinor * l.quantity, 0n);
    const now = new Date();
    const options = RULES[zone].map((r) => {
      const free = r.code === "standard" && zone === "domestic" && value >= FREE_STANDARD_FROM;
      return create(ShippingOptionSchema, {
        code: r.code,
        name: r.name,
        price: { currencyCode: CURRENCY, amountMinor: free ? 0n : r.first + r.each * (units - 1n) },
        earliestDeliveryTime: daysFrom(now, r.days[0]),
        latestDeliveryTime: daysFrom(now, r.days[1]),
      });
    });
    const made = create(ShippingQuoteSchema, {
      id: crypto.randomUUID(),
      options,
      expireTime: timestampFromDate(new Date(now.getTime() + QUOTE_TTL_MS)),
      weightGrams: units * DEFAULT_UNIT_GRAMS,
    });
    quotes.set(made.id, { quote: made, userId, fingerprint: fingerprint(lines, address) });
    return made;
  };

  /** What CheckShippingQuote answers: the chosen option, or the contract's refusals. */
  const check = (
    userId: string,
    quoteId: string,
    optionCode: string,
    address: Address | undefined,
    lines: readonly { productId: string; quantity: bigint }[],
  ): ShippingOption => {
    const stored = quotes.get(quoteId);
    if (!stored || stored.userId !== userId) {
      throw withReason(Code.NotFound, "SHIPPING_QUOTE_NOT_FOUND", `shipping quote ${quoteId} not found`, { quote_id: quoteId });
    }
    if (timestampDate(stored.quote.expireTime!).getTime() <= Date.now()) {
      throw withReason(Code.FailedPrecondition, "SHIPPING_QUOTE_EXPIRED", "the shipping quote has expired: get a new one", { quote_id: quoteId });
    }
    if (stored.fingerprint !== fingerprint(lines, address)) {
      throw withReason(Code.FailedPrecondition, "SHIPPING_QUOTE_MISMATCH", "the shipping quote was made for other lines or another address", { quote_id: quoteId });
    }
    const option = stored.quote.options.find((o) => o.code === optionCode);
    if (!option) {
      throw withReason(Code.FailedPrecondition, "SHIPPING_OPTION_UNKNOWN", `the quote has no option "${optionCode}"`, { quote_id: quoteId, option_code: optionCode });
    }
    return option;
  };

  const move = (s: Shipment, status: ShipmentStatus, changes: Partial<Shipment> = {}) => {
    const now = timestampNow();
    Object.assign(s, changes, { status, updateTime: now });
    if (status === ShipmentStatus.PACKED) s.packTime = now;
    if (status === ShipmentStatus.SHIPPED) s.shipTime = now;
    if (status === ShipmentStatus.DELIVERED) s.deliverTime = now;
    if (status === ShipmentStatus.CANCELLED) s.cancelTime = now;
  };

  /** A confirmed order's shipment, which then moves on by itself unless cancelled. */
  const ship = (order: Order) => {
    if (shipments.has(order.id)) return;
    const s = create(ShipmentSchema, {
      id: crypto.randomUUID(),
      orderId: order.id,
      userId: order.userId,
      status: ShipmentStatus.PENDING,
      lines: order.lines.map((l) => ({ productId: l.productId, productName: l.productName, quantity: l.quantity })),
      address: order.shippingAddress,
      createTime: timestampNow(),
      updateTime: timestampNow(),
    });
    shipments.set(order.id, s);
    const next: [ShipmentStatus, ShipmentStatus, Partial<Shipment>][] = [
      [ShipmentStatus.PENDING, ShipmentStatus.PACKED, {}],
      [ShipmentStatus.PACKED, ShipmentStatus.SHIPPED, { carrier: CARRIER, trackingNumber: `DEMO-${crypto.randomUUID().slice(0, 8).toUpperCase()}` }],
      [ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED, {}],
    ];
    const step = () => {
      const found = next.find(([from]) => from === s.status);
      if (!found) return;
      move(s, found[1], found[2]);
      if (s.status === ShipmentStatus.SHIPPED || s.status === ShipmentStatus.DELIVERED) deps.onShipmentMoved(s);
      if (s.status !== ShipmentStatus.DELIVERED) setTimeout(step, STEP_MS);
    };
    if (STEP_MS > 0) setTimeout(step, STEP_MS);
  };

  /**
   * CancelShipment for the orders mock: false if the parcel has left (the
   * order can no longer be cancelled). An order without a shipment yet has
   * none to cancel here.
   */
  const cancel = (orderId: string, reason: string): boolean => {
    const s = shipments.get(orderId);
    if (!s || s.status === ShipmentStatus.CANCELLED) return true;
    if (s.status === ShipmentStatus.SHIPPED || s.status === ShipmentStatus.DELIVERED) return false;
    move(s, ShipmentStatus.CANCELLED, { cancelReason: reason });
    return true;
  };

  const service: Partial<ServiceImpl<typeof FulfilmentService>> = {
    getShippingQuote(req, ctx) {
      return quote(deps.callerId(ctx), req.address, req.lines);
    },
    getShipment(req, ctx) {
      deps.ownOrder(ctx, req.orderId);
      const s = shipments.get(req.orderId);
      if (!s) throw withReason(Code.NotFound, "SHIPMENT_NOT_FOUND", `no shipment for order ${req.orderId} yet`, { order_id: req.orderId });
      return s;
    },
  };

  return { service, check, ship, cancel, shipments, move };
}
