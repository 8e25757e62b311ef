// One plot: several fields over the shown time window, one y axis per unit,
// values under the cursor in the legend, drag to zoom, shift-drag to pan,
// ctrl-wheel to zoom around the cursor, double-click to go back. Data come
// from the bridge downsampled to the plot's width; live samples are appended.
import uPlot from 'uplot';
import { ApiError, type Api, type DataSeries, type FieldType } from '../api.js';
import type { Catalog } from '../catalog.js';
import { h, fill } from '../dom.js';
import { formatDateTime, formatValue, timeTicks } from '../format.js';
import { zoomRange } from '../range.js';
import { axesFor, appendNewer, dropBefore, fromColumns, samplesCsv, thinTail, type Samples } from '../series.js';

/** What a plot asks of the page around it. */
export interface PlotHost {
  api: Api;
  catalog: Catalog;
  utc(): boolean;
  /** the user chose this window on a plot (zoom, pan): every plot follows and fetches */
  setWindow(fromMs: number, toMs: number): void;
  /** moves every plot's view while a pan or wheel zoom is under way (no fetch) */
  previewWindow(fromMs: number, toMs: number): void;
  /** double-click: back to the window before the last zoom */
  zoomBack(): void;
  activate(panel: PlotPanel): void;
  removePlot(panel: PlotPanel): void;
  fieldsChanged(panel: PlotPanel): void;
  /** look back for the newest data of the plot's fields and show it */
  findNewest(panel: PlotPanel): void;
}

const PALETTE = ['#4cc9f0', '#f72585', '#ffb703', '#80ed99', '#b388ff', '#ff6b35', '#2ec4b6', '#e9c46a', '#ef476f', '#90e0ef'];
const HEIGHT = 300;

interface FieldMeta {
  units: string | null;
  description: string | null;
  type: FieldType;
}

type PanelState = 'empty' | 'loading' | 'ready' | 'no-data' | 'error';

export class PlotPanel {
  readonly el: HTMLElement;
  private readonly chips: HTMLElement;
  private readonly body: HTMLElement;
  private readonly overlay: HTMLElement;
  private readonly notices: HTMLElement;
  private readonly info: HTMLElement;
  private uplot: uPlot | null = null;
  private axesKey = '';
  private fieldList: string[];
  private readonly samples = new Map<string, Samples>();
  /** per field: index of the first sample that came live (not fetched) */
  private readonly liveFrom = new Map<string, number>();
  private readonly meta = new Map<string, FieldMeta>();
  private readonly errors = new Map<string, string>();
  private request: AbortController | null = null;
  private state: PanelState = 'empty';
  private window = { fromMs: 0, toMs: 0 };
  private fetchedPoints = 0;
  private liveSinceThin = 0;
  private redrawPending = false;

  constructor(
    private readonly host: PlotHost,
    fields: string[],
  ) {
    this.fieldList = [...new Set(fields)];
    this.chips = h('div.chips');
    this.info = h('span.plot-info');
    this.notices = h('div.notices');
    this.overlay = h('div.overlay');
    this.body = h('div.plot-body', null, this.overlay);
    const csvShown = h('button.tool', { type: 'button', title: 'Download the points shown, as CSV', onclick: () => this.downloadCsv() }, 'CSV');
    const csvFull = h('button.tool', { type: 'button', title: 'Download every sample of the shown range at full resolution, as CSV (from the bridge)', onclick: () => void this.downloadFullCsv() }, 'CSV (full)');
    const remove = h('button.tool.danger', { type: 'button', title: 'Remove this plot', onclick: () => this.host.removePlot(this) }, '✕');
    this.el = h(
      'section.plot',
      { onpointerdown: () => this.host.activate(this) },
      h('header.plot-head', null, this.chips, h('div.plot-tools', null, this.info, csvShown, csvFull, remove)),
      this.notices,
      this.body,
    );
    this.renderChips();
    this.setState(this.fieldList.length === 0 ? 'empty' : 'loading');
  }

  get fields(): string[] {
    return this.fieldList.slice();
  }

  /** The plot's drawing width in CSS pixels (the points asked for). */
  width(): number {
    return Math.max(200, Math.floor(this.body.clientWidth || 800));
  }

  setActive(active: boolean): void {
    this.el.classList.toggle('active', active);
  }

  addField(id: string): boolean {
    if (this.fieldList.includes(id)) return false;
    this.fieldList.push(id);
    this.renderChips();
    this.host.fieldsChanged(this);
    return true;
  }

  removeField(id: string): void {
    this.fieldList = this.fieldList.filter((f) => f !== id);
    this.samples.delete(id);
    this.liveFrom.delete(id);
    this.errors.delete(id);
    this.renderChips();
    this.host.fieldsChanged(this);
  }

  /** Fields asked for: all but those of nodes known to be gone (an unknown node gets the bridge's own answer). */
  private requestable(): string[] {
    return this.fieldList.filter((id) => this.host.catalog.node(nodeOf(id))?.online !== false);
  }

  /** Fetches the window's data at the plot's width, replacing what is shown. */
  async load(fromMs: number, toMs: number): Promise<void> {
    this.request?.abort();
    this.window = { fromMs, toMs };
    const fields = this.requestable();
    if (this.fieldList.length === 0) {
      this.samples.clear();
      this.destroyPlot();
      this.setState('empty');
      return;
    }
    if (fields.length === 0) {
      // every node gone: keep what is drawn, if anything, and say why
      this.renderChips();
      this.renderNotices();
      if (this.samples.size === 0) this.setState('error', 'The data nodes of this plot are gone.');
      return;
    }
    const controller = new AbortController();
    this.request = controller;
    this.el.classList.add('busy');
    if (this.state !== 'ready') this.setState('loading');
    const points = this.width();
    this.el.dataset.requestPoints = String(points);
    try {
      const reply = await this.host.api.data({ fields, fromMs, toMs, points }, controller.signal);
      if (controller.signal.aborted) return;
      this.take(reply.series);
      this.el.dataset.from = String(fromMs);
      this.el.dataset.to = String(toMs);
      this.draw(true);
    } catch (err) {
      if (controller.signal.aborted) return;
      this.samples.clear();
      this.destroyPlot();
      const message = err instanceof ApiError ? err.message : String(err);
      this.setState('error', message);
    } finally {
      if (this.request === controller) {
        this.request = null;
        this.el.classList.remove('busy');
      }
    }
  }

  private take(series: DataSeries[]): void {
    this.samples.clear();
    this.liveFrom.clear();
    this.errors.clear();
    for (const s of series) {
      this.meta.set(s.id, { units: s.units, description: s.description, type: s.type });
      if (s.error) this.errors.set(s.id, s.error);
      const samples = fromColumns(s.t, s.v);
      this.samples.set(s.id, samples);
      this.liveFrom.set(s.id, samples.t.length);
    }
    this.fetchedPoints = [...this.samples.values()].reduce((n, s) => n + s.t.length, 0);
    this.liveSinceThin = 0;
  }

  /** Time of the newest sample held of a field, or null. */
  newestOf(id: string): number | null {
    const s = this.samples.get(id);
    return s && s.t.length > 0 ? (s.t[s.t.length - 1] as number) : null;
  }

  /** Live samples (of any fields; this plot's are taken). */
  append(series: { id: string; t: number[]; v: unknown[] }[]): void {
    let added = 0;
    for (const s of series) {
      const held = this.samples.get(s.id);
      if (!held) continue;
      added += appendNewer(held, s.t, s.v);
      if (this.errors.delete(s.id)) this.renderChips();
    }
    if (added === 0) return;
    this.liveSinceThin += added;
    // keep a long live view light: thin what came live to the fetched density
    if (this.liveSinceThin > Math.max(2000, this.fetchedPoints)) {
      const strideMs = (this.window.toMs - this.window.fromMs) / this.width();
      for (const [id, s] of this.samples) thinTail(s, this.liveFrom.get(id) ?? 0, strideMs);
      this.liveSinceThin = 0;
    }
    this.scheduleDraw();
  }

  /** Moves the shown window (live: forward), dropping what left it; no fetch. */
  moveWindow(fromMs: number, toMs: number): void {
    this.window = { fromMs, toMs };
    for (const [id, s] of this.samples) {
      const dropped = dropBefore(s, fromMs);
      this.liveFrom.set(id, Math.max(0, (this.liveFrom.get(id) ?? 0) - dropped));
    }
    this.scheduleDraw();
  }

  /** Shows another window at once without fetching (pan or wheel under way). */
  preview(fromMs: number, toMs: number): void {
    this.uplot?.setScale('x', { min: fromMs, max: toMs });
  }

  problem(id: string, message: string): void {
    if (!this.fieldList.includes(id)) return;
    this.errors.set(id, message);
    this.renderChips();
  }

  /** The catalog changed (a node went or came back): update the marks. */
  refreshStatus(): void {
    this.renderChips();
    this.renderNotices();
  }

  /** Recreates the chart (e.g. after a change of time zone). */
  rebuild(): void {
    this.destroyPlot();
    this.draw(false);
  }

  resize(): void {
    this.uplot?.setSize({ width: this.width(), height: HEIGHT });
  }

  destroy(): void {
    this.request?.abort();
    this.destroyPlot();
    this.el.remove();
  }

  private scheduleDraw(): void {
    if (this.redrawPending) return;
    this.redrawPending = true;
    requestAnimationFrame(() => {
      this.redrawPending = false;
      this.draw(false);
    });
  }

  private setState(state: PanelState, message?: string): void {
    this.state = state;
    this.el.dataset.state = state;
    switch (state) {
      case 'empty':
        fill(this.overlay, h('p', null, 'Pick fields in the list on the left to plot them here.'));
        break;
      case 'loading':
        fill(this.overlay, h('p.muted', null, h('span.spinner'), ' Loading…'));
        break;
      case 'no-data': {
        const { fromMs, toMs } = this.window;
        const utc = this.host.utc();
        fill(
          this.overlay,
          h('p', null, 'No data in this range'),
          h('p.muted', null, `${formatDateTime(fromMs, utc)} – ${formatDateTime(toMs, utc)}${utc ? ' UTC' : ''}`),
          h('button.action', { type: 'button', onclick: () => this.host.findNewest(this) }, 'Show the newest data'),
        );
        break;
      }
      case 'error':
        fill(
          this.overlay,
          h('p.error-text', null, message ?? 'Something went wrong.'),
          h('button.action', { type: 'button', onclick: () => void this.load(this.window.fromMs, this.window.toMs) }, 'Try again'),
        );
        break;
      case 'ready':
        fill(this.overlay);
        break;
    }
    this.overlay.hidden = state === 'ready';
  }

  private destroyPlot(): void {
    this.uplot?.destroy();
    this.uplot = null;
    this.axesKey = '';
  }

  private renderNotices(): void {
    const gone = [...new Set(this.fieldList.map(nodeOf))].filter((n) => {
      const node = this.host.catalog.node(n);
      return node !== undefined && !node.online;
    });
    fill(
      this.notices,
      gone.map((n) => {
        const at = this.host.catalog.node(n)?.goneAt;
        return h('p.notice.gone', { dataset: { node: n } }, `Data node ${n} is gone${at ? ` (since ${formatDateTime(at, this.host.utc())})` : ''}: its fields show what was loaded before.`);
      }),
    );
  }

  private renderChips(): void {
    const counts = this.drawnCounts();
    fill(
      this.chips,
      this.fieldList.map((id, i) => {
        const meta = this.meta.get(id) ?? this.host.catalog.field(id);
        const gone = !this.host.catalog.isOnline(nodeOf(id));
        const error = this.errors.get(id);
        const title = [id, meta?.description, meta?.units ? `units: ${meta.units}` : null, gone ? 'data node gone' : null, error].filter(Boolean).join('\n');
        return h(
          'span.chip',
          { title, class: [gone ? 'gone' : '', error ? 'failed' : ''].filter(Boolean).join(' '), dataset: { field: id, points: String(counts.get(id) ?? 0) } },
          h('span.swatch', { style: `background:${PALETTE[i % PALETTE.length]}` }),
          h('span.chip-name', null, id),
          meta?.units ? h('span.chip-units', null, meta.units) : null,
          error ? h('span.chip-flag', null, '!') : null,
          h('button.chip-x', { type: 'button', title: `Remove ${id} from this plot`, onclick: () => this.removeField(id) }, '×'),
        );
      }),
    );
  }

  /** per field: the number of values handed to the chart (what is drawn) */
  private drawnCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    const data = this.uplot?.data;
    if (!data) return counts;
    this.plotted.forEach((id, i) => {
      const ys = data[i + 1] ?? [];
      let n = 0;
      for (const y of ys) if (y !== null && y !== undefined) n++;
      counts.set(id, n);
    });
    return counts;
  }

  /** the fields in the chart, in series order */
  private plotted: string[] = [];

  private draw(fetched: boolean): void {
    const ids = this.fieldList.filter((id) => this.samples.has(id));
    const total = ids.reduce((n, id) => n + (this.samples.get(id) as Samples).t.length, 0);
    if (ids.length === 0 || total === 0) {
      if (fetched || this.state !== 'ready') {
        this.destroyPlot();
        this.plotted = [];
        this.setState(this.samples.size === 0 ? 'error' : 'no-data', 'Nothing to show.');
      }
      this.renderChips();
      this.renderNotices();
      return;
    }
    const fields = ids.map((id) => ({ id, units: this.meta.get(id)?.units ?? null }));
    const { axes, scaleOf } = axesFor(fields);
    const key = JSON.stringify([ids, scaleOf, this.host.utc()]);
    const data = uPlot.join(ids.map((id) => {
      const s = this.samples.get(id) as Samples;
      return [s.t, s.v] as uPlot.AlignedData;
    }));
    if (!this.uplot || key !== this.axesKey) {
      this.destroyPlot();
      this.uplot = this.create(ids, axes, scaleOf, data);
      this.axesKey = key;
    } else {
      this.uplot.setData(data, false);
    }
    this.plotted = ids;
    this.uplot.setScale('x', { min: this.window.fromMs, max: this.window.toMs });
    this.el.dataset.xCount = String(data[0].length);
    this.info.textContent = `${total.toLocaleString('en')} points`;
    this.setState('ready');
    this.renderChips();
    this.renderNotices();
  }

  private create(ids: string[], axes: ReturnType<typeof axesFor>['axes'], scaleOf: string[], data: uPlot.AlignedData): uPlot {
    const css = getComputedStyle(document.documentElement);
    const text = css.getPropertyValue('--text-dim').trim() || '#9aa4b2';
    const grid = css.getPropertyValue('--grid').trim() || 'rgba(255,255,255,0.08)';
    const utc = this.host.utc();
    const scales: uPlot.Scales = { x: { time: true } };
    for (const a of axes) scales[a.scale] = { auto: true };
    const opts: uPlot.Options = {
      width: this.width(),
      height: HEIGHT,
      ms: 1,
      tzDate: utc ? (ts) => uPlot.tzDate(new Date(ts), 'Etc/UTC') : (ts) => new Date(ts),
      scales,
      series: [
        { label: utc ? 'Time (UTC)' : 'Time', value: (_u, v) => (v === null ? '–' : formatDateTime(v, utc)) },
        ...ids.map((id, i) => {
          const units = this.meta.get(id)?.units ?? null;
          const oneNode = new Set(ids.map(nodeOf)).size === 1;
          return {
            label: oneNode ? id.slice(nodeOf(id).length + 2) : id,
            scale: scaleOf[i] as string,
            stroke: PALETTE[i % PALETTE.length] as string,
            width: 1.5,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => formatValue(v, units),
          };
        }),
      ],
      axes: [
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          values: (_u: uPlot, splits: number[], _axis: number, _space: number, step: number) => timeTicks(splits, step, utc),
        },
        ...axes.map((a, i) => ({
          scale: a.scale,
          side: a.side,
          label: a.units || '(no unit)',
          labelSize: 20,
          stroke: text,
          // wide enough for the longest tick label and the units
          size: (_u: uPlot, values: string[] | null) => 34 + 7 * Math.max(3, ...(values ?? []).map((v) => v.length)),
          grid: { show: i === 0, stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          values: (_u: uPlot, splits: number[]) => splits.map((v) => formatValue(v)),
        })),
      ],
      legend: { live: true },
      cursor: {
        sync: { key: 'sisock' },
        drag: { x: true, y: false, setScale: false },
        bind: {
          mousedown: (u, _targ, handler) => (e) => {
            if (e.shiftKey) {
              this.startPan(u, e);
              return null;
            }
            return handler(e);
          },
          dblclick: () => () => {
            this.host.zoomBack();
            return null;
          },
        },
      },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            this.host.setWindow(Math.round(from), Math.round(to));
          },
        ],
      },
    };
    const u = new uPlot(opts, data, this.body);
    u.over.addEventListener('wheel', (e) => this.wheelZoom(u, e), { passive: false });
    return u;
  }

  private startPan(u: uPlot, down: MouseEvent): void {
    const from0 = this.window.fromMs;
    const to0 = this.window.toMs;
    const width = u.over.clientWidth || 1;
    let target = { fromMs: from0, toMs: to0 };
    const move = (e: MouseEvent): void => {
      const d = Math.round(((down.clientX - e.clientX) / width) * (to0 - from0));
      target = { fromMs: from0 + d, toMs: to0 + d };
      this.host.previewWindow(target.fromMs, target.toMs);
    };
    const up = (): void => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      if (target.fromMs !== from0) this.host.setWindow(target.fromMs, target.toMs);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  }

  private wheelTimer: ReturnType<typeof setTimeout> | null = null;
  private wheelTarget: { fromMs: number; toMs: number } | null = null;

  private wheelZoom(u: uPlot, e: WheelEvent): void {
    if (!e.ctrlKey) return;
    e.preventDefault();
    const base = this.wheelTarget ?? this.window;
    const centre = u.posToVal(e.offsetX, 'x');
    const target = zoomRange(base.fromMs, base.toMs, e.deltaY > 0 ? 1.25 : 0.8, centre);
    this.wheelTarget = target;
    this.host.previewWindow(target.fromMs, target.toMs);
    if (this.wheelTimer) clearTimeout(this.wheelTimer);
    this.wheelTimer = setTimeout(() => {
      this.wheelTimer = null;
      const t = this.wheelTarget;
      this.wheelTarget = null;
      if (t) this.host.setWindow(t.fromMs, t.toMs);
    }, 300);
  }

  private downloadCsv(): void {
    const columns = this.fieldList.flatMap((id) => {
      const s = this.samples.get(id);
      return s ? [{ id, samples: s }] : [];
    });
    const csv = samplesCsv(columns, this.window.fromMs, this.window.toMs);
    download(new Blob([csv], { type: 'text/csv' }), this.fileName());
  }

  private async downloadFullCsv(): Promise<void> {
    const fields = this.requestable();
    if (fields.length === 0) return;
    // fetched (not a link) so that a bridge's credentials go with it
    const url = this.host.api.dataUrl({ fields, fromMs: this.window.fromMs, toMs: this.window.toMs }, 'csv');
    try {
      download(await this.host.api.blob(url), this.fileName());
    } catch (err) {
      window.alert(`Cannot download the CSV: ${(err as Error).message}`);
    }
  }

  private fileName(): string {
    const stamp = new Date(this.window.fromMs).toISOString().slice(0, 16).replace(/[:]/g, '');
    const name = this.fieldList.length === 1 ? (this.fieldList[0] as string).replace(/::/g, '_') : `${this.fieldList.length}-fields`;
    return `sisock_${name}_${stamp}.csv`.replace(/[^\w.-]+/g, '_');
  }
}

export function nodeOf(id: string): string {
  const i = id.indexOf('::');
  return i < 0 ? id : id.slice(0, i);
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
