// Writes the API reference page into dist/docs/ (run after every
// `npm run build`, before compress.mjs, as part of `postbuild`): Redoc's
// standalone bundle with its licence notices, in a folder named by its
// version so browsers may cache it for good, and a page that renders the
// gateway's own /v1/openapi.json with it.
// Redoc is not part of the storefront's bundle: only /docs loads it.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const redoc = join(web, "node_modules", "redoc");
const { version } = JSON.parse(readFileSync(join(redoc, "package.json"), "utf8"));
const folder = `redoc-${version}`;
const out = join(web, "dist", "docs");

mkdirSync(join(out, folder), { recursive: true });
// The bundle names its notices' file, so both keep their names.
for (const file of ["redoc.standalone.js", "redoc.standalone.js.LICENSE.txt"]) {
  copyFileSync(join(redoc, "bundles", file), join(out, folder, file));
}
writeFileSync(
  join(out, "index.html"),
  `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Shop API reference</title>
    <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
  </head>
  <body style="margin: 0">
    <redoc spec-url="/v1/openapi.json"></redoc>
    <script src="/docs/${folder}/redoc.standalone.js"></script>
  </body>
</html>
`,
);
