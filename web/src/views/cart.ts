// #/cart: the lines in the cart, with quantities, totals and a way to checkout.

import { Code } from "@connectrpc/connect";
import { catalog } from "../api";
import { cartLines, MAX_QUANTITY, onCartChange, refreshProducts, removeFromCart, setQuantity, type CartLine } from "../cart";
import { h, link, replace, title } from "../dom";
import { describe } from "../errors";
import { formatMoney, sumByCurrency } from "../money";
import type { Route } from "../router";

export function cartView(main: HTMLElement, route: Route): void {
  const body = h("div");
  const note = h("p", { class: "error", role: "alert", "data-testid": "page-error", hidden: true });
  main.append(title("Your cart"), note, body);
  /** Ids the catalog no longer knows. */
  const missing = new Set<string>();

  const render = () => {
    const focused = document.activeElement?.id;
    draw();
    // Keep the focus on the quantity being edited across the redraw.
    if (focused) document.getElementById(focused)?.focus();
  };
  const draw = () => {
    const lines = cartLines();
    if (lines.length === 0) {
      replace(body, h("p", { "data-testid": "cart-empty" }, "Your cart is empty. ", link("/", null, "Browse products")));
      return;
    }
    const totals = sumByCurrency(lines.map((l) => ({ currencyCode: l.currencyCode, amountMinor: BigInt(l.unitMinor) * BigInt(l.quantity) })));
    const blocked = lines.some((l) => missing.has(l.productId)) || totals.length > 1;
    replace(
      body,
      h("ul", { class: "lines" }, lines.map((l) => cartLine(l, missing.has(l.productId)))),
      h("p", { class: "total" }, "Total: ", h("strong", { "data-testid": "cart-total" }, totals.map(formatMoney).join(" + "))),
      totals.length > 1 ? h("p", { class: "error" }, "Products priced in different currencies cannot be ordered together.") : null,
      h("p", { class: "actions" },
        blocked
          ? h("span", { class: "muted" }, "Fix the cart to check out.")
          : link("/checkout", { class: "button", "data-testid": "checkout-link" }, "Check out"),
      ),
    );
  };

  onCartChange(render, route.signal);
  render();

  // Prices and names may have changed since the products were added.
  const ids = cartLines().map((l) => l.productId);
  if (ids.length) {
    catalog.batchGetProducts({ ids }, { signal: route.signal }).then(
      (res) => refreshProducts(res.products),
      (err) => {
        const p = describe(err);
        if (p.code === Code.Canceled) return;
        if (p.code === Code.NotFound && p.metadata.product_ids) {
          p.metadata.product_ids.split(",").forEach((id) => missing.add(id));
          render();
          return;
        }
        note.textContent = `Prices could not be refreshed: ${p.message}`;
        note.hidden = false;
      },
    );
  }
}

function cartLine(l: CartLine, gone: boolean): HTMLLIElement {
  const inputId = `qty-${l.productId}`;
  const qty = h("input", {
    id: inputId,
    type: "number",
    min: 1,
    max: MAX_QUANTITY,
    value: l.quantity,
    inputmode: "numeric",
    "data-testid": "cart-quantity",
  });
  qty.addEventListener("change", () => setQuantity(l.productId, Number(qty.value)));
  const unit = { currencyCode: l.currencyCode, amountMinor: BigInt(l.unitMinor) };
  return h(
    "li",
    { class: "line", "data-testid": "cart-line", "data-product-id": l.productId },
    h("div", { class: "grow" },
      link(`/product/${encodeURIComponent(l.productId)}`, null, l.name),
      h("div", { class: "muted" }, `${formatMoney(unit)} each`),
      gone ? h("div", { class: "error" }, "No longer available: please remove it.") : null,
      h("button", {
        type: "button",
        class: "link",
        "aria-label": `Remove ${l.name}`,
        "data-testid": "cart-remove",
        onclick: () => removeFromCart(l.productId),
      }, "Remove"),
    ),
    h("label", { for: inputId, class: "visually-hidden" }, `Quantity of ${l.name}`),
    qty,
    h("span", { class: "amount" }, formatMoney({ ...unit, amountMinor: unit.amountMinor * BigInt(l.quantity) })),
  );
}
