// #/product/<id>: one product, with its pictures (a gallery), its
// availability, a quantity and "Add to cart" (not offered out of stock).

import { Code } from "@connectrpc/connect";
import { catalog } from "../api";
import { canAdd } from "../availability";
import { MAX_QUANTITY, unsendableQuantity } from "../cart";
import { h, link, loading, replace, title } from "../dom";
import { describe, isAbort } from "../errors";
import { problemBox } from "../forms";
import { formatMoney } from "../money";
import { availabilityBadge, gallery } from "../pictures";
import type { Route } from "../router";
import { addAndConfirm } from "./catalog";

const gone = "This product does not exist or is no longer sold.";

export async function productView(main: HTMLElement, route: Route): Promise<void> {
  const [id] = route.params;
  const back = h("p", null, link("/", null, "← All products"));
  const body = h("div", null, loading("Loading product…"));
  main.append(back, title("Product"), body);
  try {
    const p = await catalog.getProduct({ id }, { signal: route.signal });
    const badge = availabilityBadge(p.availability, "product-availability");
    const buyable = canAdd(p.availability);
    const quantity = h("input", {
      id: "quantity",
      type: "number",
      min: 1,
      max: MAX_QUANTITY,
      value: 1,
      inputmode: "numeric",
      disabled: !buyable,
      "data-testid": "product-quantity",
    });
    const add = h("button", {
      type: "button",
      "data-testid": "add-to-cart",
      disabled: !buyable,
      "aria-describedby": !buyable && badge ? "product-availability out-of-stock-note" : null,
    }, "Add to cart");
    const error = h("p", { class: "field-error", role: "alert", "data-testid": "add-error", hidden: true });
    add.addEventListener("click", () => {
      const n = Number(quantity.value);
      error.textContent = unsendableQuantity(n);
      error.hidden = !error.textContent;
      if (error.hidden) addAndConfirm(p, n, add, error);
    });
    const placeholder = main.querySelector("h1");
    const hadFocus = document.activeElement === placeholder;
    const heading = title(p.name);
    placeholder?.replaceWith(heading);
    replace(
      body,
      h("article", { class: "product", "data-testid": "product-detail", "data-product-id": p.id },
        gallery(p),
        h("div", { class: "about" },
          h("p", { class: "tag" }, link(`/?category=${encodeURIComponent(p.category)}`, null, p.category)),
          h("p", { class: "price big", "data-testid": "product-price" }, formatMoney(p.price)),
          badge ? h("p", { class: "stock" }, badge) : null,
          h("p", { class: "desc" }, p.description),
          h("div", { class: "buy" },
            h("label", { for: "quantity" }, "Quantity"),
            quantity,
            add,
          ),
          buyable ? null : h("p", { class: "muted", id: "out-of-stock-note", "data-testid": "out-of-stock-note" },
            "This product is out of stock, so it cannot be added to the cart now."),
          error,
          h("p", null, link("/cart", null, "Go to cart →")),
        ),
      ),
    );
    if (hadFocus) heading.focus();
  } catch (err) {
    if (isAbort(err)) return;
    replace(body, problemBox(describe(err, { [Code.NotFound]: gone, [Code.InvalidArgument]: gone })));
  }
}
