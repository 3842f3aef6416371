// #/admin/orders[?user=<id>]: every customer's orders with the customer's
// email (BatchGetUsers for the page's ids), by status, sorted, or found by
// number. #/admin/orders/<id>: one order with its lines, totals and
// shipment, followed live (WatchOrder); the warehouse's steps (Pack, Ship
// with carrier and tracking number, Deliver) and cancelling with a refund.

import { authClient, fulfilment, orders } from "../../api";
import { announce } from "../../announce";
import { h, link, loading, replace } from "../../dom";
import { busy, clearProblem, field, formError, refuseInvalid, showProblem, valueOf } from "../../forms";
import { ShipmentStatus, type Shipment } from "../../gen/shop/fulfilment/v1/fulfilment_pb";
import { OrderStatus, type Order } from "../../gen/shop/orders/v1/orders_pb";
import { formatMoney } from "../../money";
import type { Route } from "../../router";
import { orderNumber } from "../../numbers";
import { formatTime, notCancellableText, paymentText, statusBadge, statusLabel } from "../../status";
import { adminPage, adminProblem, problemFor } from "./shell";
import { pagedTable, selectField } from "./table";
import { describe } from "../../errors";
import { Code } from "@connectrpc/connect";

/** The order's number for people, or the start of its id for orders from before numbers. */
export function orderLabel(o: Pick<Order, "number" | "id">): string {
  return orderNumber(o);
}

const STATUSES = [
  OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED,
  OrderStatus.CANCELLING, OrderStatus.CANCELLED, OrderStatus.FAILED,
];

export async function adminOrdersView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "orders", "All orders"))) return;
  const userId = route.query.get("user") ?? "";
  let status = OrderStatus.UNSPECIFIED;
  let number = "";
  const emails = new Map<string, string>();

  const { wrap, select } = selectField("order-status-filter", "Status", [["0", "Any status"], ...STATUSES.map((s): [string, string] => [String(s), statusLabel(s)])], "order-status-filter");
  const numberInput = h("input", { id: "order-number", type: "search", maxlength: 20, placeholder: "SH-…", "data-testid": "order-number" });
  const table = pagedTable<Order>({
    caption: "Orders",
    testid: "admin-orders",
    orderBy: "create_time desc",
    empty: "No orders match.",
    columns: [
      { label: "Order", cell: (o) => link(`/admin/orders/${o.id}`, { "data-testid": "admin-order-link" }, orderLabel(o)) },
      { label: "Customer", cell: (o) => h("span", { class: "customer", "data-user-id": o.userId, "data-testid": "order-customer" }, emails.get(o.userId) ?? "…") },
      { label: "Status", cell: (o) => statusBadge(o.status) },
      { label: "Total", sort: "total", className: "num", cell: (o) => formatMoney(o.total) },
      { label: "Placed", sort: "create_time", cell: (o) => formatTime(o.createTime) },
    ],
    rowProps: (o) => ({ "data-order-id": o.id, "data-testid": "admin-order-row" }),
    fetch: async (pageToken, orderBy, pageSize) => {
      const res = await orders.listOrders({ pageToken, orderBy, pageSize, status, number, userId }, { signal: route.signal });
      return { items: res.orders, next: res.nextPageToken };
    },
    onPage: (rows, tbody) => {
      const ids = [...new Set(rows.map((o) => o.userId))].filter((id) => !emails.has(id));
      // Ids the accounts service does not know are left out of its answer: "unknown customer".
      const fill = (failed = false) => {
        for (const cell of tbody.querySelectorAll<HTMLElement>(".customer")) {
          const id = cell.dataset.userId ?? "";
          const known = emails.get(id);
          replace(cell, known ? link(`/admin/customers/${id}`, null, known) : h("span", { class: "muted" }, failed ? "(could not load)" : "unknown customer"));
        }
      };
      if (!ids.length) return fill();
      authClient.batchGetUsers({ ids }, { signal: route.signal }).then(
        (res) => {
          for (const u of res.users) emails.set(u.id, u.email);
          fill();
        },
        () => fill(true),
      );
    },
  });
  select.addEventListener("change", () => {
    status = Number(select.value) as OrderStatus;
    void table.reload();
  });
  const find = h("form", { class: "search", role: "search", onsubmit: (e: Event) => {
    e.preventDefault();
    number = numberInput.value.trim();
    void table.reload();
  } },
    h("label", { for: "order-number" }, "Order number"), numberInput, h("button", { type: "submit", "data-testid": "order-number-find" }, "Find"),
  );
  main.append(
    userId ? h("p", null, "Orders of one customer. ", link("/admin/orders", null, "Show all orders")) : "",
    h("div", { class: "filters" }, wrap, find),
    table.element,
  );
  await table.reload();
}

function shipmentText(s: Shipment): string {
  return (ShipmentStatus[s.status] ?? "UNKNOWN").toLowerCase();
}

export async function adminOrderView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "orders", "Order"))) return;
  const id = route.params[0];
  const body = h("div", { class: "stack" }, loading());
  main.append(body);
  let order: Order;
  try {
    order = await orders.getOrder({ id }, { signal: route.signal });
  } catch (err) {
    replace(body, problemFor(err));
    return;
  }
  const heading = main.querySelector("h1");
  const summary = h("div", { "data-testid": "admin-order-summary" });
  const customer = h("span", { "data-testid": "admin-order-customer" }, "…");
  const shipSlot = h("section", { "aria-labelledby": "ship-h" });
  const cancelSlot = h("section", { "aria-labelledby": "cancel-h" });

  authClient.getUser({ id: order.userId }, { signal: route.signal }).then(
    (u) => replace(customer, link(`/admin/customers/${u.id}`, null, u.email)),
    () => replace(customer, h("span", { class: "muted" }, "unknown customer")),
  );

  const renderSummary = () => {
    if (heading) heading.textContent = `Order ${orderLabel(order)}`;
    replace(
      summary,
      h("p", null, statusBadge(order.status), " ", formatTime(order.createTime), " · customer ", customer),
      h("div", { class: "table-wrap", role: "region", "aria-label": "Lines", tabindex: 0 },
        h("table", { class: "admin-table" },
          h("caption", { class: "visually-hidden" }, "Lines"),
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Product"), h("th", { scope: "col", class: "num" }, "Unit price"), h("th", { scope: "col", class: "num" }, "Quantity"), h("th", { scope: "col", class: "num" }, "Line total"))),
          h("tbody", null, order.lines.map((l) => h("tr", null, h("td", null, l.productName), h("td", { class: "num" }, formatMoney(l.unitPrice)), h("td", { class: "num" }, String(l.quantity)), h("td", { class: "num" }, formatMoney(l.lineTotal))))),
        ),
      ),
      h("dl", { class: "totals" },
        h("dt", null, "Subtotal"), h("dd", null, formatMoney(order.subtotal)),
        h("dt", null, "Shipping"), h("dd", null, order.shipping ? `${order.shipping.name}: ${formatMoney(order.shipping.price)}` : "—"),
        h("dt", null, "Total"), h("dd", { "data-testid": "admin-order-total" }, formatMoney(order.total)),
        h("dt", null, "Payment"), h("dd", null, paymentText(order.payment?.method) || "—"),
        h("dt", null, "Ship to"), h("dd", null, [order.shippingAddress?.recipient, order.shippingAddress?.line1, order.shippingAddress?.city, order.shippingAddress?.postalCode, order.shippingAddress?.countryCode].filter(Boolean).join(", ")),
        order.cancelReason ? [h("dt", null, "Cancel reason"), h("dd", null, order.cancelReason)] : null,
      ),
    );
  };

  // Reads overlap (the page load, each replayed order event, a cancel) and
  // may answer out of order: only the latest one started may draw, or a
  // read from before a cancel could show the shipment still pending.
  let shipmentReads = 0;
  const refreshShipment = async () => {
    const read = ++shipmentReads;
    try {
      const shipment = await fulfilment.getShipment({ orderId: id }, { signal: route.signal });
      if (read === shipmentReads) renderShipment(shipment);
    } catch (err) {
      if (read !== shipmentReads) return;
      const p = describe(err);
      if (p.code === Code.NotFound) replace(shipSlot, h("h2", { id: "ship-h" }, "Shipping"), h("p", { class: "muted", "data-testid": "shipment-status" }, "No shipment yet: one is made when the order is confirmed."));
      else replace(shipSlot, h("h2", { id: "ship-h" }, "Shipping"), problemFor(err));
    }
  };

  const renderShipment = (s: Shipment) => {
    const problem = formError();
    const act = (button: HTMLButtonElement, busyText: string, call: () => Promise<Shipment>, said: string) =>
      void busy(button, busyText, async () => {
        try {
          const moved = await call();
          announce(said);
          shipmentReads++; // a read started before this change must not draw over it
          renderShipment(moved);
        } catch (err) {
          problem.replaceChildren(h("p", null, adminProblem(err).message));
          problem.hidden = false;
          problem.focus();
        }
      });
    let actions: HTMLElement | null = null;
    if (s.status === ShipmentStatus.PENDING) {
      const pack = h("button", { type: "button", "data-testid": "shipment-pack" }, "Mark as packed");
      pack.addEventListener("click", () => act(pack, "Packing…", () => fulfilment.packShipment({ shipmentId: s.id }, { signal: route.signal }), "Packed."));
      actions = h("p", null, pack);
    } else if (s.status === ShipmentStatus.PACKED) {
      const summaryBox = formError();
      const send = h("button", { type: "submit", "data-testid": "shipment-ship" }, "Hand to carrier");
      const form = h("form", { class: "stack narrow", novalidate: true, "data-testid": "ship-form" },
        summaryBox,
        field({ path: "carrier", label: "Carrier", testid: "ship-carrier", maxlength: 64 }),
        field({ path: "tracking_number", label: "Tracking number", testid: "ship-tracking", maxlength: 64 }),
        h("div", null, send),
      );
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const carrier = valueOf(form, "carrier");
        const trackingNumber = valueOf(form, "tracking_number");
        const bad = new Map<string, string>();
        if (!carrier) bad.set("carrier", "name the carrier");
        if (!trackingNumber) bad.set("tracking_number", "enter the carrier's tracking number");
        if (refuseInvalid(form, summaryBox, bad)) return;
        void busy(send, "Shipping…", async () => {
          try {
            const moved = await fulfilment.shipShipment({ shipmentId: s.id, carrier, trackingNumber }, { signal: route.signal });
            clearProblem(form, summaryBox);
            announce("Shipped.");
            shipmentReads++;
            renderShipment(moved);
          } catch (err) {
            showProblem(form, summaryBox, adminProblem(err));
          }
        });
      });
      actions = form;
    } else if (s.status === ShipmentStatus.SHIPPED) {
      const deliver = h("button", { type: "button", "data-testid": "shipment-deliver" }, "Mark as delivered");
      deliver.addEventListener("click", () => act(deliver, "Saving…", () => fulfilment.deliverShipment({ shipmentId: s.id }, { signal: route.signal }), "Delivered."));
      actions = h("p", null, deliver);
    }
    replace(
      shipSlot,
      h("h2", { id: "ship-h" }, "Shipping"),
      h("p", null, "Shipment: ", h("strong", { "data-testid": "shipment-status", "data-status": ShipmentStatus[s.status] }, shipmentText(s)),
        s.carrier ? ` · ${s.carrier} ${s.trackingNumber}` : "",
        s.packTime ? ` · packed ${formatTime(s.packTime)}` : "",
        s.shipTime ? ` · shipped ${formatTime(s.shipTime)}` : "",
        s.deliverTime ? ` · delivered ${formatTime(s.deliverTime)}` : ""),
      problem,
      actions,
    );
  };

  const renderCancel = () => {
    if (![OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.PENDING, OrderStatus.STOCK_RESERVED].includes(order.status)) {
      replace(cancelSlot);
      return;
    }
    // Still cancellable: keep the form the admin may be typing a reason
    // into (the order's live events redraw the page as they arrive).
    if (cancelSlot.querySelector("form")) return;
    const summaryBox = formError();
    const submit = h("button", { type: "submit", class: "danger", "data-testid": "admin-cancel" }, "Cancel and refund");
    const form = h("form", { class: "stack narrow", novalidate: true },
      summaryBox,
      field({ path: "reason", label: "Reason", testid: "admin-cancel-reason", maxlength: 200, optional: true, hint: "Kept on the order and in the refund" }),
      h("div", null, submit),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void busy(submit, "Cancelling…", async () => {
        try {
          order = await orders.cancelOrder({ id, reason: valueOf(form, "reason") }, { signal: route.signal });
          announce("Cancelling the order.");
          renderAll();
        } catch (err) {
          const p = adminProblem(err);
          if (p.reason === "ORDER_NOT_CANCELLABLE") p.message = `This order can no longer be cancelled: ${notCancellableText(p.metadata.status)}`;
          showProblem(form, summaryBox, p);
        }
      });
    });
    replace(cancelSlot, h("h2", { id: "cancel-h" }, "Cancel"), form);
  };

  const renderAll = () => {
    renderSummary();
    renderCancel();
    void refreshShipment();
  };

  replace(body, summary, shipSlot, cancelSlot);
  renderAll();

  // Follow the order live: each event carries the order as it is then.
  void (async () => {
    try {
      for await (const e of orders.watchOrder({ id, afterSequence: 0n }, { signal: route.signal })) {
        if (e.order) {
          const changed = e.order.status !== order.status;
          order = e.order;
          if (changed) renderAll();
        }
      }
    } catch {
      // Leaving the page, or the stream broke: the page keeps what it shows.
    }
  })();
}
