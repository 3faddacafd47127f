#!/usr/bin/env node
// `npx timesheets …`: npm puts the project's Node 24 (the `node` package) first on PATH.
import process from 'node:process';
import { runCli } from '../src/cli/main.ts';

await runCli(process.argv.slice(2));
