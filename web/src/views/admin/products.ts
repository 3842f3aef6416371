// #/admin/products: the catalog as a sortable, paged table with each
// product's availability and stock; #/admin/products/new creates one;
// #/admin/products/<id> edits it (with its etag, so a change made by someone
// else in between is refused, not overwritten), deletes it, and manages its
// images (upload, delete, reorder).

import { Code } from "@connectrpc/connect";
import { catalog } from "../../api";
import { announce } from "../../announce";
import { h, link, loading, replace } from "../../dom";
import { clearProblem, field, formError, refuseInvalid, showMessage, showProblem, valueOf, busy } from "../../forms";
import type { Product, ProductImage } from "../../gen/shop/catalog/v1/catalog_pb";
import { formatMoney } from "../../money";
import { navigate, type Route } from "../../router";
import { formatTime } from "../../status";
import { inventory } from "./clients";
import { adminPage, adminProblem, problemFor } from "./shell";
import { pagedTable } from "./table";
import { availabilityText, majorText, parseMinor } from "./values";

const MAX_IMAGE_BYTES = 4 * 1024 * 1024;
const FIELDS = ["name", "description", "category", "price", "weight_grams"];

export async function adminProductsView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "products", "Products"))) return;
  const search = h("input", { id: "admin-product-q", type: "search", maxlength: 100, "data-testid": "admin-product-query" });
  let query = "";
  const table = pagedTable<Product>({
    caption: "Products",
    testid: "admin-products",
    orderBy: "create_time",
    empty: "No products match.",
    columns: [
      { label: "Name", sort: "name", cell: (p) => link(`/admin/products/${p.id}`, { "data-testid": "admin-product-link" }, p.name) },
      { label: "Category", cell: (p) => p.category },
      { label: "Price", sort: "price", className: "num", cell: (p) => formatMoney(p.price) },
      { label: "Availability", cell: (p) => h("span", { "data-testid": "admin-product-availability" }, availabilityText(p.availability)) },
      { label: "Stock", className: "num", cell: () => h("span", { class: "stock muted" }, "…") },
      { label: "Images", className: "num", cell: (p) => String(p.images.length) },
      { label: "Created", sort: "create_time", cell: (p) => formatTime(p.createTime) },
      { label: "Stock page", cell: (p) => link(`/admin/stock/${p.id}`, { "aria-label": `Stock of ${p.name}` }, "Stock") },
    ],
    rowProps: (p) => ({ "data-product-id": p.id, "data-testid": "admin-product-row" }),
    fetch: async (pageToken, orderBy, pageSize) => {
      const res = await catalog.listProducts({ pageToken, orderBy, pageSize, query }, { signal: route.signal });
      return { items: res.products, next: res.nextPageToken };
    },
    onPage: (rows, tbody) => {
      // Stock needs an admin's call per product: fill the column in as answers come.
      rows.forEach((p, i) => {
        const cell = tbody.rows[i]?.querySelector(".stock");
        inventory.getStock({ productId: p.id }, { signal: route.signal }).then(
          (s) => cell && replace(cell as HTMLElement, `${s.available} (+${s.reserved} held)`),
          () => cell && replace(cell as HTMLElement, "—"),
        );
      });
    },
  });
  const form = h("form", { class: "search", role: "search", onsubmit: (e: Event) => {
    e.preventDefault();
    query = search.value.trim();
    void table.reload();
  } },
    h("label", { for: "admin-product-q", class: "visually-hidden" }, "Search products"),
    search,
    h("button", { type: "submit" }, "Search"),
  );
  main.append(
    h("p", null, link("/admin/products/new", { class: "button", "data-testid": "admin-new-product" }, "New product")),
    form,
    table.element,
  );
  await table.reload();
}

function textarea(path: string, label: string, testid: string, value: string): HTMLDivElement {
  // The same id scheme as forms.ts's fields, so server errors land here too.
  const id = `f-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
  return h("div", { class: "field" },
    h("label", { for: id }, label, h("span", { class: "muted" }, " (optional)")),
    h("textarea", { id, name: path, rows: 4, maxlength: 5000, "data-testid": testid, "aria-describedby": `${id}-error` }, value),
    h("p", { class: "field-error", id: `${id}-error`, "data-field": path, hidden: true }),
  );
}

/** The product's fields as a form: create when `p` is null, else edit. */
function productForm(p: Product | null, onSave: (form: HTMLFormElement, summary: HTMLElement, saved: HTMLElement) => Promise<void>): HTMLFormElement {
  const summary = formError();
  const save = h("button", { type: "submit", "data-testid": "product-save" }, p ? "Save changes" : "Create product");
  const saved = h("span", { class: "muted", role: "status", "data-testid": "product-saved" });
  const form = h("form", { class: "stack narrow", novalidate: true, "data-testid": "product-form" },
    summary,
    field({ path: "product.name", label: "Name", testid: "product-name", value: p?.name, maxlength: 200 }),
    textarea("product.description", "Description", "product-description", p?.description ?? ""),
    field({ path: "product.category", label: "Category", testid: "product-category", value: p?.category, maxlength: 50, hint: "Lower-case letters, digits and -, e.g. coffee" }),
    field({ path: "product.price.amount_minor", label: "Price (USD)", testid: "product-price", value: majorText(p?.price?.amountMinor), inputmode: "decimal", hint: "e.g. 12.50" }),
    field({ path: "product.weight_grams", label: "Weight in grams", testid: "product-weight", value: p ? String(p.weightGrams) : "", inputmode: "numeric", optional: true }),
    p ? null : field({ path: "initial_stock", label: "Units in stock", testid: "product-initial-stock", value: "0", inputmode: "numeric" }),
    h("div", { class: "row" }, save, saved),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    saved.textContent = "";
    void busy(save, "Saving…", () => onSave(form, summary, saved));
  });
  return form;
}

/** What the form holds, checked; null after showing what is wrong. */
function readForm(form: HTMLFormElement, summary: HTMLElement, creating: boolean) {
  const bad = new Map<string, string>();
  const name = valueOf(form, "product.name");
  const category = valueOf(form, "product.category");
  const price = parseMinor(valueOf(form, "product.price.amount_minor"));
  const weightRaw = valueOf(form, "product.weight_grams") || "0";
  const stockRaw = creating ? valueOf(form, "initial_stock") || "0" : "0";
  if (!name) bad.set("product.name", "enter a name");
  if (!/^[a-z0-9-]{1,50}$/.test(category)) bad.set("product.category", "use 1 to 50 lower-case letters, digits or -");
  if (price === null || price > 100_000_000n) bad.set("product.price.amount_minor", "enter a price such as 12.50, at most 1000000");
  if (!/^\d{1,7}$/.test(weightRaw) || Number(weightRaw) > 1_000_000) bad.set("product.weight_grams", "enter whole grams, 0 to 1000000");
  if (!/^\d{1,7}$/.test(stockRaw) || Number(stockRaw) > 1_000_000) bad.set("initial_stock", "enter whole units, 0 to 1000000");
  if (refuseInvalid(form, summary, bad)) return null;
  const description = form.querySelector<HTMLTextAreaElement>("textarea")?.value ?? "";
  return {
    product: { name, description, category, price: { currencyCode: "USD", amountMinor: price! }, weightGrams: Number(weightRaw) },
    initialStock: BigInt(stockRaw),
  };
}

export async function adminNewProductView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "products", "New product"))) return;
  main.append(
    productForm(null, async (form, summary) => {
      const read = readForm(form, summary, true);
      if (!read) return;
      try {
        const made = await catalog.createProduct(read, { signal: route.signal });
        announce(`Created ${made.name}.`);
        navigate(`/admin/products/${made.id}`);
      } catch (err) {
        showProblem(form, summary, adminProblem(err));
      }
    }),
  );
}

export async function adminProductView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "products", "Edit product"))) return;
  const id = route.params[0];
  const body = h("div", { class: "stack" }, loading());
  main.append(body);
  let p: Product;
  try {
    p = await catalog.getProduct({ id }, { signal: route.signal });
  } catch (err) {
    replace(body, problemFor(err));
    return;
  }
  const heading = main.querySelector("h1");
  if (heading) heading.textContent = `Edit ${p.name}`;
  const reload = () => navigate(`/admin/products/${id}`);
  const form = productForm(p, async (form, summary, saved) => {
    const read = readForm(form, summary, false);
    if (!read) return;
    try {
      p = await catalog.updateProduct(
        { product: { ...read.product, id, etag: p.etag }, updateMask: { paths: FIELDS } },
        { signal: route.signal },
      );
      clearProblem(form, summary);
      saved.textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
    } catch (err) {
      const problem = adminProblem(err);
      if (problem.code === Code.Aborted) {
        const again = h("button", { type: "button", class: "secondary", "data-testid": "product-reload", onclick: reload }, "Reload the product");
        showMessage(summary, "This product was changed by someone else since you opened it. Reload it to see their changes, then make yours again. ", again);
        summary.focus();
      } else showProblem(form, summary, problem);
    }
  });
  replace(
    body,
    h("p", { class: "muted" }, "Shown in the shop as ", link(`/product/${id}`, null, p.name), ` · ${availabilityText(p.availability)} · `, link(`/admin/stock/${id}`, { "data-testid": "product-stock-link" }, "Stock")),
    form,
    imagesSection(p, route),
    deleteSection(p, route),
  );
}

function deleteSection(p: Product, route: Route): HTMLElement {
  const slot = h("div");
  const ask = h("button", { type: "button", class: "danger", "data-testid": "product-delete" }, "Delete product");
  ask.addEventListener("click", () => {
    const yes = h("button", { type: "button", class: "danger", "data-testid": "product-delete-confirm" }, "Yes, delete it");
    const no = h("button", { type: "button", class: "secondary", onclick: () => { confirm.remove(); ask.hidden = false; ask.focus(); } }, "Keep it");
    const problem = h("div");
    const confirm = h("div", { class: "notice", role: "alertdialog", "aria-labelledby": "delete-q" },
      h("p", { id: "delete-q" }, `Delete “${p.name}”? It disappears from the shop; orders keep their copy.`),
      h("p", { class: "row" }, yes, no), problem);
    yes.addEventListener("click", () =>
      void busy(yes, "Deleting…", async () => {
        try {
          await catalog.deleteProduct({ id: p.id, etag: p.etag }, { signal: route.signal });
          announce(`Deleted ${p.name}.`);
          navigate("/admin/products");
        } catch (err) {
          replace(problem, problemFor(err));
        }
      }),
    );
    ask.hidden = true;
    slot.append(confirm);
    yes.focus();
  });
  return h("section", { "aria-labelledby": "danger-h" }, h("h2", { id: "danger-h" }, "Delete"), ask, slot);
}

function imagesSection(product: Product, route: Route): HTMLElement {
  let images = product.images;
  const list = h("ul", { class: "admin-images", "data-testid": "product-images" });
  const problem = h("div", { role: "alert" });
  const fail = (err: unknown) => replace(problem, problemFor(err));

  const render = () => {
    replace(
      list,
      images.length === 0 ? h("li", { class: "muted" }, "No images yet: the shop shows the product without a picture.") : null,
      images.map((img, i) => imageItem(img, i)),
    );
  };
  const reorder = async (ids: string[]) => {
    problem.replaceChildren();
    try {
      images = (await catalog.reorderProductImages({ productId: product.id, imageIds: ids }, { signal: route.signal })).images;
      render();
      announce("Images reordered.");
    } catch (err) {
      fail(err);
    }
  };
  const move = (i: number, by: number) => {
    const ids = images.map((x) => x.id);
    [ids[i], ids[i + by]] = [ids[i + by], ids[i]];
    void reorder(ids);
  };
  function imageItem(img: ProductImage, i: number): HTMLLIElement {
    const alt = img.altText || product.name;
    const del = h("button", { type: "button", class: "secondary", "data-testid": "image-delete" }, "Delete");
    del.addEventListener("click", () =>
      void busy(del, "Deleting…", async () => {
        problem.replaceChildren();
        try {
          await catalog.deleteProductImage({ productId: product.id, imageId: img.id }, { signal: route.signal });
          images = images.filter((x) => x.id !== img.id);
          render();
          announce("Image deleted.");
        } catch (err) {
          fail(err);
        }
      }),
    );
    return h("li", { "data-testid": "product-image", "data-image-id": img.id },
      h("img", { src: img.thumbnailUrl, alt, width: 96, height: 96, loading: "lazy" }),
      h("div", { class: "image-meta" },
        h("span", null, i === 0 ? "Shown in the grid" : `Image ${i + 1}`),
        h("span", { class: "row" },
          h("button", { type: "button", class: "secondary", disabled: i === 0, "aria-label": `Move image ${i + 1} up`, "data-testid": "image-up", onclick: () => move(i, -1) }, "Up"),
          h("button", { type: "button", class: "secondary", disabled: i === images.length - 1, "aria-label": `Move image ${i + 1} down`, "data-testid": "image-down", onclick: () => move(i, 1) }, "Down"),
          del,
        ),
      ),
    );
  }

  const file = h("input", { id: "image-file", type: "file", accept: "image/jpeg,image/png,image/webp", "data-testid": "image-file", "aria-describedby": "image-file-hint" });
  const altInput = h("input", { id: "image-alt", type: "text", maxlength: 200, "data-testid": "image-alt" });
  const upload = h("button", { type: "submit", "data-testid": "image-upload" }, "Upload image");
  const form = h("form", { class: "stack narrow", "data-testid": "image-form" },
    h("div", { class: "field" }, h("label", { for: "image-file" }, "Image file"), file,
      h("p", { class: "hint", id: "image-file-hint" }, "JPEG, PNG or WebP, at most 4 MiB; up to 8 images.")),
    h("div", { class: "field" }, h("label", { for: "image-alt" }, "Description for screen readers", h("span", { class: "muted" }, " (optional)")), altInput),
    h("div", null, upload),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    problem.replaceChildren();
    const chosen = file.files?.[0];
    if (!chosen) return void replace(problem, h("p", { class: "form-error" }, "Choose an image file first."));
    if (chosen.size > MAX_IMAGE_BYTES) return void replace(problem, h("p", { class: "form-error" }, "That file is over 4 MiB."));
    void busy(upload, "Uploading…", async () => {
      try {
        const content = new Uint8Array(await chosen.arrayBuffer());
        const added = await catalog.addProductImage({ productId: product.id, content, altText: altInput.value.trim() }, { signal: route.signal });
        images = [...images, added];
        render();
        form.reset();
        announce("Image uploaded.");
      } catch (err) {
        fail(err);
      }
    });
  });
  render();
  return h("section", { "aria-labelledby": "images-h" }, h("h2", { id: "images-h" }, "Images"), problem, list, form);
}

