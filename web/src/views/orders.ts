// #/orders: the customer's orders, newest first, with "Show more" paging.

import { orders } from "../api";
import { h, link, loading, replace, title } from "../dom";
import { describe, isAbort } from "../errors";
import type { Order } from "../gen/shop/orders/v1/orders_pb";
import { problemBox } from "../forms";
import { formatMoney } from "../money";
import { toLogin, type Route } from "../router";
import { session } from "../session";
import { sessionIsAdmin } from "./admin/shell";
import { formatTime, shortId, statusBadge } from "../status";

const PAGE_SIZE = 10;

export function ordersView(main: HTMLElement, route: Route): void {
  if (!session()) {
    toLogin("/orders");
    return;
  }
  const list = h("ul", { class: "orders", "data-testid": "order-list" });
  const status = loading("Loading your orders…");
  const more = h("button", { type: "button", class: "secondary", hidden: true, "data-testid": "orders-load-more" }, "Show more");
  const problemSlot = h("div");
  main.append(
    title("Your orders"),
    // An admin's own orders here; everyone's are in the back office.
    sessionIsAdmin() ? h("p", { "data-testid": "admin-orders-link" }, "Customers' orders are in the ", link("/admin/orders", null, "back office"), ".") : "",
    status, problemSlot, list, h("p", { class: "center" }, more),
  );

  let token = "";
  const loadPage = async () => {
    more.disabled = true;
    try {
      const res = await orders.listOrders({ pageSize: PAGE_SIZE, pageToken: token, userId: session()?.user.id ?? "" }, { signal: route.signal });
      problemSlot.replaceChildren();
      list.append(...res.orders.map(orderRow));
      token = res.nextPageToken;
      more.hidden = !token;
      status.hidden = list.children.length > 0;
      if (list.children.length === 0) status.replaceChildren("You have no orders yet. ", link("/", null, "Start shopping"));
    } catch (err) {
      if (isAbort(err)) return;
      status.hidden = true;
      replace(problemSlot, problemBox(describe(err)));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", () => void loadPage());
  void loadPage();
}

function orderRow(o: Order): HTMLLIElement {
  const items = o.lines.reduce((n, l) => n + Number(l.quantity), 0);
  return h(
    "li",
    { class: "order-row", "data-testid": "order-row", "data-order-id": o.id },
    h("div", { class: "grow" },
      link(`/orders/${o.id}`, { "data-testid": "order-link" }, `Order ${shortId(o.id)}`),
      h("div", { class: "muted" }, `${formatTime(o.createTime)} · ${items} item${items === 1 ? "" : "s"}`),
    ),
    h("div", { class: "end" }, statusBadge(o.status), h("span", { class: "amount" }, formatMoney(o.total))),
  );
}
