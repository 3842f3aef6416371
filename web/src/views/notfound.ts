// Any route the storefront does not know (a mistyped or outdated link, e.g.
// #/nope): says so, shows the address asked for, and offers the way home.

import { h, link, title } from "../dom";
import { currentRoute, type View } from "../router";

export const notFoundView: View = (main) => {
  main.append(
    title("Page not found"),
    h("p", null, "There is no page at ", h("code", { class: "route", "data-testid": "not-found-route" }, `#${currentRoute()}`), " in this shop. The link may be mistyped or out of date."),
    h("p", null, link("/", { "data-testid": "not-found-home" }, "Go to the shop's home page"), " to browse and search the products."),
  );
};
