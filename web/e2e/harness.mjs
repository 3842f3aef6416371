// What every browser test (e2e/*.mjs) starts with: the shop's address from
// SHOP_URL (required), Chromium launched headless (CHROMIUM, default
// /usr/bin/chromium; HEADFUL=1 to watch it), pages at a phone's size that
// wait up to E2E_TIMEOUT_MS (default 20 s) and collect the browser's
// errors, and steps that print "ok", "skip" or "FAIL" and stop the test at
// the first failure, with the page's address, its last errors and, if
// SCREENSHOT names a .png file, a screenshot of it.

import { chromium } from "playwright-core";
import { PHONE } from "./axe.mjs";

export const base = process.env.SHOP_URL?.replace(/\/+$/, "");
if (!base) {
  console.error("SHOP_URL is not set (e.g. SHOP_URL=http://127.0.0.1:8080)");
  process.exit(2);
}
export const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 20000);

export const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: !process.env.HEADFUL,
  args: [
    ...(process.env.HEADFUL ? [] : ["--headless"]),
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
  ],
});

/** The browser's console errors and uncaught page errors, newest last. */
const browserLog = [];

/** A page in a browser context of its own, at a phone's size. */
export async function newPage() {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("console", (m) => m.type() === "error" && browserLog.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => browserLog.push(`page error: ${e.message}`));
  reported ??= page;
  return page;
}

/** What the summary lines start with: "e2e", or the test's own name. */
let label = "e2e";
/** The page a failing step is reported with: the first one, unless told. */
let reported = null;
let passed = 0;
let skipped = 0;

/** Names the test in its summary lines (`e2e <name>: ...`). */
export function name(test) {
  label = `e2e ${test}`;
}

/** Makes `page` the one a failing step reports (its address, a screenshot). */
export function reportOn(page) {
  reported = page;
}

/** Runs one step; one that returns "skipped" is counted as such. */
export async function step(stepName, fn) {
  try {
    const result = await fn();
    if (result === "skipped") {
      skipped++;
      console.log(`skip ${stepName}`);
      return;
    }
    passed++;
    console.log(`ok   ${stepName}`);
  } catch (err) {
    console.error(`FAIL ${stepName}\n     ${String(err?.message ?? err).split("\n").join("\n     ")}`);
    console.error(`     at ${reported?.url()}`);
    for (const line of browserLog.slice(-10)) console.error(`     ${line}`);
    if (process.env.SCREENSHOT) {
      await reported?.screenshot({ path: process.env.SCREENSHOT, fullPage: true }).catch(() => {});
      console.error(`     screenshot: ${process.env.SCREENSHOT}`);
    }
    console.error(`${label}: ${passed} passed, 1 failed`);
    await browser.close();
    process.exit(1);
  }
}

/** A step not run, and why. */
export function skip(stepName, why) {
  skipped++;
  console.log(`skip ${stepName} (${why})`);
}

/** Closes the browser and prints the summary of a test that passed. */
export async function finish() {
  await browser.close();
  console.log(`${label}: ${passed} passed, 0 failed${skipped ? `, ${skipped} skipped` : ""}`);
}

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}
