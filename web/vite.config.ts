import { defineConfig } from "vite";

// The gateway embeds dist/ in its binary, so the build must be reproducible:
// content-hashed file names, no source maps, nothing time- or host-dependent.
export default defineConfig({
  // Relative asset URLs: index.html works wherever the gateway mounts it.
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // Keep the stylesheet and script as separate, cacheable files; inline nothing.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    host: "127.0.0.1",
  },
  preview: {
    host: "127.0.0.1",
  },
});
