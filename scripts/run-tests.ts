// `npm test` after the static checks: runs every vitest suite, then fails unless both database
// engines' suites and the browser suites ran and passed, and prints the plain closing line CI reads
// ("N passed, N failed").
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const REPORT = 'test-results/vitest.json';

interface Assertion {
  fullName: string;
  status: string;
}
interface Report {
  testResults: { assertionResults: Assertion[] }[];
}

rmSync(REPORT, { force: true });
const run = spawnSync(
  'vitest',
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${REPORT}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);

if (!existsSync(REPORT)) {
  console.error('run-tests: vitest wrote no report');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const report = JSON.parse(readFileSync(REPORT, 'utf8')) as Report;
const assertions = report.testResults.flatMap((file) => file.assertionResults);
const count = (status: string) => assertions.filter((a) => a.status === status).length;
const passed = count('passed');
const failed = count('failed');
const skipped = assertions.length - passed - failed;

const problems: string[] = [];
for (const engine of ['sqlite', 'postgres']) {
  const ran = assertions.filter((a) => a.fullName.includes(`[${engine}]`) && a.status === 'passed').length;
  if (ran === 0) problems.push(`no ${engine} test passed: the ${engine} suites did not run`);
  else console.log(`${engine}: ${ran} tests passed`);
}
// A run whose browser tests did not run has failed too.
const browser = assertions.filter((a) => a.fullName.includes('[chromium]') && a.status === 'passed').length;
if (browser === 0) problems.push('no browser test passed: the Chromium suites did not run');
else console.log(`chromium: ${browser} tests passed`);
if (skipped > 0) problems.push(`${skipped} tests were skipped or left pending: every suite must run`);
if (run.status !== 0 && failed === 0) problems.push(`vitest exited with ${run.status}`);
for (const problem of problems) console.error(`run-tests: ${problem}`);
console.log(`${passed} passed, ${failed + (problems.length ? 1 : 0)} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 || problems.length > 0 ? 1 : 0;
