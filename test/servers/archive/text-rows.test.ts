import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Columns } from '../../../src/servers/archive/columns.js';
import { newReport, parseRows } from '../../../src/servers/archive/text-rows.js';

function parse(text: string, header = false, time?: (x: number) => number) {
  const c = new Columns(2);
  const report = newReport();
  const r = parseRows(Buffer.from(text, 'latin1'), c, { header, ...(time ? { time } : {}) }, 1, report);
  return { t: [...c.t], v: [...c.v], report, r };
}

test('rows of time and value are read; comments, blank lines and extra columns are tolerated', () => {
  const { t, v, report } = parse('# a comment\n1500000000.0 1.5\n\n  1500000060\t-2.25  extra\r\n1500000120 3e2\n');
  assert.deepEqual(t, [1500000000, 1500000060, 1500000120]);
  assert.deepEqual(v, [1.5, -2.25, 300]);
  assert.equal(report.malformed, 0);
});

test('malformed lines are counted with their line numbers and skipped; the rest is kept', () => {
  const { t, v, report } = parse('1 10\ngarbage here\n2\n3 abc\ninf 4\n5 Infinity\n6 60\n');
  assert.deepEqual(t, [1, 6]);
  assert.deepEqual(v, [10, 60]);
  assert.equal(report.malformed, 5);
  assert.deepEqual(
    report.examples.map((e) => e.line),
    [2, 3, 4],
  );
  assert.equal(report.examples[0]!.text, 'garbage here');
});

test('NaN values are missing readings: skipped and counted apart from malformed lines', () => {
  const { t, report } = parse('1 NaN\n2 nan\n3 4\n');
  assert.deepEqual(t, [3]);
  assert.equal(report.missing, 2);
  assert.equal(report.malformed, 0);
});

test('a header line is skipped without complaint, but a numeric first line is data', () => {
  const withHeader = parse('Day PWV\n1.5 2\n', true);
  assert.deepEqual(withHeader.t, [1.5]);
  assert.equal(withHeader.report.malformed, 0);
  const noHeader = parse('1.5 2\n2.5 3\n', true);
  assert.deepEqual(noHeader.t, [1.5, 2.5]);
});

test('the first column is mapped to UNIX time when the format says how', () => {
  const { t } = parse('1.5 2\n', false, (x) => x * 100);
  assert.deepEqual(t, [150]);
});

test('an unterminated last line is read provisionally and not counted as consumed', () => {
  const { t, r } = parse('1 10\n2 2');
  assert.deepEqual(t, [1, 2]);
  assert.equal(r.provisionalRows, 1);
  assert.equal(r.completeBytes, 5);
  assert.equal(r.completeLines, 1);
  const partial = parse('1 10\n2');
  assert.deepEqual(partial.t, [1]);
  assert.equal(partial.r.provisionalRows, 0);
  assert.equal(partial.report.malformed, 0, 'a line still being written is not malformed');
});

test('numbers are read exactly as Number() reads them, fast path or not', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const tokens: string[] = ['0', '-0', '+7', '1.', '.5', '-.25', '0.1', '0.3', '1e3', '-2.5E-3', '1546300800.000000', '9007199254740993', '123456789012345.6'];
  for (let i = 0; i < 5000; i++) {
    const int = String(Math.floor(rnd() * 10 ** Math.floor(rnd() * 12)));
    const frac = String(Math.floor(rnd() * 10 ** Math.floor(rnd() * 10))).padStart(Math.floor(rnd() * 8), '0');
    tokens.push(`${rnd() < 0.3 ? '-' : ''}${int}.${frac}`);
  }
  const text = tokens.map((x, i) => `${i} ${x}`).join('\n') + '\n';
  const { v, report } = parse(text);
  assert.equal(report.malformed, 0);
  assert.equal(v.length, tokens.length);
  tokens.forEach((x, i) => assert.ok(Object.is(v[i], Number(x)), `${x}: got ${v[i]}, Number gives ${Number(x)}`));
});

test('only decimal notation is data: hex, empty signs and stray characters are malformed', () => {
  const { t, report } = parse('1 0x1A\n2 -\n3 1.2.3\n4 12abc\n5 1e\n6 7\n');
  assert.deepEqual(t, [6]);
  assert.equal(report.malformed, 5);
});
