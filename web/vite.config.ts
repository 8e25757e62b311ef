// Builds the web monitor into dist/monitor, which the HTTP bridge serves
// under /monitor/. Relative asset paths (base './') keep the page working
// under any base path of the bridge (e.g. /grafana/monitor/).
// `npm run dev:web` serves it with hot reload and sends /api to a bridge on
// 127.0.0.1:5000 (SISOCK_BRIDGE to use another).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const bridge = process.env.SISOCK_BRIDGE ?? 'http://127.0.0.1:5000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../dist/monitor', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': bridge } },
});
