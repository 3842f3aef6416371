// #/account/addresses: the signed-in customer's saved shipping addresses
// (ListAddresses): each with its label, the default marked, and Edit
// (UpdateAddress with the etag read, so an edit made meanwhile in another
// tab is not overwritten), Make default (SetDefaultAddress) and Delete
// (DeleteAddress, after asking); and a form to add one (CreateAddress).
// Checkout offers them, the default first. Logged out, it shows only a way
// to log in.

import "./account.css";
import { authClient } from "../api";
import { addressFields, addressLine, plainAddress, readAddress } from "../addressform";
import { h, link, loading, replace, title } from "../dom";
import { describe, isAbort } from "../errors";
import { busy, clearProblem, field, formError, problemBox, showProblem, valueOf } from "../forms";
import type { SavedAddress } from "../gen/shop/auth/v1/auth_pb";
import { type Route } from "../router";
import { onSessionChange, session } from "../session";

/** The most addresses an account keeps (auth.proto's CreateAddress). */
const MAX_ADDRESSES = 20;

function loggedOut(main: HTMLElement): void {
  main.replaceChildren(
    title("Your addresses"),
    h("p", { "data-testid": "account-logged-out" }, link(`/login?next=${encodeURIComponent("/account/addresses")}`, null, "Log in"), " to see your addresses."),
  );
}

export function addressesView(main: HTMLElement, route: Route): void {
  const s = session();
  if (!s) return loggedOut(main);
  const me = s.user.id;
  onSessionChange(() => {
    if (session()?.user.id !== me) loggedOut(main);
  }, route.signal);

  const list = h("ul", { class: "address-list", "data-testid": "address-list", "aria-label": "Saved addresses" });
  const status = h("p", { class: "success", role: "status", "data-testid": "addresses-status" });
  const waiting = loading();
  const adder = h("section", { class: "account-section", "aria-labelledby": "address-add-h" });
  main.append(
    title("Your addresses"),
    h("p", null, link("/account", null, "Back to your account")),
    status,
    waiting,
  );

  let addresses: SavedAddress[] = [];

  const draw = () => {
    replace(list, addresses.length
      ? addresses.map(item)
      : h("li", { class: "muted", "data-testid": "addresses-empty" }, "You have no saved addresses yet. Addresses you save here or at checkout are offered at your next checkout."));
    drawAdder();
  };

  const reload = async () => {
    const res = await authClient.listAddresses({}, { signal: route.signal });
    addresses = res.addresses;
    draw();
  };

  /** Runs a change, then shows the list as the server has it and says what happened. */
  const change = async (work: () => Promise<unknown>, done: string, box: HTMLElement): Promise<boolean> => {
    status.textContent = "";
    try {
      await work();
    } catch (err) {
      if (isAbort(err)) return false;
      box.replaceChildren(problemBox(describe(err)));
      return false;
    }
    await reload().catch(() => {});
    status.textContent = done;
    return true;
  };

  const item = (a: SavedAddress): HTMLLIElement => {
    const actions = h("div", { class: "row" });
    const problem = h("div");
    const li = h("li", { class: "saved-address", "data-testid": "saved-address", "data-id": a.id, "data-default": String(a.default) },
      h("p", null,
        h("strong", { "data-testid": "address-label" }, a.label || "Address"),
        a.default ? [" ", h("span", { class: "badge", "data-testid": "address-default-badge" }, "Default")] : null),
      h("p", { "data-testid": "address-text" }, addressLine(a.address)),
      problem,
      actions,
    );
    const name = a.label || addressLine(a.address);
    const drawActions = () => replace(actions,
      h("button", { type: "button", class: "secondary", "data-testid": "address-edit", "aria-label": `Edit ${name}`, onclick: () => edit(a, li) }, "Edit"),
      a.default ? null : h("button", { type: "button", class: "secondary", "data-testid": "address-make-default", "aria-label": `Make ${name} the default`, onclick: (e: Event) =>
        void busy(e.currentTarget as HTMLButtonElement, "Saving…", async () => {
          await change(() => authClient.setDefaultAddress({ id: a.id }), `${name} is now your default address.`, problem);
        }) }, "Make default"),
      h("button", { type: "button", class: "link", "data-testid": "address-delete", "aria-label": `Delete ${name}`, onclick: askDelete }, "Delete"),
    );
    function askDelete() {
      replace(actions,
        h("span", null, "Delete this address? "),
        h("button", { type: "button", class: "danger", "data-testid": "address-delete-confirm", onclick: (e: Event) =>
          void busy(e.currentTarget as HTMLButtonElement, "Deleting…", async () => {
            if (!(await change(() => authClient.deleteAddress({ id: a.id }), `${name} was deleted.`, problem))) drawActions();
          }) }, "Yes, delete"),
        h("button", { type: "button", class: "secondary", "data-testid": "address-delete-cancel", onclick: drawActions }, "Keep it"),
      );
      actions.querySelector<HTMLButtonElement>("button")?.focus();
    }
    drawActions();
    return li;
  };

  /** Puts an edit form in place of the address; UpdateAddress with the etag read. */
  const edit = (a: SavedAddress, li: HTMLLIElement) => {
    const summary = formError();
    const save = h("button", { type: "submit", "data-testid": "address-save" }, "Save address");
    const form = h("form", { class: "stack", novalidate: true, "data-testid": "address-edit-form", "aria-label": `Edit ${a.label || "address"}` },
      summary,
      field({ path: "saved_address.label", label: "Label", optional: true, maxlength: 50, value: a.label, hint: "For example Home or Work.", testid: "address-label-input" }),
      ...addressFields("saved_address.address", "address", plainAddress(a.address)),
      h("div", { class: "row" },
        save,
        h("button", { type: "button", class: "secondary", "data-testid": "address-edit-cancel", onclick: draw }, "Cancel")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void busy(save, "Saving…", async () => {
        clearProblem(form, summary);
        try {
          await authClient.updateAddress({
            savedAddress: { id: a.id, etag: a.etag, label: valueOf(form, "saved_address.label"), address: readAddress(form, "saved_address.address") },
            updateMask: { paths: ["label", "address"] },
          });
        } catch (err) {
          if (isAbort(err)) return;
          const p = describe(err);
          if (p.reason === "ETAG_MISMATCH") p.message = "This address was changed elsewhere since you opened it. It is shown again as it is now: make your change again.";
          showProblem(form, summary, p);
          if (p.reason === "ETAG_MISMATCH" || p.reason === "ADDRESS_NOT_FOUND") await reload().catch(() => {});
          return;
        }
        await reload().catch(() => {});
        status.textContent = "Your address has been saved.";
      });
    });
    li.replaceChildren(form);
    form.querySelector<HTMLInputElement>("input")?.focus();
  };

  const drawAdder = () => {
    if (addresses.length >= MAX_ADDRESSES) {
      replace(adder, h("h2", { id: "address-add-h" }, "Add an address"),
        h("p", { "data-testid": "addresses-full" }, `You have ${MAX_ADDRESSES} saved addresses, the most an account keeps. Delete one to add another.`));
      return;
    }
    if (adder.querySelector("form")) return;
    const summary = formError();
    const add = h("button", { type: "submit", "data-testid": "address-add" }, "Add address");
    const form = h("form", { class: "stack", novalidate: true, "data-testid": "address-add-form" },
      summary,
      field({ path: "saved_address.label", label: "Label", optional: true, maxlength: 50, hint: "For example Home or Work.", testid: "new-address-label" }),
      ...addressFields("saved_address.address", "new-address", { recipient: session()?.user.displayName ?? "" }),
      h("label", { class: "choice" },
        h("input", { type: "checkbox", name: "default", "data-testid": "new-address-default" }), " Make this my default address"),
      add,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void busy(add, "Adding…", async () => {
        clearProblem(form, summary);
        const makeDefault = form.querySelector<HTMLInputElement>('input[name="default"]')!.checked;
        try {
          await authClient.createAddress({
            savedAddress: { label: valueOf(form, "saved_address.label"), address: readAddress(form, "saved_address.address"), default: makeDefault },
          });
        } catch (err) {
          if (!isAbort(err)) showProblem(form, summary, describe(err));
          return;
        }
        adder.replaceChildren();
        await reload().catch(() => {});
        status.textContent = "Your address has been added.";
      });
    });
    replace(adder, h("h2", { id: "address-add-h" }, "Add an address"), form);
  };

  reload().then(
    () => waiting.replaceWith(h("div", { class: "stack narrow" }, list, adder)),
    (err) => {
      if (isAbort(err)) return;
      waiting.replaceWith(problemBox(describe(err)));
    },
  );
}
