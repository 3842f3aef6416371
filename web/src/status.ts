// Words for order states, failures, declines and payment methods.

import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { h } from "./dom";
import { DeclineCode } from "./gen/shop/common/v1/decline_code_pb";
import { PaymentMethodType, type PaymentMethodSummary } from "./gen/shop/common/v1/payment_method_pb";
import { FailureReason, OrderStatus, type Order } from "./gen/shop/orders/v1/orders_pb";

/** Stable name for tests and styling: "CONFIRMED", "FAILED", ... */
export function statusName(status: OrderStatus): string {
  return (OrderStatus[status] ?? "UNSPECIFIED").replace(/^ORDER_STATUS_/, "");
}

const labels: Record<OrderStatus, string> = {
  [OrderStatus.UNSPECIFIED]: "Unknown",
  [OrderStatus.PENDING]: "Placed, processing…",
  [OrderStatus.STOCK_RESERVED]: "Stock reserved, charging…",
  [OrderStatus.PAID]: "Paid, confirming…",
  [OrderStatus.CONFIRMED]: "Confirmed",
  [OrderStatus.COMPENSATING]: "Failed, undoing…",
  [OrderStatus.FAILED]: "Failed",
  [OrderStatus.CANCELLING]: "Cancelling…",
  [OrderStatus.CANCELLED]: "Cancelled",
  [OrderStatus.SHIPPED]: "Shipped",
  [OrderStatus.DELIVERED]: "Delivered",
};

export function statusLabel(status: OrderStatus): string {
  return labels[status] ?? "Unknown";
}

/** States that WatchOrder will still move on from (a confirmed order through shipping to delivery). */
export function isInProgress(status: OrderStatus): boolean {
  return [
    OrderStatus.PENDING,
    OrderStatus.STOCK_RESERVED,
    OrderStatus.PAID,
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
    OrderStatus.COMPENSATING,
    OrderStatus.CANCELLING,
  ].includes(status);
}

const notCancellable: Record<string, string> = {
  SHIPPED: "its parcel has already left the warehouse",
  DELIVERED: "it has already been delivered",
  CANCELLING: "it is already being cancelled",
  CANCELLED: "it is already cancelled",
  FAILED: "it failed, so there is nothing to cancel",
};

/**
 * Why CancelOrder refused (ORDER_NOT_CANCELLABLE), from the status the
 * server named in the error's metadata (with or without its enum prefix).
 * A confirmed order refused has a parcel that left before the order heard.
 */
export function notCancellableText(status: string | undefined): string {
  const name = (status ?? "").replace(/^(ORDER|SHIPMENT)_STATUS_/, "");
  const why = notCancellable[name] ?? (name === "CONFIRMED" ? notCancellable.SHIPPED : "it is still being placed");
  return `This order can no longer be cancelled: ${why}.`;
}

const declines: Record<DeclineCode, string> = {
  [DeclineCode.UNSPECIFIED]: "declined",
  [DeclineCode.GENERIC_DECLINE]: "declined by the card issuer",
  [DeclineCode.INSUFFICIENT_FUNDS]: "insufficient funds",
  [DeclineCode.EXPIRED_CARD]: "the card has expired",
  [DeclineCode.INCORRECT_CVC]: "incorrect security code (CVC)",
  [DeclineCode.INSUFFICIENT_WALLET_BALANCE]: "not enough store credit",
};

/** Why an order failed, as a sentence; "" if it did not. */
export function failureText(order: Pick<Order, "failureReason" | "declineCode" | "payment">): string {
  switch (order.failureReason) {
    case FailureReason.UNSPECIFIED:
      return "";
    case FailureReason.PAYMENT_DECLINED: {
      const why = declines[order.declineCode] ?? "declined";
      return order.payment?.method?.methodType === PaymentMethodType.WALLET ||
        order.declineCode === DeclineCode.INSUFFICIENT_WALLET_BALANCE
        ? `Your wallet payment was declined (${why}).`
        : `Your card was declined (${why}).`;
    }
    case FailureReason.OUT_OF_STOCK:
      return "Some products ran out of stock before the order could be placed. Nothing was charged.";
    case FailureReason.PRODUCT_UNAVAILABLE:
      return "A product changed or was removed while the order was being placed. Nothing was charged.";
    case FailureReason.RESERVATION_EXPIRED:
      return "Checkout took too long and the reserved stock was released. Nothing was charged.";
    case FailureReason.PAYMENT_INCOMPLETE:
      return "Checkout was interrupted before your card was charged. Nothing was charged; please order again.";
    case FailureReason.INTERNAL:
    default:
      return "Something went wrong while placing the order. Anything charged has been refunded.";
  }
}

export function paymentText(method: PaymentMethodSummary | undefined): string {
  if (!method) return "";
  if (method.methodType === PaymentMethodType.WALLET) return "Store credit (wallet)";
  if (method.methodType === PaymentMethodType.CARD) {
    const brand = method.cardBrand ? method.cardBrand[0].toUpperCase() + method.cardBrand.slice(1) : "Card";
    return `${brand} ending in ${method.cardLast4}`;
  }
  return "";
}

/** The status badge; `data-status` holds the stable name (e.g. "CONFIRMED"). */
export function statusBadge(status: OrderStatus): HTMLSpanElement {
  const name = statusName(status);
  return h("span", { class: `badge status-${name.toLowerCase()}`, "data-testid": "order-status", "data-status": name }, statusLabel(status));
}

const dates = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatTime(t: Timestamp | undefined): string {
  return t ? dates.format(timestampDate(t)) : "";
}
