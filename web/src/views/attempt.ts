// #/attempts/<id>: one checkout attempt that did not go through (a FAILED
// order: declined, out of stock, ...), on its own page that says why: the
// decline and its code, or each product short with how many were left. An
// order that did not fail opens as an order (#/orders/<id>).

import { Code } from "@connectrpc/connect";
import { orders } from "../api";
import { h, link, loading, replace, title } from "../dom";
import { describe, isAbort } from "../errors";
import { problemBox } from "../forms";
import { DeclineCodeSchema } from "../gen/shop/common/v1/decline_code_pb";
import { FailureReason, OrderStatus, type Order } from "../gen/shop/orders/v1/orders_pb";
import { formatMoney } from "../money";
import { attemptTitle, orderNumber } from "../numbers";
import { navigate, toLogin, type Route } from "../router";
import { session } from "../session";
import { shortfallText } from "../shortfalls";
import { failureText, formatTime, paymentText } from "../status";

export async function attemptView(main: HTMLElement, route: Route): Promise<void> {
  const [id] = route.params;
  if (!session()) {
    toLogin(`/attempts/${id}`);
    return;
  }
  const body = h("div", null, loading("Loading the checkout attempt…"));
  main.append(h("p", null, link("/attempts", null, "← Checkout attempts")), title("Checkout attempt"), body);
  let order: Order;
  try {
    order = await orders.getOrder({ id }, { signal: route.signal });
  } catch (err) {
    if (isAbort(err)) return;
    replace(body, problemBox(describe(err, {
      [Code.NotFound]: "We could not find this checkout attempt. It may belong to another account.",
      [Code.InvalidArgument]: "This is not a valid link to a checkout attempt.",
    })));
    return;
  }
  if (order.status !== OrderStatus.FAILED) {
    // It did not fail (or has not yet): it is an order, and its page follows it.
    navigate(`/orders/${encodeURIComponent(order.id)}`);
    return;
  }
  const placeholder = main.querySelector("h1");
  const heading = title(attemptTitle(order));
  replace(heading, "Checkout attempt ", h("span", { class: "nowrap" }, orderNumber(order)));
  const hadFocus = document.activeElement === placeholder;
  placeholder?.replaceWith(heading);
  if (hadFocus) heading.focus();
  replace(body, attemptDetails(order));
}

/** The decline code's stable name, e.g. "INSUFFICIENT_FUNDS", or "". */
function declineCodeName(order: Order): string {
  if (order.failureReason !== FailureReason.PAYMENT_DECLINED || !order.declineCode) return "";
  return DeclineCodeSchema.values.find((v) => v.number === order.declineCode)?.localName ?? String(order.declineCode);
}

function attemptDetails(o: Order): HTMLElement {
  const code = declineCodeName(o);
  const short = o.failureReason === FailureReason.OUT_OF_STOCK ? o.shortfalls : [];
  return h("div", { class: "order-details", "data-testid": "attempt-detail", "data-order-id": o.id },
    h("div", { class: "form-error", "data-testid": "attempt-reason" },
      h("p", null, h("strong", null, "This checkout did not go through. "), failureText(o)),
      code ? h("p", { "data-testid": "decline-code" }, "Decline code: ", h("code", null, code)) : null,
      short.length
        ? h("ul", { "data-testid": "shortfalls" }, short.map((f) => h("li", { "data-testid": "shortfall", "data-product-id": f.productId }, `${shortfallText(f)}.`)))
        : null,
    ),
    h("p", null,
      short.length ? "Change the quantities in your cart, then check out again: " : "Your cart still holds these products: ",
      link("/cart", { "data-testid": "attempt-cart-link" }, "go to your cart"), "."),
    h("dl", { class: "facts" },
      h("dt", null, "Attempt number"), h("dd", { "data-testid": "order-number" }, orderNumber(o)),
      h("dt", null, "When"), h("dd", null, formatTime(o.createTime)),
      h("dt", null, "Payment"), h("dd", null, paymentText(o.payment?.method)),
      h("dt", null, "Total"), h("dd", null, formatMoney(o.total)),
    ),
    h("h2", null, "What it asked for"),
    h("ul", { class: "lines compact" }, o.lines.map((l) =>
      h("li", null,
        h("span", { class: "grow" }, `${l.quantity} × `, link(`/product/${encodeURIComponent(l.productId)}`, null, l.productName)),
        h("span", { class: "amount" }, formatMoney(l.lineTotal)),
      ),
    )),
  );
}
