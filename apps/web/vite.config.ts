import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The contracts package is consumed from source so the browser bundle gets ES modules.
const contracts = fileURLToPath(new URL('../../packages/contracts/src/index.ts', import.meta.url));

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@bastion/contracts': contracts } },
  server: { port: 5173, proxy: { '/api': 'http://127.0.0.1:3000' } },
  build: {
    outDir: 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    // The manifest lets bench/bundle-size.mjs measure each route's initial JavaScript.
    manifest: true,
    rollupOptions: {
      output: {
        // CodeMirror and the grid library are editor-only chunks the viewer never loads. The
        // libraries every route shares get their own chunk, so an editor-only chunk cannot end up
        // holding React (Rollup would then make every route import it).
        manualChunks(id) {
          if (id === '\0commonjsHelpers.js') return 'vendor';
          if (!id.includes('node_modules')) return undefined;
          if (/[\\/](@codemirror|@lezer|@uiw|crelt|style-mod|w3c-keyname)[\\/]/.test(id)) {
            return 'codemirror';
          }
          if (
            /[\\/](react-grid-layout|react-resizable|react-draggable|fast-equals|prop-types|react-is|clsx|lodash[^\\\\/]*)[\\/]/.test(
              id,
            )
          ) {
            return 'grid-layout';
          }
          if (
            /[\\/](react|react-dom|scheduler|react-router|cookie|set-cookie-parser|@tanstack[\\/]react-query|@tanstack[\\/]query-core|sonner|zod)[\\/]/.test(
              id,
            )
          ) {
            return 'vendor';
          }
          return undefined;
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./vitest.setup.ts'],
    include: ['src/**/*.spec.{ts,tsx}'],
  },
});
