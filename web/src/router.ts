// Hash routes (#/orders/42) so the gateway only ever serves index.html and
// assets. Each navigation gets an AbortSignal that fires when the person
// leaves the page, which cancels its requests and streams.

export interface Route {
  /** Captured path parts, e.g. the id in /orders/<id>. */
  params: string[];
  query: URLSearchParams;
  signal: AbortSignal;
}

export type View = (main: HTMLElement, route: Route) => void | Promise<void>;

/** The current route, e.g. "/orders?x=1" for "#/orders?x=1". */
export function currentRoute(): string {
  return location.hash.replace(/^#/, "") || "/";
}

export function navigate(route: string): void {
  if (currentRoute() === route) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = route;
}

/** Sends the person to log in, then back to `back` (default: where they are). */
export function toLogin(back = currentRoute()): void {
  navigate(`/login?next=${encodeURIComponent(back)}`);
}

function decodeParams(raw: string[]): string[] | null {
  try {
    return raw.map(decodeURIComponent);
  } catch {
    return null;
  }
}

export function startRouter(main: HTMLElement, routes: [RegExp, View][], notFound: View): void {
  let controller: AbortController | null = null;
  let first = true;

  const render = () => {
    controller?.abort();
    controller = new AbortController();
    const [path, search = ""] = currentRoute().split("?", 2);
    let view = notFound;
    let params: string[] = [];
    for (const [pattern, v] of routes) {
      const m = pattern.exec(path);
      if (m) {
        // A malformed escape (#/orders/%E0) cannot name anything: not found, rather than a blank page.
        const decoded = decodeParams(m.slice(1));
        if (decoded) [view, params] = [v, decoded];
        break;
      }
    }
    main.replaceChildren();
    const route = { params, query: new URLSearchParams(search), signal: controller.signal };
    void Promise.resolve(view(main, route)).catch((err) => console.error("view failed", err));
    if (!first) {
      // Move focus to the new page's heading so screen readers announce it.
      main.querySelector<HTMLElement>("h1")?.focus();
      window.scrollTo(0, 0);
    }
    first = false;
  };

  window.addEventListener("hashchange", render);
  render();
}
