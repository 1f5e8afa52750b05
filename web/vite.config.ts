/** One Vite build of the standard web apps: an entry per app host (launchpad, assetmanager, explorer, datalake, catalog, servicemanagement, agents), shared chunks in /assets. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    // the gateway's default CSP allows scripts from 'self' only: no inline module preload polyfill
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    rollupOptions: {
      input: {
        launchpad: resolve(root, 'launchpad/index.html'),
        assetmanager: resolve(root, 'assetmanager/index.html'),
        explorer: resolve(root, 'explorer/index.html'),
        datalake: resolve(root, 'datalake/index.html'),
        catalog: resolve(root, 'catalog/index.html'),
        servicemanagement: resolve(root, 'servicemanagement/index.html'),
        agents: resolve(root, 'agents/index.html'),
      },
    },
  },
});
