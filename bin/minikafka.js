#!/usr/bin/env node
// Node's on-disk compile cache (Node >= 22.1) makes every later start skip compiling the
// ES modules; older Node versions lack it and start as before.
import module from 'node:module';

module.enableCompileCache?.();
await import('../dist/src/cli.js');
