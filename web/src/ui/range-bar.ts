// The time controls: "last N" presets, an absolute range, live on/off,
// zoom out / pan / back, UTC or local time.
import { h, fill } from '../dom.js';
import { formatDateTime, inputDateTime, parseInputDateTime } from '../format.js';
import { describeSpan, formatSpan, parseSpan, PRESET_SPANS, type TimeRange } from '../range.js';

export interface RangeBarHost {
  range(): TimeRange;
  /** the window shown now */
  window(): { fromMs: number; toMs: number };
  live(): boolean;
  utc(): boolean;
  canZoomBack(): boolean;
  setRange(r: TimeRange): void;
  setLive(on: boolean): void;
  setUtc(utc: boolean): void;
  zoomOut(): void;
  pan(fraction: number): void;
  zoomBack(): void;
}

export class RangeBar {
  readonly el: HTMLElement;
  private readonly presets: HTMLElement;
  private readonly custom: HTMLFormElement;
  private readonly fromInput: HTMLInputElement;
  private readonly toInput: HTMLInputElement;
  private readonly liveButton: HTMLButtonElement;
  private readonly backButton: HTMLButtonElement;
  private readonly tzButton: HTMLButtonElement;

  constructor(private readonly host: RangeBarHost) {
    this.presets = h('div.presets', { role: 'group', 'aria-label': 'Last' });
    this.fromInput = h('input', { type: 'datetime-local', name: 'from', 'aria-label': 'From' });
    this.toInput = h('input', { type: 'datetime-local', name: 'to', 'aria-label': 'To' });
    this.custom = h(
      'form.custom',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          this.applyCustom();
        },
        oninput: () => this.custom.classList.remove('invalid'),
      },
      this.fromInput,
      h('span.muted', null, '→'),
      this.toInput,
      h('button.tool', { type: 'submit', title: 'Show this range' }, 'Go'),
    );
    this.liveButton = h('button.live', { type: 'button', title: 'Follow new samples as they arrive', onclick: () => this.host.setLive(!this.host.live()) }, h('span.live-dot'), 'Live');
    this.backButton = h('button.tool', { type: 'button', title: 'Back to the range before the last zoom (or double-click a plot)', onclick: () => this.host.zoomBack() }, '↶ Back');
    this.tzButton = h('button.tool', { type: 'button', title: 'Show times in UTC or in this browser’s time zone', onclick: () => this.host.setUtc(!this.host.utc()) });
    this.el = h(
      'div.range-bar',
      null,
      this.presets,
      h('input.span-input', {
        type: 'text',
        placeholder: 'last…',
        title: 'Any span: 90s, 45m, 12h, 3d, 2w (Enter)',
        size: 5,
        onkeydown: (e: KeyboardEvent) => {
          if (e.key !== 'Enter') return;
          const input = e.target as HTMLInputElement;
          const ms = parseSpan(input.value);
          input.classList.toggle('invalid', ms === null);
          if (ms !== null) {
            input.value = '';
            this.host.setRange({ kind: 'relative', spanMs: ms });
          }
        },
      }),
      this.custom,
      h('div.nav', { role: 'group', 'aria-label': 'Move' },
        h('button.tool', { type: 'button', title: 'Earlier (half a window)', onclick: () => this.host.pan(-0.5) }, '◀'),
        h('button.tool', { type: 'button', title: 'Zoom out (twice the span)', onclick: () => this.host.zoomOut() }, '−'),
        h('button.tool', { type: 'button', title: 'Later (half a window)', onclick: () => this.host.pan(0.5) }, '▶'),
        this.backButton,
      ),
      this.liveButton,
      this.tzButton,
    );
    this.update();
  }

  private applyCustom(): void {
    const utc = this.host.utc();
    const from = parseInputDateTime(this.fromInput.value, utc);
    const to = parseInputDateTime(this.toInput.value, utc);
    const bad = from === null || to === null || to <= from;
    this.custom.classList.toggle('invalid', bad);
    if (!bad) this.host.setRange({ kind: 'absolute', fromMs: from, toMs: to });
  }

  private shownPreset: string | null = null;

  private renderPresets(current: string | null): void {
    this.shownPreset = current;
    fill(
      this.presets,
      PRESET_SPANS.map((s) =>
        h('button.preset', {
          type: 'button',
          class: s === current ? 'on' : '',
          'aria-pressed': String(s === current),
          title: `The last ${describeSpan(parseSpan(s) as number)}`,
          onclick: () => this.host.setRange({ kind: 'relative', spanMs: parseSpan(s) as number }),
        }, s),
      ),
      current !== null && !PRESET_SPANS.includes(current) ? h('button.preset.on', { type: 'button', 'aria-pressed': 'true' }, current) : null,
    );
  }

  /** Redraws from the host's state (every second while live). */
  update(): void {
    const r = this.host.range();
    const current = r.kind === 'relative' ? formatSpan(r.spanMs) : null;
    // rebuild the buttons only when the choice changed
    if (current !== this.shownPreset || this.presets.childElementCount === 0) this.renderPresets(current);
    const utc = this.host.utc();
    const w = this.host.window();
    if (document.activeElement !== this.fromInput && document.activeElement !== this.toInput) {
      this.fromInput.value = inputDateTime(w.fromMs, utc);
      this.toInput.value = inputDateTime(w.toMs, utc);
    }
    const live = this.host.live();
    this.liveButton.classList.toggle('on', live);
    this.liveButton.setAttribute('aria-pressed', String(live));
    this.backButton.disabled = !this.host.canZoomBack();
    this.tzButton.textContent = utc ? 'UTC' : 'Local';
    this.el.title = r.kind === 'relative' ? `The last ${describeSpan(r.spanMs)}${live ? ', live' : ''}` : `${formatDateTime(w.fromMs, utc)} – ${formatDateTime(w.toMs, utc)}${utc ? ' UTC' : ''}`;
  }
}
