// The example OCS messages in test/fixtures/ocs (see that folder's files).
import { readFileSync } from 'node:fs';

export interface OcsFixture {
  description: string;
  topic: string;
  publish_args: unknown[];
  publish_kwargs: Record<string, unknown>;
  derived: Record<string, unknown>;
}

const dir = new URL('../../../../test/fixtures/ocs/', import.meta.url);

export function fixture(name: string): OcsFixture {
  return JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as OcsFixture;
}

export const FIXTURES = {
  fakeData: 'current-fake-data-false_temperatures',
  twoBlocks: 'current-ls372-temperatures-two-blocks',
  heartbeat: 'current-heartbeat-unrecorded',
  legacy: 'legacy-2019-ls240-prefix-agent_session_id',
} as const;
