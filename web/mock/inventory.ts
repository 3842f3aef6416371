// The back office's InventoryService in the mock, following
// proto/shop/catalog/v1/inventory.proto: GetStock, AdjustStock and
// ListReservations over the one stock model of mock/stock.ts (units
// available and reserved, reservations by order id), which the shop's
// availability and the orders share.

import { create } from "@bufbuild/protobuf";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { StockSchema, type InventoryService } from "../src/gen/shop/catalog/v1/inventory_pb";
import { invalid, withReason } from "./errors";
import { pageOf } from "./paging";
import { availabilityOf, level, reservations, setStock } from "./stock";

export interface InventoryDeps {
  exists(productId: string): boolean;
  /** Throws UNAUTHENTICATED / PERMISSION_DENIED unless the caller is an admin. */
  requireAdmin(ctx: HandlerContext): void;
}

export function inventoryMock(deps: InventoryDeps) {
  const known = (productId: string) => {
    if (!deps.exists(productId)) {
      throw withReason(Code.NotFound, "PRODUCT_NOT_FOUND", `product ${productId} not found`, { product_ids: productId });
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

  return { service, availability: availabilityOf, setInitial: setStock };
}
