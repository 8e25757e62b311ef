// Loads the recorded Grafana request bodies of test/fixtures/grafana.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface GrafanaRequest {
  plugin: string;
  grafana: string;
  source: string;
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, unknown>;
}

// compiled to dist/test/http/helpers/: the sources sit four levels up
export const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/grafana/', import.meta.url));

export function fixture(name: string): GrafanaRequest {
  return JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as GrafanaRequest;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}
