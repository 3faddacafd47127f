// The web part's public face: the plugin that serves the single-page app (built into dist/web).
export { webPlugin } from './plugin.ts';
