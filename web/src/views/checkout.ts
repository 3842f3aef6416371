// #/checkout: the cart as the customer reviews it, the shipping address, the
// shipping options quoted for that address and those lines, card or wallet,
// then CheckoutCart at the reviewed version of the cart with the quote and
// the option chosen. The total shown is the one charged: a quote that
// expired or no longer matches is quoted again and the customer asked to
// place the order again at the new total. A declined or failed order stays
// here with the reason; it moved the cart to a new version, so the cart is
// read again before the next attempt (a new order). Anything else goes to
// the order page, which follows it. An order that failed for want of stock
// names each product short and how many are left, with the way back to the
// cart. Paying from the wallet reads its balance (in the order's currency)
// when the wallet is chosen; a balance below the total is refused here
// before placing, and the server's INSUFFICIENT_FUNDS is explained alike.
// The customer's saved addresses are offered, the default chosen; a new
// address may be saved for next time once the order is placed.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { authClient, catalog, payments } from "../api";
import { addressFields, addressLine, fillAddress, plainAddress, readAddress } from "../addressform";
import { lineStockNote } from "../availability";
import type { Availability } from "../gen/shop/catalog/v1/catalog_pb";
import { awaitNewVersion, cart, checkoutCart, loadCart, onCartChange, removeItem } from "../cart";
import { h, link, loading, replace, title } from "../dom";
import { describe, inlineText, isAbort, type Problem } from "../errors";
import { busy, clearProblem, field, formError, inputOf, problemBox, showMessage, showProblem, valueOf } from "../forms";
import type { SavedAddress } from "../gen/shop/auth/v1/auth_pb";
import type { Cart } from "../gen/shop/cart/v1/cart_pb";
import type { ShippingOption } from "../gen/shop/fulfilment/v1/fulfilment_pb";
import { FailureReason, OrderStatus, type Order } from "../gen/shop/orders/v1/orders_pb";
import type { PaymentMethodSchema } from "../gen/shop/common/v1/payment_method_pb";
import { cartTotals, hasUnavailable, lineAmount, lineNotes } from "../lines";
import { formatMoney } from "../money";
import { quoter } from "../quote";
import { navigate, toLogin, type Route } from "../router";
import { session, type Session } from "../session";
import { addShipping, chooseOption, formatEstimate, notServedText, shippingPriceText, type QuoteAddress } from "../shipping";
import { orderNumber } from "../numbers";
import { HOW_TO_GET_CREDIT, minorFromMetadata, shortfallText, walletCovers, walletShortText } from "../shortfalls";
import { failureText } from "../status";

export const TEST_CARD = "4242424242424242";
export const DECLINED_CARD = "4000000000000002";

/** What checkout says when CartService refused before placing any order; the cart is then read again. */
const refusals: Record<string, string> = {
  ETAG_MISMATCH:
    "Your cart changed since you reviewed it (perhaps on another device). It is shown above as it is now: please review it and place the order again.",
  CART_EMPTY: "Your cart is empty now, so there is nothing to order.",
  CART_LINES_UNAVAILABLE:
    "Some products in your cart are no longer available. Remove them (marked above), then place the order again.",
};

/** Refusals of the shipping quote at placing: the quote is asked for again, and the customer shown the new total. */
const requotes: Record<string, string> = {
  SHIPPING_QUOTE_EXPIRED: "Your shipping quote expired before the order was placed.",
  SHIPPING_QUOTE_MISMATCH: "Your shipping quote no longer matched your cart or address.",
  SHIPPING_OPTION_UNKNOWN: "The shipping option you chose is no longer offered.",
  SHIPPING_QUOTE_NOT_FOUND: "Your shipping quote is no longer known.",
};

/** Why placing refused the quote, or "" when it did not: an unknown quote is NOT_FOUND, its reason naming the quote. */
function requoteReason(problem: Problem): string {
  if (problem.reason in requotes) return requotes[problem.reason];
  return problem.code === Code.NotFound && problem.reason.includes("QUOTE") ? requotes.SHIPPING_QUOTE_NOT_FOUND : "";
}

/** The request fields naming the quote: missing only while the address is incomplete, which its own fields say. */
const QUOTE_FIELDS = ["shipping_quote_id", "shipping_option"];

export function checkoutView(main: HTMLElement, route: Route): void {
  const user = session();
  if (!user) {
    toLogin("/checkout");
    return;
  }
  const status = loading("Loading your cart…");
  main.append(title("Checkout"), status);
  // Read afresh: the order is placed for exactly the version shown here.
  loadCart(route.signal).then(
    (c) => {
      status.remove();
      if (c.lines.length === 0) {
        main.append(h("p", { "data-testid": "cart-empty" }, "Your cart is empty. ", link("/", null, "Browse products")));
        return;
      }
      checkoutPage(main, route, user, c);
    },
    (err) => {
      if (isAbort(err)) return;
      status.replaceWith(problemBox(describe(err)));
    },
  );
}

function checkoutPage(main: HTMLElement, route: Route, user: Session, initial: Cart): void {
  /** The cart as shown to the customer: what "Place order" orders. */
  let reviewed = initial;
  /** Set while this page itself changes the cart, which then needs no "it changed" note. */
  let ownChange = false;
  const initialTotals = cartTotals(initial);
  const currency = initialTotals.length === 1 ? initialTotals[0].currencyCode : "USD";
  /** The store credit, once read. */
  let walletMinor: bigint | null = null;

  const summary = formError();
  const walletBalance = h("span", { "data-testid": "wallet-balance" }, "…");
  const walletNote = h("span", { "data-testid": "wallet-short" });
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
    h("div", { class: "fields" },
      field({ path: "payment_method.card.exp_month", label: "Expiry month", autocomplete: "cc-exp-month", inputmode: "numeric", placeholder: "MM", maxlength: 2, testid: "checkout-card-exp-month" }),
      field({ path: "payment_method.card.exp_year", label: "Expiry year", autocomplete: "cc-exp-year", inputmode: "numeric", placeholder: "YYYY", maxlength: 4, testid: "checkout-card-exp-year" }),
      field({ path: "payment_method.card.cvc", label: "CVC", autocomplete: "cc-csc", inputmode: "numeric", placeholder: "123", maxlength: 4, testid: "checkout-card-cvc" }),
    ),
    field({ path: "payment_method.card.holder_name", label: "Name on card", autocomplete: "cc-name", optional: true, maxlength: 100, testid: "checkout-card-holder" }),
    h("button", { type: "button", class: "secondary", "data-testid": "fill-test-card", onclick: () => fillCard(TEST_CARD) }, "Fill in the test card"),
  );
  const walletPanel = h("div", { id: "wallet-panel", hidden: true },
    h("p", null, "Pay from your store credit. Balance: ", walletBalance, walletNote),
  );
  const methodRadio = (value: string, label: string, checked: boolean) =>
    h("label", { class: "choice" },
      h("input", { type: "radio", name: "method", value, checked, "data-testid": `checkout-pay-${value}` }),
      " ", label,
    );

  const notServed = h("p", { class: "error", id: "checkout-not-served", role: "alert", "data-testid": "checkout-not-served", hidden: true });
  const shippingStatus = h("p", { class: "hint", role: "status", "data-testid": "shipping-status" });
  const shippingOptions = h("div", { class: "options" });
  /** The code of the shipping option chosen in the current quote. */
  let chosen = "";

  const place = h("button", { type: "submit", class: "primary", "data-testid": "place-order" }, "Place order");
  // The saved addresses (ListAddresses), the default chosen first; "A new
  // address" shows the fields, with a box to save what is typed there once
  // the order is placed (CreateAddress).
  const savedPicker = h("fieldset", { class: "saved-addresses", "data-testid": "saved-addresses", hidden: true },
    h("legend", { class: "visually-hidden" }, "Ship to"));
  const saveBox = h("input", { type: "checkbox", name: "save-address", "data-testid": "checkout-save-address" });
  const newAddress = h("div", { class: "stack", "data-testid": "new-address" },
    ...addressFields("shipping_address", "checkout", { recipient: user.user.displayName }),
    h("label", { class: "choice" }, saveBox, " Save this address for my next orders"),
  );
  /** The saved address chosen, or null for "A new address". */
  let savedChoice: string | null = null;
  const form = h(
    "form",
    { class: "stack", novalidate: true, "data-testid": "checkout-form" },
    summary,
    h("fieldset", null,
      h("legend", null, "Shipping address"),
      savedPicker,
      newAddress,
      notServed,
    ),
    h("fieldset", { "data-testid": "shipping-options" },
      h("legend", null, "Shipping"),
      shippingStatus,
      shippingOptions,
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

  const changedNote = h("p", { class: "notice", role: "status", "data-testid": "checkout-cart-changed", hidden: true },
    "Your cart changed meanwhile (perhaps on another device). Please review it before placing the order.");
  const orderSummary = h("section", { class: "summary", "aria-label": "Order summary", "data-testid": "checkout-summary" });
  const blockedNote = h("p", { class: "error", "data-testid": "checkout-blocked", hidden: true });
  form.insertBefore(blockedNote, place);
  main.append(changedNote, orderSummary, form);

  const quotes = quoter(() => {
    drawShipping();
    drawSummary();
  }, route.signal);

  /** The option chosen, if a quote is shown. */
  const selected = (): ShippingOption | undefined => {
    const q = quotes.state();
    return q.kind === "ready" ? q.quote.options.find((o) => o.code === chosen) : undefined;
  };

  /** What the customer would pay: the lines plus the chosen shipping; null until both are known. */
  const due = () => {
    const totals = cartTotals(reviewed);
    return totals.length === 1 ? addShipping(totals[0], selected()?.price) : null;
  };

  /** Shows `reviewed`, shipping and the total; "Place order" is only offered for an order that can be placed. */
  const drawSummary = () => {
    const totals = cartTotals(reviewed);
    const option = selected();
    const total = due();
    const q = quotes.state();
    replace(orderSummary,
      reviewed.lines.length === 0
        ? h("p", { "data-testid": "cart-empty" }, "Your cart is empty. ", link("/", null, "Browse products"))
        : h("ul", { class: "lines compact" }, reviewed.lines.map((l) =>
            h("li", { "data-testid": "checkout-line", "data-product-id": l.productId },
              h("div", { class: "grow" }, `${l.quantity} × ${l.productName}`, lineNotes(l),
                stockNote(l.productId, l.quantity),
                l.unavailable
                  ? h("button", {
                      type: "button",
                      class: "link",
                      "aria-label": `Remove ${l.productName}`,
                      "data-testid": "checkout-remove",
                      onclick: () => remove(l.productId),
                    }, "Remove")
                  : null),
              h("span", null, l.unavailable ? "" : formatMoney(lineAmount(l)))))),
      h("dl", { class: "sums" },
        h("dt", null, "Subtotal"),
        h("dd", { "data-testid": "checkout-subtotal", "data-amount-minor": totals.length === 1 ? String(totals[0].amountMinor) : null },
          totals.map(formatMoney).join(" + ") || "–"),
        h("dt", null, "Shipping"),
        h("dd", { "data-testid": "checkout-shipping", "data-amount-minor": option?.price ? String(option.price.amountMinor) : null },
          option ? `${option.name}: ${shippingPriceText(option.price)}` : q.kind === "loading" ? "working it out…" : "to be chosen below"),
        h("dt", { class: "total" }, "Total"),
        h("dd", { class: "total" },
          h("strong", { "data-testid": "checkout-total", "data-amount-minor": total ? String(total.amountMinor) : null },
            total ? formatMoney(total) : `${totals.map(formatMoney).join(" + ") || "–"} + shipping`)),
      ),
      h("p", null, link("/cart", null, "Change cart")),
    );
    const blocked =
      reviewed.lines.length === 0 ? "There is nothing to order."
      : hasUnavailable(reviewed) ? "Remove the products that are no longer available to place the order."
      : totals.length > 1 ? "Products priced in different currencies cannot be ordered together."
      : q.kind === "not-served" ? "We cannot ship to this country, so the order cannot be placed: change the country above."
      : "";
    blockedNote.textContent = blocked;
    blockedNote.hidden = !blocked;
    place.hidden = !!blocked;
    place.textContent = total ? `Place order · ${formatMoney(total)}` : "Place order";
    walletNote.textContent = walletMinor !== null && total && walletMinor < total.amountMinor ? " (not enough for this order)" : "";
  };

  /** The shipping options of the current quote, or why there are none. */
  const drawShipping = () => {
    const q = quotes.state();
    if (q.kind === "ready") chosen = chooseOption(q.quote.options, chosen);
    notServed.textContent = q.kind === "not-served" ? notServedText(q.countryCode) : "";
    notServed.hidden = q.kind !== "not-served";
    shippingStatus.textContent =
      q.kind === "incomplete" ? "Enter the shipping address to see the shipping options."
      : q.kind === "loading" ? "Working out shipping to this address…"
      : q.kind === "not-served" ? "There is no shipping to this country."
      : q.kind === "failed" ? `Shipping could not be worked out: ${quoteProblemText(q.problem)}`
      : q.quote.options.length === 0 ? "There is no shipping to this address."
      : "";
    shippingStatus.hidden = !shippingStatus.textContent;
    replace(shippingOptions, q.kind === "ready" ? q.quote.options.map(optionChoice) : null);
  };

  const optionChoice = (o: ShippingOption) =>
    h("label", { class: "option", "data-testid": "shipping-option", "data-code": o.code, "data-price-minor": String(o.price?.amountMinor ?? 0n) },
      h("input", { type: "radio", name: "shipping", value: o.code, checked: o.code === chosen, "data-testid": `shipping-option-${o.code}` }),
      h("span", { class: "grow" },
        h("span", { class: "option-name" }, o.name),
        h("span", { class: "hint", "data-testid": "shipping-estimate" }, formatEstimate(o.earliestDeliveryTime, o.latestDeliveryTime))),
      h("span", { class: "amount", "data-testid": "shipping-price" }, shippingPriceText(o.price)),
    );

  /** A quote's refusal in words; violations name the address field by its label. */
  const quoteProblemText = (problem: Problem) => {
    if (problem.fields.size === 0) return problem.message;
    return [...problem.fields].map(([path, description]) => {
      const name = path.replace(/^address\./, "");
      const label = inputOf(form, `shipping_address.${name}`)?.labels?.[0]?.firstChild?.textContent ?? name.replace(/_/g, " ");
      return `${label}: ${description}`;
    }).join(". ");
  };

  /** The address as entered (or as saved and put in the fields), exactly as both the quote and the order are sent it. */
  const addressOf = (): QuoteAddress => readAddress(form, "shipping_address");

  /** Ships to the saved address `id`, or to a new one (null): its fields filled and hidden, or shown empty. */
  const chooseSaved = (addresses: SavedAddress[], id: string | null) => {
    savedChoice = id;
    const saved = addresses.find((a) => a.id === id);
    fillAddress(form, "shipping_address", saved
      ? plainAddress(saved.address)
      : { recipient: user.user.displayName, line1: "", line2: "", city: "", region: "", postalCode: "", countryCode: "US" });
    newAddress.hidden = !!saved;
    for (const radio of savedPicker.querySelectorAll<HTMLInputElement>('input[name="saved-address"]')) radio.checked = radio.value === (id ?? "new");
    requote();
  };

  /** Offers the saved addresses, if any: the default (listed first) chosen. */
  const offerSaved = (addresses: SavedAddress[]) => {
    if (addresses.length === 0) return;
    const choice = (value: string, ...label: (Node | string)[]) =>
      h("label", { class: "choice", "data-testid": "saved-address-option", "data-id": value },
        h("input", { type: "radio", name: "saved-address", value }), " ", ...label);
    replace(savedPicker,
      h("legend", null, "Ship to"),
      addresses.map((a) => choice(a.id, h("span", null, a.label ? h("strong", null, `${a.label}: `) : null, addressLine(a.address), a.default ? " (default)" : ""))),
      choice("new", "A new address"),
    );
    savedPicker.hidden = false;
    savedPicker.addEventListener("change", (e) => {
      const value = (e.target as HTMLInputElement).value;
      chooseSaved(addresses, value === "new" ? null : value);
      if (value === "new") inputOf(form, "shipping_address.line1")?.focus();
    });
    chooseSaved(addresses, (addresses.find((a) => a.default) ?? addresses[0]).id);
  };

  /** Quotes what is on screen now (the quoter skips a question already answered). */
  const requote = () =>
    quotes.update(addressOf(), reviewed.lines.filter((l) => !l.unavailable).map((l) => ({ productId: l.productId, quantity: l.quantity })));

  /** Takes the store's cart as the one to review, noting a change the customer did not make here. */
  const follow = () => {
    const now = cart();
    if (now.etag === reviewed.etag) return;
    reviewed = now;
    if (!ownChange) changedNote.hidden = false;
    drawSummary();
    requote();
  };

  const remove = (productId: string) => {
    clearProblem(form, summary);
    quietly(() => removeItem(productId)).catch((err) => {
      if (!isAbort(err)) showMessage(summary, inlineText(describe(err)));
    });
  };

  /** Each product's availability, once read: a line asking for more than is left says so before placing. */
  const stock = new Map<string, Availability>();
  const stockNote = (productId: string, quantity: number) => {
    const note = lineStockNote(stock.get(productId), quantity);
    return note ? h("p", { class: "error note", "data-testid": "checkout-line-stock" }, note) : null;
  };
  const readStock = () => {
    const ids = reviewed.lines.filter((l) => !l.unavailable && !stock.has(l.productId)).map((l) => l.productId);
    if (ids.length === 0) return;
    catalog.batchGetProducts({ ids }, { signal: route.signal }).then(
      (res) => {
        for (const p of res.products) if (p.availability) stock.set(p.id, p.availability);
        drawSummary();
      },
      () => {
        // A hint only: placing the order judges the stock anyway.
      },
    );
  };

  onCartChange(() => {
    follow();
    readStock();
  }, route.signal);
  readStock();
  drawShipping();
  drawSummary();
  form.querySelector("fieldset")!.addEventListener("input", requote);
  inputOf(form, "shipping_address.country_code")!.setAttribute("aria-describedby",
    `${inputOf(form, "shipping_address.country_code")!.getAttribute("aria-describedby")} ${notServed.id}`);
  requote();
  authClient.listAddresses({}, { signal: route.signal }).then(
    (res) => offerSaved(res.addresses),
    () => {
      // Without the saved addresses the customer types one, as before.
    },
  );

  function fillCard(number: string) {
    inputOf(form, "payment_method.card.number")!.value = number;
    inputOf(form, "payment_method.card.exp_month")!.value = "12";
    inputOf(form, "payment_method.card.exp_year")!.value = String(new Date().getFullYear() + 2);
    inputOf(form, "payment_method.card.cvc")!.value = "123";
  }
  const method = () => form.querySelector<HTMLInputElement>('input[name="method"]:checked')?.value ?? "card";
  form.addEventListener("change", (e) => {
    const input = e.target as HTMLInputElement;
    if (input.name === "shipping") {
      chosen = input.value;
      drawSummary();
    }
    if (input.name !== "method") return;
    cardPanel.hidden = method() !== "card";
    walletPanel.hidden = method() !== "wallet";
  });

  /** Reads the wallet's balance in the order's currency (each time the wallet is chosen: it may have been topped up); null if it cannot be read. */
  const readWallet = async (): Promise<bigint | null> => {
    walletBalance.textContent = "reading…";
    try {
      const w = await payments.getWallet({ currencyCode: currency }, { signal: route.signal });
      const balance = w.balance ?? { currencyCode: currency, amountMinor: 0n };
      walletBalance.textContent = formatMoney(balance);
      walletBalance.dataset.amountMinor = String(balance.amountMinor);
      walletMinor = balance.amountMinor;
      drawSummary();
      return walletMinor;
    } catch (err) {
      const p = describe(err);
      if (p.code !== Code.Canceled) walletBalance.textContent = `unavailable (${p.message})`;
      return null;
    }
  };
  form.addEventListener("change", (e) => {
    if ((e.target as HTMLInputElement).name === "method" && method() === "wallet") void readWallet();
  });

  /** Says the wallet cannot pay `total` from `balance`, and how to get store credit; nothing was placed. */
  const refuseWallet = (balanceMinor: bigint, totalMinor: bigint) => {
    const money = (amountMinor: bigint) => formatMoney({ currencyCode: currency, amountMinor });
    summary.replaceChildren(
      h("div", { "data-testid": "wallet-refusal", "data-balance-minor": String(balanceMinor), "data-total-minor": String(totalMinor) },
        h("p", null, walletShortText(money(balanceMinor), money(totalMinor))),
        h("p", null, HOW_TO_GET_CREDIT)),
    );
    summary.hidden = false;
    summary.focus();
  };

  /** Why an order failed: the reason, and for want of stock each product short, with the way back to the cart. */
  const showFailure = (order: Order) => {
    const short = order.failureReason === FailureReason.OUT_OF_STOCK ? order.shortfalls : [];
    replace(summary,
      h("p", null, failureText(order), " ",
        link(`/attempts/${encodeURIComponent(order.id)}`, { "data-testid": "failed-order-link" }, "See checkout attempt ", h("span", { class: "nowrap" }, orderNumber(order)))),
      short.length
        ? [
            h("ul", { "data-testid": "shortfalls" }, short.map((f) => h("li", { "data-testid": "shortfall", "data-product-id": f.productId }, `${shortfallText(f)}.`))),
            h("p", null, link("/cart", { "data-testid": "fix-cart" }, "Change the quantities in your cart"), ", then check out again."),
          ]
        : null,
    );
    summary.hidden = false;
    summary.focus();
  };

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

  /** Runs a change to the cart that this page makes itself, which needs no "it changed" note. */
  const quietly = async <T>(work: () => Promise<T>): Promise<T> => {
    ownChange = true;
    try {
      return await work();
    } finally {
      ownChange = false;
    }
  };

  /** After the quote was refused at placing: quote again (once) and show the new total, never placing at it unasked. */
  const requoteAfter = async (why: string) => {
    const q = await quotes.refresh();
    const total = due();
    if (q.kind === "ready" && total) {
      showMessage(summary, `${why} We have quoted shipping again, and the price may have changed: the total is now ${formatMoney(total)}. Please check it and place the order again.`);
    } else {
      showMessage(summary, `${why} Shipping could not be quoted again: see the shipping options below.`);
    }
    summary.focus();
  };

  /** Sends CheckoutCart when the total shown is final, or says what is missing. */
  const submit = async () => {
    clearProblem(form, summary);
    changedNote.hidden = true;
    const q = quotes.state();
    if (q.kind === "loading") {
      showMessage(summary, "Shipping to this address is still being worked out. Check the total, then place the order.");
      summary.focus();
      return;
    }
    if (q.kind === "failed") {
      await requoteAfter("Shipping had not been worked out for this address.");
      return;
    }
    // Without a quote (an incomplete address) the order is still sent: the
    // server then names every field to correct at once.
    const quote = q.kind === "ready" ? q.quote : undefined;
    const etag = reviewed.etag;
    // The wallet must cover the total shown: refuse here rather than place an order it cannot pay.
    const total = due();
    if (method() === "wallet" && total) {
      const balance = walletMinor ?? (await readWallet());
      if (balance !== null && !walletCovers(balance, total.amountMinor)) {
        refuseWallet(balance, total.amountMinor);
        return;
      }
    }
    try {
      const address = addressOf();
      const order = await checkoutCart(etag, paymentMethod(), address, { quoteId: quote?.id ?? "", option: quote ? chosen : "" });
      if (order.status !== OrderStatus.FAILED) {
        if (savedChoice === null && saveBox.checked) {
          // The order is placed whatever becomes of this: a refusal (the
          // account keeps 20 at most) only means the next checkout asks again.
          await authClient.createAddress({ savedAddress: { address } }).catch(() => {});
        }
        navigate(`/orders/${order.id}`);
        return;
      }
      // The attempt is kept (apart from the order history); the cart still holds its lines.
      showFailure(order);
      // The failure moves the cart to a new version: wait for it, so the
      // next attempt is a new order rather than the failed one returned again.
      if (!(await quietly(() => awaitNewVersion(etag, 15_000, route.signal)))) {
        summary.append(h("p", null, "Your cart could not be read again: please reload the page before trying again."));
      }
    } catch (err) {
      if (isAbort(err)) return;
      const problem = describe(err, { reasons: refusals });
      if (problem.reason === "INSUFFICIENT_FUNDS") {
        // Nothing was placed. The balance may have changed since it was read: show the server's figures.
        const balance = minorFromMetadata(problem.metadata.balance_minor) ?? walletMinor ?? 0n;
        const owed = minorFromMetadata(problem.metadata.total_minor) ?? total?.amountMinor ?? 0n;
        walletMinor = balance;
        walletBalance.textContent = formatMoney({ currencyCode: currency, amountMinor: balance });
        refuseWallet(balance, owed);
        return;
      }
      const why = requoteReason(problem);
      if (why) {
        await requoteAfter(why);
        return;
      }
      // The quote's own fields are missing because the address is: its fields say what to do.
      const fields = new Map([...problem.fields].filter(([path]) => !QUOTE_FIELDS.includes(path)));
      if (fields.size === 0 && problem.fields.size > 0) problem.message = "Complete the shipping address to see the shipping options.";
      if ([...fields.keys()].some((path) => path.startsWith("shipping_address."))) newAddress.hidden = false;
      showProblem(form, summary, { ...problem, fields });
      if (problem.reason === "PRODUCT_NOT_FOUND") {
        summary.append(h("p", null, link("/cart", null, "Review your cart")));
      }
      if (problem.reason in refusals) {
        // Show the cart as it is now (its flags may change without a new version).
        await quietly(() => loadCart(route.signal)).catch(() => {});
        reviewed = cart();
      }
    }
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void busy(place, "Placing order…", submit).then(drawSummary);
  });
}
