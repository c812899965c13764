// Module hooks for running weft from its TypeScript sources on Node (bin/weft.mjs registers them
// after tsx's): a scenario's `import … from 'weft'` resolves to the same sources the CLI runs —
// not to the compiled dist/ the package exports — so one module instance serves both.
const sources = new URL('../src/index.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  // through the rest of the chain (tsx's resolve marks the file as TypeScript for its loader)
  if (specifier === 'weft') return next(sources, context);
  return next(specifier, context);
}
