import type { ApiError } from '../types.ts';

/** A request the server answered with an error (its message, and the log's problem if any). */
export class ApiFailure extends Error {
  readonly body: ApiError;
  constructor(body: ApiError) {
    super(body.error);
    this.body = body;
  }
}

/** GETs a JSON resource of the viewer's API. */
export async function get<T>(path: string): Promise<T> {
  const res = await fetch(path);
  const body = (await res.json()) as T | ApiError;
  if (!res.ok) throw new ApiFailure(body as ApiError);
  return body as T;
}

/** A number the server sent: JSON has no NaN or ±Inf, so those arrive as strings. */
export function num(x: number | string | null | undefined): number {
  return x === null || x === undefined ? NaN : typeof x === 'string' ? Number(x) : x;
}

/** A number as people read it: six significant digits, exponent for very small or large. */
export function fmt(x: number | string | null | undefined): string {
  if (x === null || x === undefined) return '–';
  const v = num(x);
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-4 || a >= 1e6 ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

/** An element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | null> = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null) e.append(c);
  return e;
}

/** The nodes that are there (optional parts are null). */
export function present(...nodes: (Node | null)[]): Node[] {
  return nodes.filter((n): n is Node => n !== null);
}
