// #/cart: the lines in the server's cart, with quantities, totals, changed
// prices and products no longer sold, each product's availability (read
// with BatchGetProducts), and a way to checkout. A quantity the cart refuses
// says what was typed and what the line still holds.

import { catalog } from "../api";
import { lineStockNote } from "../availability";
import { cart, loadCart, MAX_QUANTITY, onCartChange, removeItem, setQuantity, unsendableQuantity, type WriteResult } from "../cart";
import { h, link, loading, replace, title } from "../dom";
import { describe, inlineText, isAbort } from "../errors";
import type { CartLine } from "../gen/shop/cart/v1/cart_pb";
import type { Availability } from "../gen/shop/catalog/v1/catalog_pb";
import { availabilityBadge } from "../pictures";
import { changedQuantityText, refusedQuantityText } from "../quantity";
import { cartTotals, hasUnavailable, lineAmount, lineNotes } from "../lines";
import { formatMoney } from "../money";
import type { Route } from "../router";

const changedElsewhere =
  "Your cart had changed elsewhere (on another device or tab), so it was read again: it is shown below as it is now.";
const conflict =
  "Your cart changed elsewhere (on another device or tab) while you were editing it. This is your cart as it is now: please check it and try again.";

export function cartView(main: HTMLElement, route: Route): void {
  const body = h("div", null, loading("Loading your cart…"));
  const note = h("p", { class: "error", role: "alert", "data-testid": "page-error", hidden: true });
  const info = h("p", { class: "notice", role: "status", "data-testid": "cart-changed", hidden: true });
  main.append(title("Your cart"), note, info, body);
  /** What the server said about a change to a line, by product id, until that line next changes. */
  const lineErrors = new Map<string, LineError>();
  /** Each product's availability, once read; a product not read (yet) shows none. */
  const stock = new Map<string, Availability>();
  let loaded = false;

  /** Reads the availability of products not read yet (the deleted ones cannot be read). */
  const readStock = () => {
    const ids = cart().lines.filter((l) => !l.unavailable && !stock.has(l.productId)).map((l) => l.productId);
    if (ids.length === 0) return;
    catalog.batchGetProducts({ ids }, { signal: route.signal }).then(
      (res) => {
        for (const p of res.products) if (p.availability) stock.set(p.id, p.availability);
        render(true);
      },
      () => {
        // Availability is a hint here: without it the lines show none, and checkout still judges.
      },
    );
  };

  /** Redraws the lines; `keepTyping` for news that is not about the cart (availability), which must not undo a quantity being typed. */
  const render = (keepTyping = false) => {
    if (!loaded) return;
    const active = document.activeElement;
    const focused = active?.id;
    const typed = keepTyping && active instanceof HTMLInputElement ? active.value : null;
    draw();
    // Keep the focus on the quantity being edited across the redraw.
    const now = focused ? document.getElementById(focused) : null;
    now?.focus();
    if (typed !== null && now instanceof HTMLInputElement) now.value = typed;
  };
  const draw = () => {
    const c = cart();
    if (c.lines.length === 0) {
      replace(body, h("p", { "data-testid": "cart-empty" }, "Your cart is empty. ", link("/", null, "Browse products")));
      return;
    }
    const totals = cartTotals(c);
    const unavailable = hasUnavailable(c);
    replace(
      body,
      h("ul", { class: "lines" }, c.lines.map((l) => cartLine(l, lineErrors.get(l.productId), stock.get(l.productId), change))),
      h("p", { class: "total" }, "Total: ", h("strong", { "data-testid": "cart-total" }, totals.map(formatMoney).join(" + ") || "–")),
      totals.length > 1 ? h("p", { class: "error" }, "Products priced in different currencies cannot be ordered together.") : null,
      h("p", { class: "actions" },
        unavailable
          ? h("span", { class: "error", "data-testid": "checkout-blocked" }, "Remove the products that are no longer available to check out.")
          : totals.length > 1
            ? h("span", { class: "muted", "data-testid": "checkout-blocked" }, "Fix the cart to check out.")
            : link("/checkout", { class: "button", "data-testid": "checkout-link" }, "Check out"),
      ),
    );
  };

  /** Runs one change to the line of `productId` (or shows why it cannot be sent), and says what became of it. */
  const change: Change = (productId, work, typed = "") => {
    lineErrors.delete(productId);
    info.hidden = true;
    note.hidden = true;
    if (typeof work === "string") {
      lineErrors.set(productId, { text: work, typed });
      render();
      return;
    }
    const holds = () => cart().lines.find((l) => l.productId === productId);
    const before = holds()?.quantity ?? 0;
    work().then(
      (res) => {
        if (res.refreshed) showInfo(changedElsewhere);
        // A quantity the cart took as another number must not pass in silence.
        const line = holds();
        const changed = typed && line && !res.refreshed ? changedQuantityText(line.productName, Number(typed), line.quantity) : "";
        if (changed) lineErrors.set(productId, { text: changed, typed: "" });
        render();
      },
      (err) => {
        if (isAbort(err)) return;
        const problem = describe(err);
        if (problem.reason === "ETAG_MISMATCH") showInfo(conflict);
        else {
          const text = inlineText(problem);
          lineErrors.set(productId, { text: problem.fields.has("quantity") ? refusedQuantityText(text, typed, before) : text, typed });
        }
        render();
      },
    );
  };
  const showInfo = (text: string) => {
    info.textContent = text;
    info.hidden = false;
  };

  onCartChange(() => render(), route.signal);
  loadCart(route.signal).then(
    () => {
      loaded = true;
      render();
      readStock();
      onCartChange(readStock, route.signal);
    },
    (err) => {
      if (isAbort(err)) return;
      replace(body);
      note.textContent = `Your cart could not be loaded: ${describe(err).message}`;
      note.hidden = false;
    },
  );
}

/** A refused change to a line; `typed` keeps a refused quantity in its input, so the two match. */
interface LineError {
  text: string;
  typed: string;
}

/** A change to send (or why it cannot be sent), with the quantity typed if it is one. */
type Change = (productId: string, work: (() => Promise<WriteResult>) | string, typed?: string) => void;

function cartLine(l: CartLine, error: LineError | undefined, availability: Availability | undefined, change: Change): HTMLLIElement {
  const inputId = `qty-${l.productId}`;
  const errorId = `qty-error-${l.productId}`;
  const qty = h("input", {
    id: inputId,
    type: "number",
    min: 1,
    max: MAX_QUANTITY,
    value: error?.typed || l.quantity,
    inputmode: "numeric",
    disabled: l.unavailable,
    "aria-invalid": error ? "true" : null,
    "aria-describedby": error ? errorId : null,
    "data-testid": "cart-quantity",
  });
  qty.addEventListener("change", () => {
    const quantity = Number(qty.value);
    change(l.productId, unsendableQuantity(quantity) || (() => setQuantity(l.productId, quantity)), qty.value);
  });
  return h(
    "li",
    { class: "line", "data-testid": "cart-line", "data-product-id": l.productId },
    h("div", { class: "grow" },
      link(`/product/${encodeURIComponent(l.productId)}`, null, l.productName),
      h("div", { class: "muted" }, `${formatMoney(l.unitPrice)} each`),
      lineNotes(l),
      l.unavailable ? null : stockNote(l, availability),
      error ? h("p", { class: "field-error", id: errorId, role: "alert", "data-testid": "cart-line-error" }, error.text) : null,
      h("button", {
        type: "button",
        class: "link",
        "aria-label": `Remove ${l.productName}`,
        "data-testid": "cart-remove",
        onclick: () => change(l.productId, () => removeItem(l.productId)),
      }, "Remove"),
    ),
    h("label", { for: inputId, class: "visually-hidden" }, `Quantity of ${l.productName}`),
    qty,
    h("span", { class: "amount" }, l.unavailable ? "" : formatMoney(lineAmount(l))),
  );
}

/** The line's availability: the badge, and what to do when it asks for more than is left. */
function stockNote(l: CartLine, availability: Availability | undefined): HTMLElement | null {
  const badge = availabilityBadge(availability);
  if (!badge) return null;
  const note = lineStockNote(availability, l.quantity);
  return h("p", { class: note ? "note error" : "note", "data-testid": "cart-line-stock" }, badge, note ? ` ${note}` : null);
}
