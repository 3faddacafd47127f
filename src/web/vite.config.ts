// Builds the single-page app from src/web/app into dist/web, which src/web/plugin.ts serves.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./app', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The page's CSP allows scripts from our origin only: nothing may be inlined as data: URLs.
    assetsInlineLimit: 0,
  },
});
