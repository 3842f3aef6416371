// A small table for the back office's lists: server paging with page tokens
// (Previous / Next: the tokens of the pages seen are kept, since a token
// only leads forward), and sorting by column headers that send an AIP-132
// order_by ("name", "name desc") and say the order with aria-sort. The
// table scrolls inside its own box on a narrow screen, never the page.

import { h, replace } from "../../dom";
import { problemFor } from "./shell";

type Cell = Node | string | null;

export interface Column<T> {
  label: string;
  /** The order_by field this column sorts by, if it sorts. */
  sort?: string;
  cell(row: T): Cell | Cell[];
  /** "num" aligns right. */
  className?: string;
}

export interface Page<T> {
  items: T[];
  next: string;
}

export interface TableOptions<T> {
  caption: string;
  testid: string;
  columns: Column<T>[];
  /** The first order_by, e.g. "create_time desc"; "" when the list has no sort. */
  orderBy: string;
  /** What to say when there are no rows. */
  empty: string;
  pageSize?: number;
  fetch(pageToken: string, orderBy: string, pageSize: number): Promise<Page<T>>;
  /** Called with each page's rows after it is shown (e.g. to fill in names). */
  onPage?(rows: T[], tbody: HTMLTableSectionElement): void;
  rowProps?(row: T): Record<string, string>;
}

export interface Table {
  element: HTMLElement;
  /** Loads the first page again (after a filter changed). */
  reload(): Promise<void>;
}

export function pagedTable<T>(o: TableOptions<T>): Table {
  const pageSize = o.pageSize ?? 10;
  let orderBy = o.orderBy;
  /** tokens[i] fetches page i; the first page's token is "". */
  let tokens = [""];
  let index = 0;
  let next = "";

  const headRow = h("tr");
  const tbody = h("tbody");
  const table = h("table", { class: "admin-table", "data-testid": o.testid },
    h("caption", { class: "visually-hidden" }, o.caption),
    h("thead", null, headRow),
    tbody,
  );
  const status = h("p", { class: "muted", role: "status", "data-testid": `${o.testid}-status` });
  const problem = h("div");
  const prev = h("button", { type: "button", class: "secondary", "data-testid": `${o.testid}-prev` }, "Previous");
  const more = h("button", { type: "button", class: "secondary", "data-testid": `${o.testid}-next` }, "Next");
  const where = h("span", { class: "muted", "data-testid": `${o.testid}-page` });
  const pager = h("nav", { class: "pager", "aria-label": `${o.caption}: pages` }, prev, where, more);
  const element = h("div", { class: "admin-list" },
    problem,
    h("div", { class: "table-wrap", role: "region", "aria-label": o.caption, tabindex: 0 }, table),
    status,
    pager,
  );

  const renderHead = () => {
    const [field, dir] = orderBy.split(/\s+/);
    replace(
      headRow,
      o.columns.map((c) => {
        if (!c.sort) return h("th", { scope: "col", class: c.className }, c.label);
        const active = c.sort === field;
        const desc = active && dir === "desc";
        const button = h("button", { type: "button", class: "sort", "data-testid": `sort-${c.sort}` }, c.label, h("span", { "aria-hidden": "true" }, active ? (desc ? " ▼" : " ▲") : ""));
        // First click sorts ascending, the next one descending.
        button.addEventListener("click", () => {
          orderBy = active && !desc ? `${c.sort} desc` : c.sort!;
          void reload();
        });
        return h("th", { scope: "col", class: c.className, "aria-sort": active ? (desc ? "descending" : "ascending") : "none" }, button);
      }),
    );
  };

  /** Counts loads, so an answer that arrives after a newer request was made is dropped. */
  let loads = 0;
  const load = async () => {
    const mine = ++loads;
    prev.disabled = more.disabled = true;
    status.textContent = "Loading…";
    status.hidden = false;
    try {
      const page = await o.fetch(tokens[index], orderBy, pageSize);
      if (mine !== loads) return;
      problem.replaceChildren();
      // The headers say the order of the rows shown, so they change with them
      // (keeping the keyboard focus on the header that was clicked).
      const focused = headRow.contains(document.activeElement) ? document.activeElement?.getAttribute("data-testid") : null;
      renderHead();
      if (focused) headRow.querySelector<HTMLElement>(`[data-testid="${focused}"]`)?.focus();
      replace(
        tbody,
        page.items.map((row) =>
          h("tr", o.rowProps?.(row) ?? null, o.columns.map((c) => h("td", { class: c.className }, c.cell(row)))),
        ),
      );
      next = page.next;
      status.textContent = page.items.length ? "" : o.empty;
      status.hidden = page.items.length > 0;
      where.textContent = `Page ${index + 1}`;
      prev.disabled = index === 0;
      more.disabled = !next;
      pager.hidden = index === 0 && !next;
      o.onPage?.(page.items, tbody);
    } catch (err) {
      if (mine !== loads) return;
      status.hidden = true;
      const box = problemFor(err);
      if (box) problem.replaceChildren(box);
    }
  };

  const reload = () => {
    tokens = [""];
    index = 0;
    return load();
  };
  prev.addEventListener("click", () => {
    if (index > 0) index--;
    void load();
  });
  more.addEventListener("click", () => {
    if (!next) return;
    tokens[index + 1] = next;
    index++;
    void load();
  });
  renderHead();
  return { element, reload };
}

/** A labelled <select> of [value, label] options. */
export function selectField(id: string, label: string, options: [string, string][], testid: string, value = ""): { wrap: HTMLElement; select: HTMLSelectElement } {
  const select = h("select", { id, "data-testid": testid }, options.map(([v, l]) => h("option", { value: v, selected: v === value }, l)));
  return { wrap: h("div", { class: "field" }, h("label", { for: id }, label), select), select };
}
