// Accessibility audits for the browser test: axe-core run in the page as it
// stands, at a phone's viewport (390x844) and at a desktop one (there in the
// dark colour scheme too), failing on any finding of impact "serious" or
// "critical" with the rule, its impact, the elements (CSS selectors) and
// where to read about it. Lesser findings are left to review: they are often
// judgement calls, not barriers.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// Evaluated through the DevTools protocol rather than a <script> tag, so the
// shop's content-security-policy (no inline scripts) stays as in production.
const source = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
/** Where each page is audited: the storefront has light and dark colours, so contrast is checked in both. */
const VIEWPORTS = [
  ["390x844", PHONE, "light"],
  ["desktop", DESKTOP, "light"],
  ["desktop, dark", DESKTOP, "dark"],
];
const BLOCKING = ["serious", "critical"];

/** The serious and critical findings on `page` at its current size. */
async function findings(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(source);
  return page.evaluate(async (blocking) => {
    // Every rule axe enables by default (WCAG A and AA, and best practices).
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => blocking.includes(v.impact))
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, targets: v.nodes.map((n) => n.target.join(" ")) }));
  }, BLOCKING);
}

/**
 * Audits `page` at each viewport (then restores its size, light); throws, listing
 * every blocking finding, if there is any. `what` names the page state.
 */
export async function audit(page, what) {
  const size = page.viewportSize();
  const problems = [];
  for (const [name, viewport, colorScheme] of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme });
    for (const f of await findings(page)) problems.push({ ...f, viewport: name });
  }
  await page.setViewportSize(size);
  await page.emulateMedia({ colorScheme: "light" });
  if (problems.length === 0) return;
  const lines = problems.map(
    (f) => `axe ${f.id} (${f.impact}, ${f.viewport}) on ${what}: ${f.help}\n  ${f.targets.join("\n  ")}\n  ${f.helpUrl}`,
  );
  throw new Error(lines.join("\n"));
}
