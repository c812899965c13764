import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { intFlag, parseCommand } from './args.ts';

export const VIEW_DEFAULT_PORT = 7411;

export const VIEW_USAGE = `weft view <log.weft | dir>… [--port P] [--host H]
  Serves a page to look through recorded runs in a browser (no network needed): the overview
  (loss with a smoothed line, learning rate, clip factor, global gradient norm, NaN/Inf marked),
  layer × step heat maps (gradient norm, update-to-weight ratio ‖Δw‖/‖w‖, ‖m‖, ‖v‖, effective
  step size), any step's tensors (norms and histograms of w, g, Δw and the optimizer's buffers,
  dropout keep-rates; replayed exactly), several runs compared (where they first part, as
  weft diff finds it), held-out and training-split evaluations, where an attention head looks
  (layers and heads numbered from 1), and on an induction run every head's induction and
  previous-token score through training. A directory stands for the .weft files in it; a
  sweep's folder (weft sweep --out DIR) for its runs' logs. Ctrl-C stops the server (exit 0).
  --port P   the port (default ${VIEW_DEFAULT_PORT}; 0: any free one)
  --host H   the address to listen on (default 127.0.0.1, this machine only; another address
             lets anyone who reaches it read these logs, and says so)`;

/** The logs named: files as given, a sweep's folder as its runs' logs (manifest order), other directories as the .weft files in them (sorted). */
export async function logPaths(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const a of args) {
    if (!existsSync(a)) throw new UsageError(`${a}: no such file or directory`);
    if (!statSync(a).isDirectory()) {
      out.push(a);
      continue;
    }
    if (existsSync(join(a, 'sweep.json'))) {
      const { readManifest } = await import('../sweep/manifest.ts');
      out.push(...readManifest(a)!.runs.map((r) => join(a, r.log)).filter((p) => existsSync(p)));
      continue;
    }
    const logs = readdirSync(a).filter((f) => f.endsWith('.weft')).sort();
    if (!logs.length) throw new UsageError(`${a}: a directory with no .weft logs in it`);
    out.push(...logs.map((f) => join(a, f)));
  }
  return out;
}

export async function viewCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { port: { type: 'string' }, host: { type: 'string' } }, VIEW_USAGE, null);
  if (!p) return 0;
  if (!p.positionals.length) throw new UsageError(`expected one or more logs or directories\nusage: ${VIEW_USAGE.split('\n')[0]}`);
  const port = intFlag(p.values.port, '--port', 0) ?? VIEW_DEFAULT_PORT;
  if (port > 65535) throw new UsageError(`--port ${port}: ports go up to 65535`);
  const host = String(p.values.host ?? '127.0.0.1');
  // loaded here, not at start-up: the other commands need none of the server
  const { LOOPBACK, startViewer } = await import('../view/server.ts');
  const viewer = await startViewer({ paths: await logPaths(p.positionals), host, port });
  if (!LOOPBACK.has(host)) process.stderr.write(`weft view: warning: listening on ${host}: anyone who can reach this machine there can read these logs\n`);
  const problems = viewer.runs.map((r) => r.info()).filter((i) => i.problem && i.problem.kind !== 'open');
  for (const i of problems) process.stderr.write(`weft view: ${i.problem!.message} (still readable: ${i.problem!.readable})\n`);
  process.stdout.write(`weft view: ${viewer.url}  (${viewer.runs.length} log${viewer.runs.length === 1 ? '' : 's'}; Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await viewer.close();
  process.stdout.write('weft view: stopped\n');
  return 0;
}
