// Records what dist/ was built from, in sha256sum format, in
// dist-sources.sha256 (run after every `npm run build`, as `postbuild`).
// The root package's build script compares it with the sources, so
// `cargo build` warns when web/ changed and dist/, which the gateway embeds,
// was not rebuilt. Outside dist/, so the gateway does not serve it.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const configs = [
  "compress.mjs",
  "docs.mjs",
  "index.html",
  "package-lock.json",
  "public/favicon.svg",
  "tsconfig.json",
  "vite.config.ts",
];

function filesUnder(dir) {
  return readdirSync(join(web, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

const lines = [...configs, ...filesUnder("src")]
  .sort()
  .map((path) => `${createHash("sha256").update(readFileSync(join(web, path))).digest("hex")}  ${path}\n`);
writeFileSync(join(web, "dist-sources.sha256"), lines.join(""));
