// #/orders/<id>: one order. While it is in progress its status follows
// WatchOrder (a server stream over grpc-web), reconnecting from the last
// event seen if the connection drops. Confirmed orders can be cancelled.

import { Code } from "@connectrpc/connect";
import { orders } from "../api";
import { h, link, loading, replace, title } from "../dom";
import { describe, isAbort } from "../errors";
import { busy, formError, problemBox, showProblem } from "../forms";
import { OrderStatus, type Order } from "../gen/shop/orders/v1/orders_pb";
import { formatMoney } from "../money";
import { toLogin, type Route } from "../router";
import { session } from "../session";
import { failureText, formatTime, isInProgress, paymentText, shortId, statusBadge } from "../status";

/** Errors that no reconnect will fix. */
const FINAL_CODES = [Code.Unauthenticated, Code.PermissionDenied, Code.NotFound, Code.InvalidArgument, Code.Unimplemented];
const MAX_RETRIES = 6;

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
  const heading = title(`Order ${shortId(id)}`);
  const statusLine = h("div", { class: "status-line", role: "status", "aria-live": "polite" });
  const failure = h("p", { class: "error", "data-testid": "order-failure", hidden: true });
  const live = h("p", { class: "muted", "data-testid": "live-note" });
  const details = h("div", null, loading("Loading order…"));
  const cancelBox = h("div", { class: "cancel" });
  main.append(h("p", null, link("/orders", null, "← All orders")), heading, statusLine, failure, live, details, cancelBox);

  let current: Order;
  let lastSequence = 0n;
  let following = false;

  const show = (order: Order) => {
    const statusChanged = !current || current.status !== order.status;
    current = order;
    replace(statusLine, "Status: ", statusBadge(order.status));
    const why = failureText(order);
    failure.textContent = why;
    failure.hidden = !why || (order.status !== OrderStatus.FAILED && order.status !== OrderStatus.COMPENSATING);
    replace(details, orderDetails(order));
    if (statusChanged) renderCancel();
  };

  /** Applies an update unless it is older than what is shown (a replayed event). */
  const update = (order: Order | undefined) => {
    if (order && millis(order) >= millis(current)) show(order);
  };

  const follow = async () => {
    if (following) return;
    following = true;
    let failures = 0;
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
            update(event.order);
          }
          // The stream ends (OK) once the order reached a final state. If it
          // ended with nothing new (e.g. a cancel started meanwhile), re-read
          // the order and watch again after a pause.
          if (isInProgress(current.status) && news === 0) {
            update(await orders.getOrder({ id }, { signal }));
            await sleep(1000, signal);
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
    if (current.status !== OrderStatus.CONFIRMED) return;
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
          showProblem(ask, errorBox, problem);
          // It may have changed meanwhile (e.g. cancelled in another tab).
          if (problem.reason === "ORDER_NOT_CANCELLABLE") orders.getOrder({ id }, { signal }).then(update, () => {});
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
}

function orderDetails(o: Order): HTMLElement {
  const a = o.shippingAddress;
  return h("div", { class: "order-details" },
    h("dl", { class: "facts" },
      h("dt", null, "Order number"), h("dd", { "data-testid": "order-id" }, o.id),
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
    h("p", { class: "total" }, "Total: ", h("strong", { "data-testid": "order-total" }, formatMoney(o.total))),
    a ? [
      h("h2", null, "Shipping to"),
      h("address", null, [a.recipient, a.line1, a.line2, `${a.city}${a.region ? `, ${a.region}` : ""} ${a.postalCode}`, a.countryCode]
        .filter(Boolean).flatMap((line, i) => (i ? [h("br"), line] : [line]))),
    ] : null,
  );
}
