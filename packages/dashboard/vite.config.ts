import { defineConfig } from 'vite';

// The page is served by the console under /dashboard/, every file bundled here (no CDN).
export default defineConfig({
  base: '/dashboard/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No data: URIs or inline scripts: the page runs under a strict Content-Security-Policy.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
