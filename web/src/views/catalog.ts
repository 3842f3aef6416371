// #/?q=<text>&category=<slug>: the product list, with search, a category
// filter and "Show more" paging through ListProducts' page tokens.

import { catalog } from "../api";
import { addItem } from "../cart";
import { h, link, loading, replace, title } from "../dom";
import { describe, inlineText, isAbort } from "../errors";
import type { Product } from "../gen/shop/catalog/v1/catalog_pb";
import { announce } from "../announce";
import { problemBox } from "../forms";
import { formatMoney } from "../money";
import { navigate, type Route } from "../router";
import { availabilityText } from "./admin/values";

const PAGE_SIZE = 12;
/** Categories seen so far; the API has no list of them. */
const knownCategories = new Set<string>();

export function catalogView(main: HTMLElement, route: Route): void {
  const query = route.query.get("q") ?? "";
  const category = route.query.get("category") ?? "";
  if (category) knownCategories.add(category);

  const search = h("input", {
    id: "search",
    type: "search",
    name: "q",
    value: query,
    maxlength: 100,
    placeholder: "Search products",
    "data-testid": "search-input",
  });
  const select = h("select", { id: "category", name: "category", "data-testid": "category-select" });
  const fillCategories = () => {
    select.replaceChildren(
      h("option", { value: "" }, "All categories"),
      ...[...knownCategories].sort().map((c) => h("option", { value: c, selected: c === category }, c)),
    );
  };
  fillCategories();

  const apply = (q: string, c: string) => {
    const params = new URLSearchParams();
    if (q) params.set("q", q);
    if (c) params.set("category", c);
    const s = params.toString();
    navigate(s ? `/?${s}` : "/");
  };
  const form = h(
    "form",
    {
      class: "search",
      role: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        apply(search.value.trim(), select.value);
      },
    },
    h("label", { for: "search", class: "visually-hidden" }, "Search products"),
    search,
    h("label", { for: "category", class: "visually-hidden" }, "Category"),
    select,
    h("button", { type: "submit", "data-testid": "search-submit" }, "Search"),
  );
  select.addEventListener("change", () => apply(search.value.trim(), select.value));

  const heading = query || category ? "Search results" : "Products";
  const list = h("ul", { class: "products", "data-testid": "product-list" });
  const status = loading("Loading products…");
  const more = h("button", { type: "button", class: "secondary", hidden: true, "data-testid": "load-more" }, "Show more");

  const problemSlot = h("div");
  main.append(title(heading), form, status, problemSlot, list, h("p", { class: "center" }, more));

  let token = "";
  const loadPage = async () => {
    more.disabled = true;
    try {
      const res = await catalog.listProducts(
        { pageSize: PAGE_SIZE, pageToken: token, category, query },
        { signal: route.signal },
      );
      problemSlot.replaceChildren();
      for (const p of res.products) {
        knownCategories.add(p.category);
        list.append(productCard(p));
      }
      fillCategories();
      token = res.nextPageToken;
      more.hidden = !token;
      status.textContent =
        list.children.length === 0 ? (query || category ? "No products match your search." : "No products yet.") : "";
      status.hidden = list.children.length > 0;
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

/** Numbers the cards' headings, so each "Add to cart" can point at its product's name. */
let cards = 0;

function productCard(p: Product): HTMLLIElement {
  const nameId = `product-name-${++cards}`;
  // The name stays the visible "Add to cart" (what voice control users say);
  // the product's name is read after it as the description.
  const add = h("button", { type: "button", "data-testid": "add-to-cart", "aria-describedby": nameId }, "Add to cart");
  const error = h("p", { class: "field-error", role: "alert", "data-testid": "add-error", hidden: true });
  add.addEventListener("click", () => addAndConfirm(p, 1, add, error));
  const image = p.images[0];
  return h(
    "li",
    { class: "card", "data-testid": "product-card", "data-product-id": p.id },
    // The name is the heading next to it: the picture needs only its own description, if any.
    image ? h("img", { class: "thumb", src: image.thumbnailUrl, alt: image.altText, loading: "lazy", "data-testid": "product-image" }) : null,
    h("h2", { id: nameId }, link(`/product/${encodeURIComponent(p.id)}`, { "data-testid": "product-link" }, p.name)),
    h("p", { class: "tag" }, link(`/?category=${encodeURIComponent(p.category)}`, null, p.category)),
    h("p", { class: "desc" }, p.description),
    p.availability?.status ? h("p", { class: "note", "data-testid": "product-availability" }, availabilityText(p.availability)) : null,
    h("div", { class: "buy" }, h("span", { class: "price", "data-testid": "product-price" }, formatMoney(p.price)), add),
    error,
  );
}

/**
 * Adds to the cart and says so on the button and to screen readers; what the
 * server refused (a full cart, too many of one product) goes into `error`.
 */
export function addAndConfirm(p: Product, quantity: number, button: HTMLButtonElement, error: HTMLElement): void {
  error.hidden = true;
  const label = button.textContent;
  button.disabled = true;
  addItem(p.id, quantity).then(
    (res) => {
      button.disabled = false;
      const said = `Added ${quantity} × ${p.name} to your cart.`;
      announce(res.refreshed ? `${said} Your cart had changed elsewhere; the cart page shows it as it is now.` : said);
      button.textContent = "Added ✓";
      setTimeout(() => (button.textContent = label), 1200);
    },
    (err) => {
      button.disabled = false;
      if (isAbort(err)) return;
      error.textContent = inlineText(describe(err));
      error.hidden = false;
      announce(error.textContent);
    },
  );
}
