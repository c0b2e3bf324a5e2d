/**
 * The dashboard's build: `npm run build:web` writes `web/dist`, which the daemon serves at `/`.
 * No inline script or style ends up in the output (the page is served with a strict CSP).
 */
import preact from '@preact/preset-vite'
import { defineConfig } from 'vite'

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The preload polyfill would be code the CSP has no use for: every supported browser has it.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs into scripts or styles; they are served as files.
    assetsInlineLimit: 0,
    target: 'es2022',
    reportCompressedSize: false,
  },
})
