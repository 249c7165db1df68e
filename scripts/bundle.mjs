// Bundles tsc's output (dist/src) into dist/bundle/ at `npm run build` (issue 14): the CLI, the
// package entry and the process-per-broker child then load a few files instead of ~135 ES
// modules. The nemesis stays a chunk of its own (imported on demand). Node's built-in modules
// stay imports; the bundle has no other dependency. Usage: node scripts/bundle.mjs (after tsc).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'dist', 'src');
const out = path.join(root, 'dist', 'bundle');

fs.rmSync(out, { recursive: true, force: true });
const bundle = await rolldown({
  input: { index: path.join(src, 'index.js'), cli: path.join(src, 'cli.js'), brokerProcess: path.join(src, 'brokerProcess.js') },
  platform: 'node',
  // Only Node's own modules may stay outside the bundle (zero runtime dependencies).
  external: (id) => id.startsWith('node:'),
  logLevel: 'warn',
});
const { output } = await bundle.write({ dir: out, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' });
await bundle.close();
for (const o of output) {
  if (o.type !== 'chunk') continue;
  for (const id of o.imports) if (!id.startsWith('node:') && !output.some((x) => x.fileName === id)) throw new Error(`bundle: ${o.fileName} imports ${id}, which is not Node's own`);
}
