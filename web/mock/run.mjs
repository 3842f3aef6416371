#!/usr/bin/env node
// Starts the mock gateway (mock/gateway.ts) serving dist/ and the API on
// http://127.0.0.1:$PORT (default 8080). With a command after "--", runs it
// with SHOP_URL set, then stops and exits with the command's status:
//   node mock/run.mjs -- node e2e/checkout.mjs

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runnerImport } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const { module } = await runnerImport(fileURLToPath(new URL("./gateway.ts", import.meta.url)), {
  root,
  configFile: false,
  logLevel: "error",
});
const server = await module.startMockGateway(port, `${root}dist`);
const url = `http://127.0.0.1:${port}`;
console.log(`mock gateway: ${url} (in memory, not the real services)`);

const dash = process.argv.indexOf("--");
if (dash !== -1) {
  const [cmd, ...args] = process.argv.slice(dash + 1);
  const child = spawn(cmd, args, { stdio: "inherit", env: { ...process.env, SHOP_URL: url } });
  child.on("exit", (code, signal) => {
    server.close();
    server.closeAllConnections?.();
    process.exit(code ?? (signal ? 1 : 0));
  });
}
