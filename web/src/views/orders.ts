// #/orders: the customer's orders, newest first, with "Show more" paging and
// a search by order number (ListOrders' number filter). Checkout attempts
// that failed (declined, out of stock) never became orders: the history
// leaves them out (hide_failed) and #/attempts lists them apart (status
// FAILED), each opening on its own page that says why (views/attempt.ts).

import { orders } from "../api";
import { h, link, loading, replace, title } from "../dom";
import { describe, isAbort } from "../errors";
import { OrderStatus, type Order } from "../gen/shop/orders/v1/orders_pb";
import { problemBox } from "../forms";
import { formatMoney } from "../money";
import { normalizeOrderNumber, orderNumber } from "../numbers";
import { navigate, toLogin, type Route } from "../router";
import { session } from "../session";
import { sessionIsAdmin } from "./admin/shell";
import { failureText, formatTime, statusBadge } from "../status";

const PAGE_SIZE = 10;

/** #/orders?number=<number>: the order history, or the order with that number. */
export function ordersView(main: HTMLElement, route: Route): void {
  if (!session()) {
    toLogin(route.query.size ? `/orders?${route.query}` : "/orders");
    return;
  }
  const number = normalizeOrderNumber(route.query.get("number") ?? "");
  const input = h("input", {
    id: "order-number",
    type: "search",
    name: "number",
    value: number,
    maxlength: 64,
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "e.g. SH-4KQ7-9MZ2",
    "data-testid": "order-search-input",
  });
  const form = h("form", {
    class: "search",
    role: "search",
    "aria-label": "Orders",
    onsubmit: (e: Event) => {
      e.preventDefault();
      const typed = normalizeOrderNumber(input.value);
      navigate(typed ? `/orders?number=${encodeURIComponent(typed)}` : "/orders");
    },
  },
    h("label", { for: "order-number", class: "visually-hidden" }, "Order number"),
    input,
    h("button", { type: "submit", "data-testid": "order-search-submit" }, "Find order"),
  );
  const intro = number
    ? h("p", { "data-testid": "order-search-note" }, `Orders numbered ${number}. `, link("/orders", null, "All orders"))
    : null;
  const empty = number
    ? [`No order is numbered ${number}. Check the number in your confirmation email, or `, link("/orders", null, "see all your orders"), "."]
    : ["You have no orders yet. ", link("/", null, "Start shopping")];
  main.append(
    title("Your orders"),
    // An admin's own orders here; everyone's are in the back office.
    sessionIsAdmin() ? h("p", { "data-testid": "admin-orders-link" }, "Customers' orders are in the ", link("/admin/orders", null, "back office"), ".") : "",
    form,
    intro ?? "",
    orderList(route, { number, hideFailed: true }, empty),
    h("p", { class: "attempts-link" }, link("/attempts", { "data-testid": "attempts-link" }, "Checkout attempts that did not go through")),
  );
}

/** #/attempts: the checkout attempts that failed (status FAILED), apart from the order history. */
export function attemptsView(main: HTMLElement, route: Route): void {
  if (!session()) {
    toLogin("/attempts");
    return;
  }
  main.append(
    h("p", null, link("/orders", null, "← Your orders")),
    title("Checkout attempts that did not go through"),
    h("p", { class: "muted" }, "These checkouts were not placed: nothing was charged, or anything charged was refunded. Each says why."),
    orderList(route, { status: OrderStatus.FAILED }, ["No checkout attempt of yours has failed."], true),
  );
}

/** A list of the caller's orders that ListOrders returns for `filter`, with "Show more". */
function orderList(
  route: Route,
  filter: { number?: string; hideFailed?: boolean; status?: OrderStatus },
  empty: (Node | string)[],
  attempts = false,
): HTMLElement {
  const list = h("ul", { class: "orders", "data-testid": attempts ? "attempt-list" : "order-list" });
  const status = loading(attempts ? "Loading checkout attempts…" : "Loading your orders…");
  const more = h("button", { type: "button", class: "secondary", hidden: true, "data-testid": "orders-load-more" }, "Show more");
  const problemSlot = h("div");
  let token = "";
  const loadPage = async () => {
    more.disabled = true;
    try {
      // The caller's own orders, admins' too (without user_id an admin's ListOrders answers everyone's).
      const res = await orders.listOrders({ pageSize: PAGE_SIZE, pageToken: token, userId: session()?.user.id ?? "", ...filter }, { signal: route.signal });
      problemSlot.replaceChildren();
      list.append(...res.orders.map((o) => (attempts ? attemptRow(o) : orderRow(o))));
      token = res.nextPageToken;
      more.hidden = !token;
      status.hidden = list.children.length > 0;
      if (list.children.length === 0) status.replaceChildren(...empty);
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
  return h("div", null, status, problemSlot, list, h("p", { class: "center" }, more));
}

function itemsText(o: Order): string {
  const items = o.lines.reduce((n, l) => n + Number(l.quantity), 0);
  return `${items} item${items === 1 ? "" : "s"}`;
}

function orderRow(o: Order): HTMLLIElement {
  return h(
    "li",
    { class: "order-row", "data-testid": "order-row", "data-order-id": o.id, "data-order-number": o.number },
    h("div", { class: "grow" },
      link(`/orders/${encodeURIComponent(o.id)}`, { "data-testid": "order-link" }, "Order ", h("span", { class: "nowrap" }, orderNumber(o))),
      h("div", { class: "muted" }, `${formatTime(o.createTime)} · ${itemsText(o)}`),
    ),
    h("div", { class: "end" }, statusBadge(o.status), h("span", { class: "amount" }, formatMoney(o.total))),
  );
}

function attemptRow(o: Order): HTMLLIElement {
  return h(
    "li",
    { class: "order-row", "data-testid": "attempt-row", "data-order-id": o.id, "data-order-number": o.number },
    h("div", { class: "grow" },
      link(`/attempts/${encodeURIComponent(o.id)}`, { "data-testid": "attempt-link" }, "Attempt ", h("span", { class: "nowrap" }, orderNumber(o))),
      h("div", { class: "muted" }, `${formatTime(o.createTime)} · ${itemsText(o)}`),
      h("div", { class: "note" }, failureText(o)),
    ),
    h("div", { class: "end" }, h("span", { class: "amount" }, formatMoney(o.total))),
  );
}
