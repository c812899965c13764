import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogCorruptError, UsageError, WeftError } from '../errors.ts';
import { diff, divergenceWhere } from '../diff/diff.ts';
import { attentionAt } from '../replay/attention.ts';
import { pageAssets } from './assets.ts';
import { problemOf } from './problems.ts';
import { ViewedRun } from './runs.ts';
import { stepDetail } from './step.ts';
import type { ApiError, AttentionView, Divergence } from './types.ts';

export interface ViewerOptions {
  /** the logs to serve, by path; the page names them by index (their id) only */
  paths: string[];
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: any free port */
  port?: number;
}

export interface Viewer {
  url: string;
  runs: ViewedRun[];
  close(): Promise<void>;
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

const json = (status: number, value: unknown): Reply => ({
  status,
  type: 'application/json; charset=utf-8',
  // JSON has no NaN or ±Inf: written as strings, as every weft JSON output does
  body: JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)),
});
const notFound = (what: string): Reply => json(404, { error: `${what}: not found (the viewer serves its page and the logs it was started with, by id)` } satisfies ApiError);

/** Memory for states kept between requests, shared by the logs served (at least the minimum each). */
const STATES_BYTES = 256 * 2 ** 20;
const STATES_BYTES_MIN = 32 * 2 ** 20;

export const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * The viewer's server: its one page and a read-only JSON API over the logs it was started with.
 * The client names a log by its index in that list — never by a path, so no request reaches
 * another file. Errors are JSON: the message, and for a damaged log the problem (offset, what
 * is still readable).
 */
export class ViewerServer {
  readonly runs: ViewedRun[];
  /** where two runs part (a walk through both logs): found once per pair */
  private readonly divergences = new Map<string, Reply>();

  constructor(paths: string[]) {
    const budget = Math.max(STATES_BYTES_MIN, STATES_BYTES / Math.max(1, paths.length));
    this.runs = paths.map((p, i) => new ViewedRun(i, p, budget));
  }

  private run(id: string): ViewedRun | null {
    const n = Number(id);
    return /^(0|[1-9]\d{0,8})$/.test(id) && n < this.runs.length ? this.runs[n] : null;
  }

  /** Answers one GET: the routes, all of them. */
  async handle(pathname: string, query: URLSearchParams): Promise<Reply> {
    const assets = await pageAssets();
    if (pathname === '/' || pathname === '/index.html') return { status: 200, type: 'text/html; charset=utf-8', body: assets.html };
    if (pathname === '/app.js') return { status: 200, type: 'text/javascript; charset=utf-8', body: assets.js };
    if (pathname === '/app.css') return { status: 200, type: 'text/css; charset=utf-8', body: assets.css };
    if (pathname === '/favicon.ico') return { status: 204, type: 'image/x-icon', body: '' };
    if (pathname === '/api/runs') return json(200, this.runs.map((r) => r.info()));
    if (pathname === '/api/diff') return this.divergence(query);
    const m = /^\/api\/runs\/([^/]+)\/(overview|layers|attention|tracks|patterns|completions|steps\/([^/]+))$/.exec(pathname);
    if (!m) return notFound(pathname);
    const run = this.run(m[1]);
    if (!run) return notFound(`run ${m[1]}`);
    const log = run.log;
    if (!log) return json(422, { error: run.openProblem!.message, problem: run.openProblem! } satisfies ApiError);
    const steps = run.overview().series.steps;
    const stepParam = (v: string | null, what: string) => {
      // a step is written as people write it: "-0", "1e1", " 3" or "0x1" name no step
      const n = v !== null && /^(0|[1-9]\d{0,14})$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || (n !== log.header.startStep && !steps.includes(n))) {
        throw new UsageError(`${what} ${v}: not a readable step of ${run.info().name} (${log.header.startStep}…${steps[steps.length - 1] ?? log.header.startStep})`);
      }
      return n;
    };
    if (m[2] === 'overview') {
      const o = run.overview();
      // the walk over the states starts now, in the background: heat maps and drill-downs need
      // it (its failure is the /layers request's to report)
      run.layers().catch(() => {});
      return json(200, o);
    }
    if (m[2] === 'layers') return json(200, await run.layers());
    if (m[2] === 'tracks') return json(200, run.tracks());
    if (m[2] === 'patterns') return json(200, run.patterns());
    if (m[2] === 'completions') return json(200, run.completions());
    if (m[2] === 'attention') {
      const step = stepParam(query.get('step'), 'step');
      // 0-based, as in all of weft's JSON (the page shows them from 1)
      const g = attentionAt(log, step, Number(query.get('layer') ?? 0), Number(query.get('head') ?? 0), query.get('sentence') ?? '');
      return json(200, { id: run.id, ...g } satisfies AttentionView);
    }
    return json(200, stepDetail(run.id, log, stepParam(m[3], 'step'), run.steps()));
  }

  private divergence(query: URLSearchParams): Reply {
    const a = this.run(query.get('a') ?? '');
    const b = this.run(query.get('b') ?? '');
    if (!a || !b) return notFound(`runs ${query.get('a')} and ${query.get('b')}`);
    if (!a.log || !b.log) return json(422, { error: (a.openProblem ?? b.openProblem)!.message } satisfies ApiError);
    const key = `${a.id}/${b.id}`;
    const known = this.divergences.get(key);
    if (known) return known;
    const r = diff(a.log, b.log);
    const d = r.firstDivergence;
    const first = d ? { step: d.step, stream: d.stream, where: divergenceWhere(d), a: String(d.a), b: String(d.b), causes: d.causes } : null;
    const summary = r.identical ? 'identical' : first ? `first divergence at step ${first.step}, in the ${first.stream}: ${first.where}` : 'differ in length only';
    const reply = json(200, { a: a.id, b: b.id, identical: r.identical, first, config: r.config, summary } satisfies Divergence);
    this.divergences.set(key, reply);
    return reply;
  }

  /** A request, answered: only GET and HEAD, only from this machine's names when bound to loopback. */
  async serve(req: IncomingMessage, res: ServerResponse, loopbackOnly: boolean): Promise<void> {
    let reply: Reply;
    try {
      const url = new URL(req.url ?? '/', 'http://viewer.invalid');
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      if (req.method !== 'GET' && req.method !== 'HEAD') reply = json(405, { error: `${req.method}: the viewer is read-only (GET only)` } satisfies ApiError);
      // a page elsewhere could point a name of its own at 127.0.0.1 (DNS rebinding): refuse it
      else if (loopbackOnly && !LOOPBACK.has(host)) reply = json(403, { error: `host ${JSON.stringify(req.headers.host)}: the viewer answers requests to 127.0.0.1 or localhost only` } satisfies ApiError);
      else reply = await this.handle(url.pathname, url.searchParams);
    } catch (e) {
      if (e instanceof LogCorruptError) reply = json(422, { error: e.message, problem: problemOf(e, 'the steps before it') } satisfies ApiError);
      else if (e instanceof WeftError) reply = json(400, { error: e.message } satisfies ApiError);
      else {
        process.stderr.write(`weft view: ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        reply = json(500, { error: `internal error: ${e instanceof Error ? e.message : String(e)}` } satisfies ApiError);
      }
    }
    res.writeHead(reply.status, {
      'content-type': reply.type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    });
    res.end(req.method === 'HEAD' ? undefined : reply.body);
  }

  close(): void {
    for (const r of this.runs) r.close();
  }
}

/** Starts the viewer; resolves when it listens. A port in use is a UsageError naming it. */
export async function startViewer(o: ViewerOptions): Promise<Viewer> {
  const host = o.host ?? '127.0.0.1';
  const app = new ViewerServer(o.paths);
  await pageAssets(); // bundled before the first request, so the page opens at once
  const server: Server = createServer((req, res) => void app.serve(req, res, LOOPBACK.has(host)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      app.close();
      reject(e.code === 'EADDRINUSE' ? new UsageError(`--port ${o.port}: in use; pick another, or --port 0 for any free one`)
        : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? new UsageError(`--host ${host}: not an address of this machine`) : e);
    });
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    runs: app.runs,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      app.close();
    }),
  };
}
