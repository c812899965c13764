// Module hooks weft registers (after tsx's) before it loads a user's TypeScript scenario on Node.
// - A scenario is an ES module — `import … from 'weft'`, a top-level `await runIfMain(…)` — and
//   stays one in a CommonJS project (a package.json without "type": "module", as `npm init -y`
//   writes), where tsx would compile it to require() calls that cannot load weft: TypeScript
//   files outside node_modules are loaded as ES modules.
// - Its `import … from 'weft'` is the weft that runs it (`data.weft`, this package's entry), one
//   module instance with the CLI — also where the project has no weft of its own installed.
let weft = null;

export function initialize(data) {
  weft = data?.weft ?? null;
}

export async function resolve(specifier, context, next) {
  if (specifier === 'weft' && weft) return next(weft, context);
  const r = await next(specifier, context);
  if (/\.ts$/.test(r.url) && r.url.startsWith('file:') && !r.url.includes('/node_modules/')) return { ...r, format: 'module' };
  return r;
}
