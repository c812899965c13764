// A module hook weft registers (after tsx's) before it loads a user's TypeScript scenario on Node:
// a scenario is an ES module — `import … from 'weft'`, a top-level `await runIfMain(…)` — and
// stays one in a CommonJS project (a package.json without "type": "module", as `npm init -y`
// writes), where tsx would compile it to require() calls that cannot load weft. TypeScript files
// outside node_modules are loaded as ES modules; everything else as Node decides.
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/\.ts$/.test(r.url) && r.url.startsWith('file:') && !r.url.includes('/node_modules/')) return { ...r, format: 'module' };
  return r;
}
