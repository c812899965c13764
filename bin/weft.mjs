#!/usr/bin/env node
// Entry point: runs the CLI from its TypeScript sources — through tsx on Node; Bun and Deno run
// TypeScript themselves (and Deno must not: tsx's hooks there turn ajv's JSON into JavaScript).

// `weft inspect log --json | head`: a closed pipe ends the output, not the process with a trace
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
if (!process.versions.bun && !globalThis.Deno) (await import('tsx/esm/api')).register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
