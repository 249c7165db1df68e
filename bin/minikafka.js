#!/usr/bin/env node
// Node's on-disk compile cache (Node >= 22.1) makes every later start skip compiling the
// ES modules; older Node versions lack it and start as before. dist/bundle is tsc's output
// bundled at `npm run build` (scripts/bundle.mjs): a few files to load instead of ~135.
import module from 'node:module';

module.enableCompileCache?.();
await import('../dist/bundle/cli.js');
