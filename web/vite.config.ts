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
    // `npm run dev`: hot reload here, API calls passed on to a running
    // gateway (or `npm run mock`) at SHOP_API, default http://127.0.0.1:8080.
    proxy: {
      "^/shop\\.[a-z]+\\.v1\\.": { target: process.env.SHOP_API ?? "http://127.0.0.1:8080" },
    },
  },
  preview: {
    host: "127.0.0.1",
  },
});
