// Answering a Grafana /query: resolve every target, fetch all their fields
// in one go (grouped by node, nodes in parallel), shape each target's answer
// in request order. One target failing (unknown name, node error or
// timeout) leaves the others answered, with a notice on its empty series;
// only when no target can be answered does the request fail, with a JSON
// error Grafana shows on the panel.
import type { DataService, FailureKind } from '../data-service.js';
import { failureStatus } from '../data-service.js';
import type { ResolvedField } from '../resolve.js';
import { answerJson, type SeriesData, type TargetAnswer } from './answer.js';
import type { QueryRequest } from './request.js';
import { nodeAllowed, type AdhocFilter } from './filters.js';

export type QueryOutcome =
  | { ok: true; body: Buffer; series: number; notices: string[] }
  | { ok: false; status: number; message: string };

export async function runQuery(
  req: QueryRequest,
  service: DataService,
  signal?: AbortSignal,
  filters: readonly AdhocFilter[] = [],
): Promise<QueryOutcome> {
  if (req.targets.length === 0) return { ok: true, body: Buffer.from('[]'), series: 0, notices: [] };
  const resolutions = (await service.resolve(req.targets.map((t) => t.target))).map((r) =>
    r.ok && filters.length > 0 ? { ...r, fields: r.fields.filter((f) => nodeAllowed(f.node, filters)) } : r,
  );
  const wanted = new Map<string, ResolvedField>();
  for (const r of resolutions) if (r.ok) for (const f of r.fields) wanted.set(f.name, f);
  const results =
    wanted.size > 0
      ? await service.fetch([...wanted.values()], req.fromMs / 1000, req.toMs / 1000, req.stride, signal)
      : new Map();

  const answers: TargetAnswer[] = [];
  const failures: FailureKind[] = [];
  const allNotices: string[] = [];
  let answered = 0;
  req.targets.forEach((target, i) => {
    const r = resolutions[i];
    const answer: TargetAnswer = { target, series: [], notices: [] };
    if (!r || !r.ok) {
      const message = r && !r.ok ? r.message : `cannot resolve '${target.target}'`;
      answer.notices.push(message);
      failures.push('unknown');
    } else {
      const seen = new Set<string>();
      for (const f of r.fields) {
        const res = results.get(f.name);
        if (!res) continue;
        if (res.ok) {
          answer.series.push({ name: f.name, info: f.info, samples: res.samples } satisfies SeriesData);
        } else if (!seen.has(res.error.message)) {
          seen.add(res.error.message);
          answer.notices.push(res.error.message);
          failures.push(res.error.kind);
        }
      }
      // filtered down to nothing is an answer too: an empty one
      if (answer.series.length > 0 || r.fields.length === 0) answered++;
    }
    allNotices.push(...answer.notices);
    answers.push(answer);
  });
  if (answered === 0) {
    return { ok: false, status: failureStatus(failures), message: [...new Set(allNotices)].join('; ') };
  }
  return { ok: true, body: answerJson(answers), series: wanted.size, notices: allNotices };
}
