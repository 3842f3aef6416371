// #/?q=<text>&category=<slug>: the product list, with search, a category
// filter (every category, from ListCategories, with its number of products)
// and "Show more" paging through ListProducts' page tokens. Each card shows
// the product's first picture and its availability; a product out of stock
// cannot be added.

import { catalog } from "../api";
import { addItem, cart } from "../cart";
import { h, link, loading, replace, title } from "../dom";
import { describe, inlineText, isAbort } from "../errors";
import type { Category, Product } from "../gen/shop/catalog/v1/catalog_pb";
import { canAdd } from "../availability";
import { availabilityBadge, gridPicture } from "../pictures";
import { announce } from "../announce";
import { problemBox } from "../forms";
import { formatMoney } from "../money";
import { changedQuantityText, refusedQuantityText } from "../quantity";
import { navigate, type Route } from "../router";

const PAGE_SIZE = 12;
/** The categories as ListCategories last answered, so the menu is full at once on the next visit. */
let knownCategories: Category[] = [];

export function catalogView(main: HTMLElement, route: Route): void {
  const query = route.query.get("q") ?? "";
  const category = route.query.get("category") ?? "";

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
    const listed = knownCategories.some((c) => c.slug === category);
    select.replaceChildren(
      h("option", { value: "" }, "All categories"),
      ...knownCategories.map((c) =>
        h("option", { value: c.slug, selected: c.slug === category, "data-count": String(c.productCount) }, `${c.slug} (${c.productCount})`)),
    );
    // A category typed into the address that has no products (any more) stays selectable as it is.
    if (category && !listed) select.append(h("option", { value: category, selected: true }, `${category} (0)`));
  };
  fillCategories();
  catalog.listCategories({}, { signal: route.signal }).then(
    (res) => {
      knownCategories = res.categories;
      fillCategories();
    },
    () => {
      // Without the list, the menu offers what it had; searching still works.
    },
  );

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
      for (const p of res.products) list.append(productCard(p));
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
  const n = ++cards;
  const nameId = `product-name-${n}`;
  const badge = availabilityBadge(p.availability, `product-availability-${n}`);
  const buyable = canAdd(p.availability);
  // The name stays the visible "Add to cart" (what voice control users say);
  // the product's name is read after it as the description, then why it cannot be added.
  const add = h("button", {
    type: "button",
    "data-testid": "add-to-cart",
    "aria-describedby": buyable || !badge ? nameId : `${nameId} ${badge.id}`,
    disabled: !buyable,
  }, "Add to cart");
  const error = h("p", { class: "field-error", role: "alert", "data-testid": "add-error", hidden: true });
  add.addEventListener("click", () => addAndConfirm(p, 1, add, error));
  return h(
    "li",
    { class: "card", "data-testid": "product-card", "data-product-id": p.id },
    gridPicture(p),
    h("h2", { id: nameId }, link(`/product/${encodeURIComponent(p.id)}`, { "data-testid": "product-link" }, p.name)),
    h("p", { class: "tag" }, link(`/?category=${encodeURIComponent(p.category)}`, null, p.category)),
    h("p", { class: "desc" }, p.description),
    badge ? h("p", { class: "stock" }, badge) : null,
    h("div", { class: "buy" }, h("span", { class: "price", "data-testid": "product-price", "data-amount-minor": String(p.price?.amountMinor ?? "") }, formatMoney(p.price)), add),
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
  const holds = () => cart().lines.find((l) => l.productId === p.id)?.quantity ?? 0;
  const before = holds();
  addItem(p.id, quantity).then(
    (res) => {
      button.disabled = false;
      // The cart refuses what it cannot hold; should it ever hold another number than asked, say so.
      const changed = res.refreshed ? "" : changedQuantityText(p.name, before + quantity, holds());
      if (changed) {
        error.textContent = changed;
        error.hidden = false;
      }
      const said = changed || `Added ${quantity} × ${p.name} to your cart.`;
      announce(res.refreshed ? `${said} Your cart had changed elsewhere; the cart page shows it as it is now.` : said);
      button.textContent = "Added ✓";
      setTimeout(() => (button.textContent = label), 1200);
    },
    (err) => {
      button.disabled = false;
      if (isAbort(err)) return;
      const problem = describe(err);
      const text = inlineText(problem);
      error.textContent = problem.fields.has("quantity") ? refusedQuantityText(text, String(quantity), before) : text;
      error.hidden = false;
      announce(error.textContent);
    },
  );
}
