// The mock's orders: what the contract added for shoppers. Order numbers
// ("SH-4KQ7-9MZ2", letters and digits that cannot be misread, unique in the
// mock), ListOrders' number filter (ignoring case) and hide_failed, the
// shortfalls of an order that failed OUT_OF_STOCK, and CreateOrder's refusal
// of a wallet payment the balance does not cover (FAILED_PRECONDITION,
// INSUFFICIENT_FUNDS, metadata balance_minor and total_minor; nothing placed).

import { Code } from "@connectrpc/connect";
import { OrderStatus, type ListOrdersRequest, type Order } from "../src/gen/shop/orders/v1/orders_pb";
import { withReason } from "./errors";

/** No 0/O, 1/I/L: nothing that reads as something else. */
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const used = new Set<string>();

/** A new order number, unique in the mock. */
export function newOrderNumber(): string {
  for (;;) {
    const pick = () => ALPHABET[crypto.getRandomValues(new Uint32Array(1))[0] % ALPHABET.length];
    const part = () => Array.from({ length: 4 }, pick).join("");
    const number = `SH-${part()}-${part()}`;
    if (!used.has(number)) {
      used.add(number);
      return number;
    }
  }
}

/** The caller's orders that ListOrders returns for `req`, newest first (before paging). */
export function listed(mine: Order[], req: Pick<ListOrdersRequest, "status" | "number" | "hideFailed">): Order[] {
  const number = req.number.trim().toUpperCase();
  return mine
    .filter((o) => !req.status || o.status === req.status)
    .filter((o) => !number || o.number.toUpperCase() === number)
    .filter((o) => !req.hideFailed || o.status !== OrderStatus.FAILED)
    .reverse();
}

/** The refusal of a wallet payment the balance does not cover. */
export function insufficientFunds(balanceMinor: bigint, totalMinor: bigint) {
  return withReason(Code.FailedPrecondition, "INSUFFICIENT_FUNDS", "the wallet's balance is below the order's total", {
    balance_minor: String(balanceMinor),
    total_minor: String(totalMinor),
  });
}
