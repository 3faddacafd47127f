// The project's root directory (the one holding package.json), found from this module's own place:
// the same answer whether the server runs from its TypeScript sources (src/) or compiled
// (dist/server/, what `npm start` runs). Files the server reads (the built web app, the theme) are
// named from here.
import { existsSync } from 'node:fs';

function findRoot(): URL {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    if (existsSync(new URL('package.json', dir))) return dir;
    if (dir.pathname === '/') throw new Error('no package.json above the server code');
  }
}

export const PROJECT_ROOT = findRoot();
