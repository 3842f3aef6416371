// A tiny DOM builder, so views read like markup without a framework:
//   h("button", { type: "button", onclick: save, "data-testid": "save" }, "Save")

type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (event: any) => void;
type Props = Record<string, string | number | boolean | null | undefined | Handler>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (typeof value === "function") {
      el.addEventListener(key.replace(/^on/, ""), value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children, skipping null/undefined/false and flattening arrays. */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `parent` with `children`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** An in-app link: `href` is a route such as "/orders" (becomes "#/orders"). */
export function link(route: string, props: Props | null, ...children: Child[]): HTMLAnchorElement {
  return h("a", { ...props, href: `#${route}` }, ...children);
}

/** A page heading that the router focuses after navigation (for screen readers). */
export function title(text: string): HTMLHeadingElement {
  document.title = `${text} · Shop`;
  return h("h1", { tabindex: -1 }, text);
}

/** "Loading…" placeholder announced politely. */
export function loading(what = "Loading…"): HTMLParagraphElement {
  return h("p", { class: "muted", role: "status" }, what);
}
