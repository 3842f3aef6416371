// The mock gateway's stock, in memory, following proto/shop/catalog/v1/
// inventory.proto: units available and reserved per product, reservations
// keyed by order id, and Product.availability derived from them.
//
// Simplified: the orders mock does not ask for stock; the reservation is
// made when an order reaches STOCK_RESERVED (clamped to what is there rather
// than failing the order), committed at CONFIRMED and released when the
// order fails or is cancelled. Held reservations never expire here.

import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  AvailabilitySchema,
  AvailabilityStatus,
  type Availability,
} from "../src/gen/shop/catalog/v1/catalog_pb";
import {
  ReservationSchema,
  ReservationStatus,
  StockSchema,
  type InventoryService,
  type Reservation,
} from "../src/gen/shop/catalog/v1/inventory_pb";
import { OrderStatus, type Order } from "../src/gen/shop/orders/v1/orders_pb";
import { invalid, withReason } from "./errors";
import { pageOf } from "./paging";

/** At most this many units left shows as LOW_STOCK with the count. */
const LOW_STOCK = 5n;
export const DEMO_STOCK = 100n;

interface Level { available: bigint; reserved: bigint }

export interface InventoryDeps {
  exists(productId: string): boolean;
  /** Throws UNAUTHENTICATED / PERMISSION_DENIED unless the caller is an admin. */
  requireAdmin(ctx: HandlerContext): void;
}

export function inventoryMock(deps: InventoryDeps) {
  const levels = new Map<string, Level>();
  const reservations = new Map<string, Reservation>();

  const level = (productId: string): Level => {
    let l = levels.get(productId);
    if (!l) {
      l = { available: DEMO_STOCK, reserved: 0n };
      levels.set(productId, l);
    }
    return l;
  };

  const known = (productId: string) => {
    if (!deps.exists(productId)) {
      throw withReason(Code.NotFound, "PRODUCT_NOT_FOUND", `product ${productId} not found`, { product_ids: productId });
    }
  };

  const availability = (productId: string): Availability => {
    const { available } = level(productId);
    if (available <= 0n) return create(AvailabilitySchema, { status: AvailabilityStatus.OUT_OF_STOCK });
    if (available <= LOW_STOCK) return create(AvailabilitySchema, { status: AvailabilityStatus.LOW_STOCK, unitsLeft: available });
    return create(AvailabilitySchema, { status: AvailabilityStatus.IN_STOCK });
  };

  /** Follows an order's life: reserve, commit, release. */
  const onOrder = (order: Order) => {
    const existing = reservations.get(order.id);
    const now = timestampNow();
    if (order.status === OrderStatus.STOCK_RESERVED && !existing) {
      const lines = order.lines
        .map((l) => {
          const lv = level(l.productId);
          const quantity = l.quantity < lv.available ? l.quantity : lv.available;
          lv.available -= quantity;
          lv.reserved += quantity;
          return { productId: l.productId, quantity };
        })
        .filter((l) => l.quantity > 0n)
        .sort((a, b) => (a.productId < b.productId ? -1 : 1));
      const expire = timestampNow();
      expire.seconds += 900n;
      reservations.set(order.id, create(ReservationSchema, { id: order.id, lines, status: ReservationStatus.HELD, expireTime: expire, createTime: now, updateTime: now }));
      return;
    }
    if (!existing) return;
    if (order.status === OrderStatus.CONFIRMED && existing.status === ReservationStatus.HELD) {
      for (const l of existing.lines) level(l.productId).reserved -= l.quantity;
      Object.assign(existing, { status: ReservationStatus.COMMITTED, updateTime: now });
    }
    if ((order.status === OrderStatus.FAILED || order.status === OrderStatus.CANCELLED) && existing.status !== ReservationStatus.RELEASED) {
      for (const l of existing.lines) {
        const lv = level(l.productId);
        lv.available += l.quantity;
        if (existing.status === ReservationStatus.HELD) lv.reserved -= l.quantity;
      }
      Object.assign(existing, { status: ReservationStatus.RELEASED, updateTime: now });
    }
  };

  const stockOf = (productId: string) => {
    const l = level(productId);
    return create(StockSchema, { productId, available: l.available, reserved: l.reserved });
  };

  const service: Partial<ServiceImpl<typeof InventoryService>> = {
    getStock(req, ctx) {
      deps.requireAdmin(ctx);
      known(req.productId);
      return stockOf(req.productId);
    },
    adjustStock(req, ctx) {
      deps.requireAdmin(ctx);
      const v: [string, string][] = [];
      if (req.delta === 0n || req.delta > 1_000_000n || req.delta < -1_000_000n) v.push(["delta", "must not be zero, and at most 1000000 either way"]);
      const reason = req.reason.trim();
      if (!reason || reason.length > 200) v.push(["reason", "must be 1 to 200 characters"]);
      if (v.length) throw invalid(v);
      known(req.productId);
      const l = level(req.productId);
      if (l.available + req.delta < 0n) {
        throw withReason(Code.FailedPrecondition, "INSUFFICIENT_STOCK", `only ${l.available} units are available`, { product_id: req.productId });
      }
      l.available += req.delta;
      return stockOf(req.productId);
    },
    listReservations(req, ctx) {
      deps.requireAdmin(ctx);
      known(req.productId);
      const found = [...reservations.values()]
        .filter((r) => r.lines.some((l) => l.productId === req.productId) && (!req.status || r.status === req.status))
        .reverse();
      const { items, next } = pageOf(found, req.pageSize, req.pageToken, [req.productId, req.status]);
      return { reservations: items, nextPageToken: next };
    },
  };

  /** A new product's initial stock. */
  const setInitial = (productId: string, units: bigint) => levels.set(productId, { available: units, reserved: 0n });

  return { service, availability, onOrder, setInitial };
}
