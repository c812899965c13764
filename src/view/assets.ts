import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPILED } from '../package.ts';

/** The viewer's page: its script (client/main.ts with uPlot, one file) and its style sheet. */
export interface PageAssets {
  html: string;
  js: string;
  css: string;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The one HTML page; everything else it loads is /app.js, /app.css and the API. */
export const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>weft view</title><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/app.css"></head><body><p>loading…</p><script src="/app.js"></script></body></html>
`;

/**
 * Bundles the page from its sources with esbuild (a development dependency): at build time
 * (scripts/build.ts writes dist/src/view/client.{js,css}) and when weft runs from its sources.
 */
export async function bundlePage(): Promise<{ js: string; css: string }> {
  const { build } = await import('esbuild');
  const r = await build({
    entryPoints: [join(here, 'client/main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const uplotCss = readFileSync(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { js: r.outputFiles[0].text, css: `${uplotCss}\n${readFileSync(join(here, 'client/style.css'), 'utf8')}` };
}

let cached: Promise<PageAssets> | null = null;

/** The page's files: built beside this module when compiled, else bundled now (once). */
export function pageAssets(): Promise<PageAssets> {
  cached ??= (async () => {
    const built = join(here, 'client.js');
    if (COMPILED && existsSync(built)) return { html: PAGE_HTML, js: readFileSync(built, 'utf8'), css: readFileSync(join(here, 'client.css'), 'utf8') };
    return { html: PAGE_HTML, ...(await bundlePage()) };
  })();
  return cached;
}
