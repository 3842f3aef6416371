// #/orders/<id>: one order. Until it is delivered (or failed, or cancelled)
// its status follows WatchOrder (a server stream over grpc-web),
// reconnecting from the last event seen if the connection drops. Once
// confirmed, the page shows the parcel's progress: the order's events bring
// SHIPPED and DELIVERED, and the shipment (GetShipment), read again on each
// event and every SHIPMENT_READ_MS until delivery, brings PACKED. A
// confirmed order can be cancelled until its parcel leaves.

import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { announce } from "../announce";
import { fulfilment, orders } from "../api";
import { h, link, loading, replace, title } from "../dom";
import { describe, isAbort } from "../errors";
import { busy, formError, problemBox, showProblem } from "../forms";
import type { Shipment } from "../gen/shop/fulfilment/v1/fulfilment_pb";
import { OrderStatus, type Order } from "../gen/shop/orders/v1/orders_pb";
import { formatMoney } from "../money";
import { toLogin, type Route } from "../router";
import { session } from "../session";
import { shippingPriceText } from "../shipping";
import { orderNumber, orderTitle } from "../numbers";
import { shortfallText } from "../shortfalls";
import { failureText, formatTime, isInProgress, notCancellableText, paymentText, statusBadge } from "../status";
import { awaitsDelivery, isCancellable, showsTracking } from "../tracking";
import { currentStep, progressView } from "./progress";

/** Errors that no reconnect will fix. */
const FINAL_CODES = [Code.Unauthenticated, Code.PermissionDenied, Code.NotFound, Code.InvalidArgument, Code.Unimplemented];
const MAX_RETRIES = 6;
/** How often the shipment is read while the parcel may move: PACKED has no order event. */
const SHIPMENT_READ_MS = 10_000;

function millis(o: Order): number {
  const t = o.updateTime;
  return t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : 0;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

export async function orderView(main: HTMLElement, route: Route): Promise<void> {
  const [id] = route.params;
  const { signal } = route;
  if (!session()) {
    toLogin(`/orders/${id}`);
    return;
  }
  // Named by its number once read (the id in the address means nothing to people).
  const heading = title("Order");
  const statusLine = h("div", { class: "status-line", role: "status", "aria-live": "polite" });
  const failure = h("div", { class: "error", "data-testid": "order-failure", hidden: true });
  const live = h("p", { class: "muted", "data-testid": "live-note" });
  const details = h("div", null, loading("Loading order…"));
  const progress = h("div");
  const cancelBox = h("div", { class: "cancel" });
  /** Why a cancel was refused; kept after the cancel button goes. */
  const refused = h("p", { class: "error", role: "alert", "data-testid": "cancel-refused", hidden: true });
  main.append(h("p", null, link("/orders", null, "← All orders")), heading, statusLine, failure, live, progress, details, refused, cancelBox);

  let current: Order;
  let lastSequence = 0n;
  let following = false;
  let shipment: Shipment | undefined;
  /** When the order was confirmed, from its CONFIRMED event. */
  let confirmTime: Timestamp | undefined;
  let readingShipment = false;
  let watchingShipment = false;
  let cancellable = false;
  let step = "";

  /** Redraws the progress, announcing a new step, and offers cancelling only while it can be done. */
  const drawProgress = () => {
    replace(progress, showsTracking(current.status) ? progressView(current, shipment, confirmTime) : null);
    const now = showsTracking(current.status) ? currentStep(current, shipment, confirmTime) : "";
    if (step && now && now !== step) announce(`Your order's delivery: ${now}.`);
    step = now;
    if (isCancellable(current.status, shipment) !== cancellable) renderCancel();
  };

  const show = (order: Order) => {
    current = order;
    if (heading.textContent !== orderTitle(order)) {
      // The number never breaks at its hyphens.
      replace(heading, "Order ", h("span", { class: "nowrap" }, orderNumber(order)));
      document.title = `${orderTitle(order)} · Shop`;
    }
    replace(statusLine, "Status: ", statusBadge(order.status));
    const why = failureText(order);
    replace(failure, why,
      order.shortfalls.length ? h("ul", { "data-testid": "shortfalls" }, order.shortfalls.map((f) => h("li", { "data-testid": "shortfall" }, `${shortfallText(f)}.`))) : null,
      order.status === OrderStatus.FAILED ? [" ", link(`/attempts/${encodeURIComponent(order.id)}`, null, "Why this checkout did not go through")] : null);
    failure.hidden = !why || (order.status !== OrderStatus.FAILED && order.status !== OrderStatus.COMPENSATING);
    replace(details, orderDetails(order));
    drawProgress();
  };

  /** Reads the shipment (none yet is NOT_FOUND: its event has not arrived); a failed read waits for the next. */
  const readShipment = async () => {
    if (readingShipment || !showsTracking(current.status)) return;
    readingShipment = true;
    try {
      shipment = await fulfilment.getShipment({ orderId: id }, { signal });
      drawProgress();
    } catch {
      // Not there yet, or not readable now: the next event or interval reads it again.
    } finally {
      readingShipment = false;
    }
  };

  /** Reads the shipment now and then while the parcel may still move, until it is delivered or the page is left. */
  const watchShipment = async () => {
    if (watchingShipment) return;
    watchingShipment = true;
    try {
      await readShipment();
      while (!signal.aborted && awaitsDelivery(current.status)) {
        await sleep(SHIPMENT_READ_MS, signal);
        await readShipment();
      }
    } finally {
      watchingShipment = false;
    }
  };

  /** Applies an update unless it is older than what is shown (a replayed event). */
  const update = (order: Order | undefined) => {
    if (order && millis(order) >= millis(current)) show(order);
  };

  const follow = async () => {
    if (following) return;
    following = true;
    let failures = 0;
    let quiet = 0;
    live.textContent = "Following live updates…";
    try {
      while (!signal.aborted && isInProgress(current.status)) {
        try {
          let news = 0;
          for await (const event of orders.watchOrder({ id, afterSequence: lastSequence }, { signal })) {
            lastSequence = event.sequence;
            failures = 0;
            news++;
            live.textContent = "Following live updates…";
            const before = current.status;
            update(event.order);
            if (event.status === OrderStatus.CONFIRMED) {
              confirmTime = event.createTime;
              drawProgress();
            }
            if (current.status !== before) {
              // News may come with the shipment moved too; once confirmed, it is read until delivery.
              void readShipment();
              if (awaitsDelivery(current.status)) void watchShipment();
            }
          }
          // The stream ends (OK) once the order reached a final state. If it
          // ended with nothing new (e.g. a cancel started meanwhile, or a
          // server that still ends at CONFIRMED), re-read the order and
          // watch again after a pause that grows while nothing happens.
          if (isInProgress(current.status) && news === 0) {
            update(await orders.getOrder({ id }, { signal }));
            await sleep(Math.min(1000 * 2 ** quiet++, 30_000), signal);
          } else {
            quiet = 0;
          }
        } catch (err) {
          if (isAbort(err) || signal.aborted) return;
          const problem = describe(err);
          if (FINAL_CODES.includes(problem.code) || ++failures > MAX_RETRIES) {
            problem.message = `Live updates stopped: ${problem.message}`;
            live.replaceChildren(problemBox(problem));
            return;
          }
          live.textContent = `Connection lost, reconnecting… (${problem.message})`;
          await sleep(Math.min(1000 * 2 ** (failures - 1), 15000), signal);
        }
      }
      live.textContent = "";
    } finally {
      following = false;
    }
  };

  const renderCancel = () => {
    cancelBox.replaceChildren();
    cancellable = isCancellable(current.status, shipment);
    if (!cancellable) return;
    const errorBox = formError();
    const reason = h("input", { id: "cancel-reason", maxlength: 200, "data-testid": "cancel-reason" });
    const confirm = h("button", { type: "button", class: "danger", "data-testid": "confirm-cancel" }, "Yes, cancel order");
    const keep = h("button", { type: "button", class: "secondary" }, "Keep order");
    const ask = h("div", { class: "stack", hidden: true },
      h("p", null, "Cancel this order? Your payment will be refunded."),
      h("div", { class: "field" }, h("label", { for: "cancel-reason" }, "Reason ", h("span", { class: "muted" }, "(optional)")), reason),
      h("div", { class: "row" }, confirm, keep),
    );
    const start = h("button", { type: "button", class: "secondary", "data-testid": "cancel-order" }, "Cancel order");
    start.addEventListener("click", () => {
      start.hidden = true;
      ask.hidden = false;
      confirm.focus();
    });
    keep.addEventListener("click", () => {
      ask.hidden = true;
      start.hidden = false;
      start.focus();
    });
    confirm.addEventListener("click", () =>
      void busy(confirm, "Cancelling…", async () => {
        try {
          update(await orders.cancelOrder({ id, reason: reason.value.trim() }, { signal }));
          if (isInProgress(current.status)) void follow();
        } catch (err) {
          if (isAbort(err)) return;
          const problem = describe(err);
          if (problem.reason !== "ORDER_NOT_CANCELLABLE") {
            showProblem(ask, errorBox, problem);
            return;
          }
          // It changed meanwhile (shipped, or cancelled in another tab): say
          // why where it stays visible once the cancel button goes.
          refused.textContent = notCancellableText(problem.metadata.status);
          refused.hidden = false;
          orders.getOrder({ id }, { signal }).then(update, () => {});
          void readShipment();
        }
      }),
    );
    cancelBox.append(h("h2", null, "Changed your mind?"), errorBox, start, ask);
  };

  try {
    show(await orders.getOrder({ id }, { signal }));
  } catch (err) {
    if (isAbort(err)) return;
    const problem = describe(err, {
      [Code.NotFound]: "We could not find this order. It may belong to another account.",
      [Code.InvalidArgument]: "This is not a valid order link.",
    });
    replace(details, problemBox(problem));
    return;
  }
  if (isInProgress(current!.status)) void follow();
  if (showsTracking(current!.status)) void watchShipment();
}

function orderDetails(o: Order): HTMLElement {
  const a = o.shippingAddress;
  return h("div", { class: "order-details" },
    h("dl", { class: "facts" },
      h("dt", null, "Order number"), h("dd", { "data-testid": "order-number" }, orderNumber(o)),
      h("dt", null, "Reference"), h("dd", { class: "muted", "data-testid": "order-id" }, o.id),
      h("dt", null, "Placed"), h("dd", null, formatTime(o.createTime)),
      h("dt", null, "Last update"), h("dd", null, formatTime(o.updateTime)),
      h("dt", null, "Payment"), h("dd", null, paymentText(o.payment?.method)),
      o.cancelReason ? [h("dt", null, "Cancel reason"), h("dd", null, o.cancelReason)] : null,
    ),
    h("h2", null, "Items"),
    h("ul", { class: "lines compact" }, o.lines.map((l) =>
      h("li", null,
        h("span", { class: "grow" }, `${l.quantity} × `, link(`/product/${l.productId}`, null, l.productName),
          h("span", { class: "muted" }, ` at ${formatMoney(l.unitPrice)}`)),
        h("span", { class: "amount" }, formatMoney(l.lineTotal)),
      ),
    )),
    h("dl", { class: "sums" },
      o.subtotal ? [
        h("dt", null, "Subtotal"),
        h("dd", { "data-testid": "order-subtotal", "data-amount-minor": String(o.subtotal.amountMinor) }, formatMoney(o.subtotal)),
      ] : null,
      o.shipping ? [
        h("dt", null, "Shipping"),
        h("dd", { "data-testid": "order-shipping", "data-amount-minor": String(o.shipping.price?.amountMinor ?? 0n) },
          `${o.shipping.name}: ${shippingPriceText(o.shipping.price)}`),
      ] : null,
      h("dt", { class: "total" }, "Total"),
      h("dd", { class: "total" }, h("strong", { "data-testid": "order-total", "data-amount-minor": o.total ? String(o.total.amountMinor) : null }, formatMoney(o.total))),
    ),
    a ? [
      h("h2", null, "Shipping to"),
      h("address", null, [a.recipient, a.line1, a.line2, `${a.city}${a.region ? `, ${a.region}` : ""} ${a.postalCode}`, a.countryCode]
        .filter(Boolean).flatMap((line, i) => (i ? [h("br"), line] : [line]))),
    ] : null,
  );
}
