// #/checkout: shipping address and card or wallet, then CreateOrder. A
// declined or failed order stays here with the reason, so the customer can
// try another card; anything else goes to the order page, which follows it.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { orders, payments } from "../api";
import { cartLines, clearCart } from "../cart";
import { h, link, title } from "../dom";
import { describe } from "../errors";
import { busy, clearProblem, field, formError, inputOf, showMessage, showProblem, valueOf } from "../forms";
import { OrderStatus } from "../gen/shop/orders/v1/orders_pb";
import type { PaymentMethodSchema } from "../gen/shop/common/v1/payment_method_pb";
import { formatMoney, sumByCurrency } from "../money";
import { navigate, toLogin, type Route } from "../router";
import { session } from "../session";
import { failureText } from "../status";

export const TEST_CARD = "4242424242424242";
export const DECLINED_CARD = "4000000000000002";

/** An idempotency key: 32 hex characters (works on plain http too, unlike randomUUID). */
function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function checkoutView(main: HTMLElement, route: Route): void {
  const user = session();
  if (!user) {
    toLogin("/checkout");
    return;
  }
  main.append(title("Checkout"));
  const lines = cartLines();
  if (lines.length === 0) {
    main.append(h("p", { "data-testid": "cart-empty" }, "Your cart is empty. ", link("/", null, "Browse products")));
    return;
  }
  const totals = sumByCurrency(lines.map((l) => ({ currencyCode: l.currencyCode, amountMinor: BigInt(l.unitMinor) * BigInt(l.quantity) })));
  const currency = totals.length === 1 ? totals[0].currencyCode : "USD";

  // Kept across attempts that created no order (invalid fields, network
  // trouble), so a retry cannot place the same order twice.
  let requestId = newRequestId();

  const summary = formError();
  const walletBalance = h("span", { "data-testid": "wallet-balance" }, "loading…");
  const cardPanel = h(
    "div",
    { class: "stack", id: "card-panel" },
    h("p", { class: "hint", id: "card-hint" },
      "Test cards: ", h("code", null, "4242 4242 4242 4242"), " is approved, ",
      h("code", null, "4000 0000 0000 0002"), " is declined. Any future expiry date and any 3-digit CVC.",
    ),
    field({
      path: "payment_method.card.number",
      label: "Card number",
      autocomplete: "cc-number",
      inputmode: "numeric",
      placeholder: "4242 4242 4242 4242",
      testid: "checkout-card-number",
    }),
    h("div", { class: "row" },
      field({ path: "payment_method.card.exp_month", label: "Expiry month", autocomplete: "cc-exp-month", inputmode: "numeric", placeholder: "MM", maxlength: 2, testid: "checkout-card-exp-month" }),
      field({ path: "payment_method.card.exp_year", label: "Expiry year", autocomplete: "cc-exp-year", inputmode: "numeric", placeholder: "YYYY", maxlength: 4, testid: "checkout-card-exp-year" }),
      field({ path: "payment_method.card.cvc", label: "CVC", autocomplete: "cc-csc", inputmode: "numeric", placeholder: "123", maxlength: 4, testid: "checkout-card-cvc" }),
    ),
    field({ path: "payment_method.card.holder_name", label: "Name on card", autocomplete: "cc-name", optional: true, maxlength: 100, testid: "checkout-card-holder" }),
    h("button", { type: "button", class: "secondary", "data-testid": "fill-test-card", onclick: () => fillCard(TEST_CARD) }, "Fill in the test card"),
  );
  const walletPanel = h("div", { id: "wallet-panel", hidden: true },
    h("p", null, "Pay from your store credit. Balance: ", walletBalance),
  );
  const methodRadio = (value: string, label: string, checked: boolean) =>
    h("label", { class: "choice" },
      h("input", { type: "radio", name: "method", value, checked, "data-testid": `checkout-pay-${value}` }),
      " ", label,
    );

  const place = h("button", { type: "submit", class: "primary", "data-testid": "place-order" }, `Place order · ${totals.map(formatMoney).join(" + ")}`);
  const form = h(
    "form",
    { class: "stack", novalidate: true, "data-testid": "checkout-form" },
    summary,
    h("fieldset", null,
      h("legend", null, "Shipping address"),
      field({ path: "shipping_address.recipient", label: "Recipient", autocomplete: "name", value: user.user.displayName, maxlength: 100, testid: "checkout-recipient" }),
      field({ path: "shipping_address.line1", label: "Address", autocomplete: "address-line1", maxlength: 200, testid: "checkout-line1" }),
      field({ path: "shipping_address.line2", label: "Apartment, floor, etc.", autocomplete: "address-line2", optional: true, maxlength: 200, testid: "checkout-line2" }),
      h("div", { class: "row" },
        field({ path: "shipping_address.city", label: "City", autocomplete: "address-level2", maxlength: 100, testid: "checkout-city" }),
        field({ path: "shipping_address.region", label: "State or region", autocomplete: "address-level1", optional: true, maxlength: 100, testid: "checkout-region" }),
      ),
      h("div", { class: "row" },
        field({ path: "shipping_address.postal_code", label: "Postal code", autocomplete: "postal-code", testid: "checkout-postal-code" }),
        field({ path: "shipping_address.country_code", label: "Country code", autocomplete: "country", value: "US", maxlength: 2, hint: "Two letters, e.g. US or DE", testid: "checkout-country" }),
      ),
    ),
    h("fieldset", null,
      h("legend", null, "Payment"),
      h("div", { class: "row", role: "radiogroup", "aria-label": "Payment method" },
        methodRadio("card", "Card", true),
        methodRadio("wallet", "Store credit (wallet)", false),
      ),
      cardPanel,
      walletPanel,
    ),
    place,
  );

  main.append(
    h("section", { class: "summary", "aria-label": "Order summary" },
      h("ul", { class: "lines compact" }, lines.map((l) =>
        h("li", null, h("span", { class: "grow" }, `${l.quantity} × ${l.name}`),
          h("span", null, formatMoney({ currencyCode: l.currencyCode, amountMinor: BigInt(l.unitMinor) * BigInt(l.quantity) })))),
      ),
      h("p", { class: "total" }, "Total: ", h("strong", { "data-testid": "checkout-total" }, totals.map(formatMoney).join(" + "))),
      h("p", null, link("/cart", null, "Change cart")),
    ),
    form,
  );

  function fillCard(number: string) {
    inputOf(form, "payment_method.card.number")!.value = number;
    inputOf(form, "payment_method.card.exp_month")!.value = "12";
    inputOf(form, "payment_method.card.exp_year")!.value = String(new Date().getFullYear() + 2);
    inputOf(form, "payment_method.card.cvc")!.value = "123";
  }
  const method = () => form.querySelector<HTMLInputElement>('input[name="method"]:checked')?.value ?? "card";
  form.addEventListener("change", (e) => {
    if ((e.target as HTMLInputElement).name !== "method") return;
    cardPanel.hidden = method() !== "card";
    walletPanel.hidden = method() !== "wallet";
  });

  payments.getWallet({ currencyCode: currency }, { signal: route.signal }).then(
    (w) => {
      const balance = w.balance ?? { currencyCode: currency, amountMinor: 0n };
      walletBalance.textContent = formatMoney(balance);
      if (totals.length === 1 && balance.amountMinor < totals[0].amountMinor) {
        walletBalance.after(" (not enough for this order)");
      }
    },
    (err) => {
      const p = describe(err);
      if (p.code !== Code.Canceled) walletBalance.textContent = `unavailable (${p.message})`;
    },
  );

  const paymentMethod = (): MessageInitShape<typeof PaymentMethodSchema> => {
    if (method() === "wallet") return { method: { case: "wallet", value: {} } };
    const int = (path: string) => Number.parseInt(valueOf(form, path), 10) || 0;
    return {
      method: {
        case: "card",
        value: {
          number: valueOf(form, "payment_method.card.number").replace(/[\s-]/g, ""),
          expMonth: int("payment_method.card.exp_month"),
          expYear: int("payment_method.card.exp_year"),
          cvc: valueOf(form, "payment_method.card.cvc"),
          holderName: valueOf(form, "payment_method.card.holder_name"),
        },
      },
    };
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void busy(place, "Placing order…", async () => {
      clearProblem(form, summary);
      const address = (name: string) => valueOf(form, `shipping_address.${name}`);
      try {
        const order = await orders.createOrder({
          requestId,
          lines: cartLines().map((l) => ({ productId: l.productId, quantity: BigInt(l.quantity) })),
          paymentMethod: paymentMethod(),
          shippingAddress: {
            recipient: address("recipient"),
            line1: address("line1"),
            line2: address("line2"),
            city: address("city"),
            region: address("region"),
            postalCode: address("postal_code"),
            countryCode: address("country_code").toUpperCase(),
          },
        });
        if (order.status === OrderStatus.FAILED) {
          // The order exists (and shows in the history); a new attempt needs a new key.
          requestId = newRequestId();
          showMessage(summary, failureText(order) + " ",
            link(`/orders/${order.id}`, { "data-testid": "failed-order-link" }, "See the order"));
          summary.focus();
          return;
        }
        clearCart();
        navigate(`/orders/${order.id}`);
      } catch (err) {
        const problem = describe(err);
        if (problem.reason === "IDEMPOTENCY_KEY_REUSED") requestId = newRequestId();
        showProblem(form, summary, problem);
        if (problem.reason === "PRODUCT_NOT_FOUND") {
          summary.append(h("p", null, link("/cart", null, "Review your cart")));
        }
      }
    });
  });
}
