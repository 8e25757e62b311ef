// The bridge's REST API (docs/http.md), as the monitor uses it. Every
// failure becomes an ApiError whose message can be shown as it is.

export type FieldType = 'number' | 'string' | 'bool';

export interface NodeSummary {
  name: string;
  description: string | null;
  online: boolean;
  /** ISO time of the last change of `online` */
  since: string;
  /** number of fields */
  fields: number;
}

export interface FieldInfo {
  /** `node::field` */
  id: string;
  node: string;
  field: string;
  description: string | null;
  units: string | null;
  type: FieldType;
  timeline: string;
}

export interface NodeDetail {
  name: string;
  description: string | null;
  online: boolean;
  since: string;
  fieldsError: string | null;
  fields: FieldInfo[];
  timelines: Record<string, { interval: number | null; field: string[] }>;
}

export interface DataSeries {
  id: string;
  node: string;
  field: string;
  type: FieldType;
  units: string | null;
  description: string | null;
  /** epoch ms */
  t: number[];
  v: unknown[];
  finalizedUntil: number | null;
  error?: string;
}

export interface DataReply {
  from: number;
  to: number;
  stride: number | null;
  series: DataSeries[];
}

export interface Status {
  version: string;
  connected: boolean;
  nodes: number;
  fields: number;
  hubError: string | null;
}

export interface DataRequest {
  fields: string[];
  fromMs: number;
  toMs: number;
  /** about this many points per field; none: raw */
  points?: number;
}

/** A failed request: `status` 0 when the bridge could not be reached. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unreachable(): boolean {
    return this.status === 0;
  }

  /** the bridge wants (other) credentials */
  get forbidden(): boolean {
    return this.status === 403;
  }
}

export class Api {
  /**
   * `base` is the API root, e.g. `http://host:5000/api/v1/`; `authorization`
   * the header a bridge with credentials asks for (`Bearer ...`, `Basic ...`).
   */
  constructor(
    readonly base: URL,
    readonly authorization: string | null = null,
  ) {}

  /** The API of the bridge that serves this page (at `<base path>/monitor/`). */
  static forPage(location: Location, authorization: string | null): Api {
    return new Api(new URL('../api/v1/', location.href), authorization);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.authorization ? { ...extra, authorization: this.authorization } : extra;
  }

  /** The error a failed answer stands for, with the bridge's message. */
  async errorOf(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    let message = `${res.status} ${res.statusText}`;
    let code: string | undefined;
    try {
      const body = JSON.parse(text) as { message?: unknown; code?: unknown };
      if (typeof body.message === 'string') message = body.message;
      if (typeof body.code === 'string') code = body.code;
    } catch {
      // not JSON: keep the status line
    }
    return new ApiError(message, res.status, code);
  }

  private async send(url: URL, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiError('cannot reach the sisock HTTP bridge', 0);
    }
    if (!res.ok) throw await this.errorOf(res);
    return res;
  }

  url(path: string, params?: Record<string, string | number | undefined>): URL {
    const u = new URL(path, this.base);
    for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  private async get<T>(url: URL, signal?: AbortSignal): Promise<T> {
    const res = await this.send(url, { headers: this.headers({ accept: 'application/json' }) }, signal);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError('the bridge answered with something that is not JSON', res.status);
    }
  }

  status(signal?: AbortSignal): Promise<Status> {
    return this.get(this.url('status'), signal);
  }

  async nodes(signal?: AbortSignal): Promise<NodeSummary[]> {
    return (await this.get<{ nodes: NodeSummary[] }>(this.url('nodes'), signal)).nodes;
  }

  node(name: string, signal?: AbortSignal): Promise<NodeDetail> {
    return this.get(this.url(`nodes/${encodeURIComponent(name)}`), signal);
  }

  /** Asks the bridge to reload a node's field list from the node now (a live node's list grows). */
  async refresh(node: string, signal?: AbortSignal): Promise<void> {
    await this.send(this.url('refresh', { node }), { method: 'POST', headers: this.headers() }, signal);
  }

  /** Fetches a URL of the API with the credentials (CSV downloads). */
  async blob(url: URL): Promise<Blob> {
    return (await this.send(url, { headers: this.headers() })).blob();
  }

  /** Every field of every connected node. */
  async fields(signal?: AbortSignal): Promise<FieldInfo[]> {
    return (await this.get<{ fields: FieldInfo[] }>(this.url('fields'), signal)).fields;
  }

  dataUrl(q: DataRequest, format: 'json' | 'csv' = 'json'): URL {
    return this.url('data', {
      fields: q.fields.join(','),
      from: q.fromMs / 1000,
      to: q.toMs / 1000,
      points: q.points,
      format: format === 'csv' ? 'csv' : undefined,
    });
  }

  data(q: DataRequest, signal?: AbortSignal): Promise<DataReply> {
    return this.get(this.dataUrl(q), signal);
  }

  /** The live stream: node events, and samples of `fields` newer than `sinceMs`. */
  eventsUrl(fields: string[], sinceMs: number, intervalS: number): URL {
    return this.url('events', fields.length > 0 ? { fields: fields.join(','), since: sinceMs / 1000, interval: intervalS } : {});
  }
}
