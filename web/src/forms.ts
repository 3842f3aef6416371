// Labelled form fields with a slot for the server's error about that field.
// Each field is keyed by its request field path (e.g. "shipping_address.city"),
// which is exactly what google.rpc.BadRequest names, so errors land in place.

import { Code } from "@connectrpc/connect";
import { h } from "./dom";
import type { Problem } from "./errors";
import { toLogin } from "./router";

export interface FieldOptions {
  /** The request field path the server uses in its violations. */
  path: string;
  label: string;
  testid: string;
  type?: string;
  value?: string;
  autocomplete?: string;
  inputmode?: string;
  placeholder?: string;
  maxlength?: number;
  hint?: string;
  optional?: boolean;
}

const idFor = (path: string) => `f-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;

export function field(o: FieldOptions): HTMLDivElement {
  const id = idFor(o.path);
  const hintId = o.hint ? `${id}-hint` : null;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, o.label, o.optional ? h("span", { class: "muted" }, " (optional)") : null),
    h("input", {
      id,
      name: o.path,
      type: o.type ?? "text",
      value: o.value,
      autocomplete: o.autocomplete,
      inputmode: o.inputmode,
      placeholder: o.placeholder,
      maxlength: o.maxlength,
      "aria-required": o.optional ? null : "true",
      "aria-describedby": [hintId, `${id}-error`].filter(Boolean).join(" "),
      "data-testid": o.testid,
    }),
    hintId ? h("p", { class: "hint", id: hintId }, o.hint) : null,
    h("p", { class: "field-error", id: `${id}-error`, "data-field": o.path, "data-testid": `error-${o.path}`, hidden: true }),
  );
}

/** The input for `path` inside `form`. */
export function inputOf(form: HTMLElement, path: string): HTMLInputElement | null {
  return form.querySelector<HTMLInputElement>(`#${idFor(path)}`);
}

/** The value of the input for `path` inside `form`, trimmed. */
export function valueOf(form: HTMLElement, path: string): string {
  return inputOf(form, path)?.value.trim() ?? "";
}

/** A box for form-level messages, announced to screen readers. */
export function formError(): HTMLDivElement {
  return h("div", { class: "form-error", role: "alert", tabindex: -1, "data-testid": "form-error", hidden: true });
}

export function clearProblem(form: HTMLElement, summary: HTMLElement): void {
  for (const slot of form.querySelectorAll<HTMLElement>(".field-error")) {
    slot.hidden = true;
    slot.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  summary.hidden = true;
  summary.replaceChildren();
}

/**
 * Shows each field violation under its field, and the message (plus any
 * violation for a field this form does not have) in `summary`. Focuses the
 * first invalid field.
 */
export function showProblem(form: HTMLElement, summary: HTMLElement, problem: Problem): void {
  clearProblem(form, summary);
  const leftovers: string[] = [];
  for (const [path, description] of problem.fields) {
    const slot = form.querySelector<HTMLElement>(`.field-error[data-field="${CSS.escape(path)}"]`);
    if (!slot) {
      leftovers.push(`${path.replace(/[._]/g, " ")}: ${description}`);
      continue;
    }
    slot.textContent = capitalize(description);
    slot.hidden = false;
    inputOf(form, path)?.setAttribute("aria-invalid", "true");
  }
  const first = form.querySelector<HTMLElement>('[aria-invalid="true"]');
  summary.append(h("p", null, problem.message));
  if (leftovers.length) summary.append(h("ul", null, leftovers.map((l) => h("li", null, l))));
  if (problem.code === Code.Unauthenticated && !form.closest("[data-login-form]")) summary.append(loginButton());
  summary.hidden = false;
  (first ?? summary).focus?.();
  if (!first) summary.scrollIntoView?.({ block: "nearest" });
}

/**
 * Shows what the browser found wrong before sending (field path -> what is
 * wrong) exactly as a server refusal would be shown; false when `fields` is
 * empty and the form may be sent.
 */
export function refuseInvalid(form: HTMLElement, summary: HTMLElement, fields: Map<string, string>): boolean {
  if (fields.size === 0) return false;
  showProblem(form, summary, { message: "Please correct the highlighted fields.", fields, code: Code.InvalidArgument, reason: "", metadata: {} });
  return true;
}

/** A page-level error: the sentence, plus a way to log in when that is the fix. */
export function problemBox(problem: Problem): HTMLDivElement {
  return h(
    "div",
    { class: "form-error", role: "alert", "data-testid": "page-error" },
    h("p", null, problem.message),
    problem.code === Code.Unauthenticated ? loginButton() : null,
  );
}

function loginButton(): HTMLParagraphElement {
  return h("p", null, h("button", { type: "button", class: "secondary", onclick: () => toLogin() }, "Log in"));
}

/** Shows a plain message (no server error) in `summary`. */
export function showMessage(summary: HTMLElement, message: string, ...extra: (Node | string)[]): void {
  summary.replaceChildren(h("p", null, message, ...extra));
  summary.hidden = false;
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Disables the button while `work` runs, showing `busyText`. */
export async function busy(button: HTMLButtonElement, busyText: string, work: () => Promise<void>): Promise<void> {
  const text = button.textContent;
  button.disabled = true;
  button.textContent = busyText;
  try {
    await work();
  } finally {
    button.disabled = false;
    button.textContent = text;
  }
}
