#!/usr/bin/env -S node --max-semi-space-size=8
// `npx timesheets …`: npm puts the project's Node 24 (the `node` package) first on PATH. The flag
// caps V8's young generation (see SERVER_NODE_FLAGS in src/cli/serve.ts).
import process from 'node:process';
import { runCli } from '../src/cli/main.ts';

await runCli(process.argv.slice(2));
