#!/usr/bin/env node
// Runs the unit tests (test/*.test.ts, node:test) through Vite's module
// runner, which resolves the app's imports as the build does (extensionless
// paths, TypeScript), so the tests load src/ exactly as it is shipped.
//   npm test

import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runnerImport } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = fileURLToPath(new URL(".", import.meta.url));
for (const file of readdirSync(dir).filter((f) => f.endsWith(".test.ts")).sort()) {
  await runnerImport(`${dir}${file}`, { root, configFile: false, logLevel: "error" });
}
