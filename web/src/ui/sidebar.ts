// The left column: search across every node's fields, the data nodes
// (live: a node that goes away stays, marked gone, until it comes back),
// each node's fields grouped by timeline with descriptions and units, and
// a short log of what happened.
import type { FieldInfo, NodeDetail } from '../api.js';
import type { Catalog, NodeState } from '../catalog.js';
import { h, fill } from '../dom.js';
import { formatAgo, formatDateTime, formatInterval } from '../format.js';

export interface SidebarHost {
  catalog: Catalog;
  utc(): boolean;
  /** the fields in any plot, marked in the lists */
  shownFields(): Set<string>;
  addField(id: string, newPlot: boolean): void;
  /** the set of opened nodes changed (kept in the URL) */
  openedChanged(nodes: string[]): void;
}

const MAX_RESULTS = 200;

export class Sidebar {
  readonly el: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly results: HTMLElement;
  private readonly nodeList: HTMLElement;
  private readonly log: HTMLElement;
  private readonly opened = new Set<string>();
  private readonly detailErrors = new Map<string, string>();

  constructor(private readonly host: SidebarHost, opened: string[]) {
    for (const n of opened) this.opened.add(n);
    this.search = h('input.search', {
      type: 'search',
      placeholder: 'Search fields of every node…',
      'aria-label': 'Search fields by name',
      oninput: () => this.renderResults(),
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === 'Escape') {
          this.search.value = '';
          this.renderResults();
        }
      },
    });
    this.results = h('div.results');
    this.nodeList = h('div.nodes', { role: 'tree', 'aria-label': 'Data nodes' });
    this.log = h('ol.log', null, h('li.empty', null, 'Nodes coming and going, and connection changes, are noted here.'));
    this.el = h(
      'aside.sidebar',
      null,
      h('div.search-box', null, this.search),
      this.results,
      h('h2.section', null, 'Data nodes'),
      this.nodeList,
      h('h2.section', null, 'Activity'),
      this.log,
    );
    host.catalog.onChange((c) => {
      if (c.type === 'fields' || c.type === 'nodes') this.render();
    });
    this.render();
  }

  /** Opens these nodes in the browser. */
  open(names: string[]): void {
    for (const n of names) this.opened.add(n);
    this.host.openedChanged(this.openedNodes());
    this.renderNodes();
  }

  openedNodes(): string[] {
    return [...this.opened].sort();
  }

  /** A line in the activity log (newest first, 50 kept). */
  note(text: string, kind: 'info' | 'good' | 'bad' = 'info'): void {
    this.log.querySelector('li.empty')?.remove();
    const time = formatDateTime(Date.now(), this.host.utc()).slice(11);
    this.log.prepend(h('li', { class: kind }, h('time', null, time), ' ', text));
    while (this.log.children.length > 50) this.log.lastElementChild?.remove();
  }

  /** Brings the "gone … ago" marks up to date. */
  refreshAges(): void {
    for (const badge of this.nodeList.querySelectorAll<HTMLElement>('.badge.gone')) {
      const since = Number(badge.dataset.since);
      badge.textContent = goneText(since > 0 ? since : null);
    }
  }

  render(): void {
    this.renderNodes();
    this.renderResults();
  }

  private toggle(name: string): void {
    if (this.opened.has(name)) {
      this.opened.delete(name);
    } else {
      this.opened.add(name);
      // opening asks the node again: its list may have grown
      this.host.catalog.invalidate(name);
      this.detailErrors.delete(name);
    }
    this.host.openedChanged(this.openedNodes());
    this.renderNodes();
  }

  private renderNodes(): void {
    const nodes = this.host.catalog.nodes();
    if (nodes.length === 0) {
      fill(this.nodeList, h('p.muted.pad', null, 'No data nodes yet. Start one with `sisock node <kind>`, or run `sisock up`.'));
      return;
    }
    fill(this.nodeList, nodes.map((n) => this.renderNode(n)));
  }

  private renderNode(n: NodeState): HTMLElement {
    const open = this.opened.has(n.name);
    const state = n.online ? 'online' : 'gone';
    const head = h(
      'button.node-head',
      { type: 'button', 'aria-expanded': String(open), onclick: () => this.toggle(n.name), title: n.description ?? n.name },
      h('span.caret', null, open ? '▾' : '▸'),
      h('span.dot', { class: state, title: n.online ? 'online' : 'gone' }),
      h('span.node-name', null, n.name),
      n.online ? h('span.count', null, `${n.fields}`) : h('span.badge.gone', { dataset: { since: String(n.goneAt ?? '') } }, goneText(n.goneAt)),
    );
    const children: (HTMLElement | null)[] = [head];
    if (open) {
      if (n.description) children.push(h('p.node-desc', null, n.description));
      children.push(this.renderFields(n));
    }
    return h('div.node', { class: state, role: 'treeitem', dataset: { node: n.name, state } }, ...children);
  }

  private renderFields(n: NodeState): HTMLElement {
    const detail = this.host.catalog.detail(n.name);
    if (!detail) {
      const error = this.detailErrors.get(n.name);
      if (error) return h('p.error-text.pad', null, error);
      if (n.online) {
        this.host.catalog.loadDetail(n.name, true).then(
          () => this.detailErrors.delete(n.name),
          (err: unknown) => {
            this.detailErrors.set(n.name, `Cannot list its fields: ${(err as Error).message}`);
            this.renderNodes();
          },
        );
      }
      return h('p.muted.pad', null, n.online ? 'Loading fields…' : 'Gone: its fields come back with it.');
    }
    if (detail.fields.length === 0) return h('p.muted.pad', null, 'No fields yet.');
    const groups = timelineGroups(detail);
    if (groups.length > 1 && groups.length === detail.fields.length) {
      // one timeline per field (live feeds): one list, the timelines in the tooltips
      const intervals = [...new Set(groups.map(([, interval]) => formatInterval(interval)))];
      return h(
        'div.timelines',
        null,
        h('p.timeline-head', null, h('span.tl-name', null, 'one timeline per field'), intervals.length === 1 ? h('span.tl-interval', null, intervals[0]) : null),
        h('ul.fields', null, detail.fields.map((f) => this.renderField(f, false))),
      );
    }
    return h('div.timelines', null, groups.map(([name, interval, fields]) =>
      h(
        'div.timeline',
        null,
        h('p.timeline-head', { title: `timeline ${name}` }, h('span.tl-name', null, name), h('span.tl-interval', null, formatInterval(interval))),
        h('ul.fields', null, fields.map((f) => this.renderField(f, false))),
      ),
    ), detail.fieldsError ? h('p.error-text.pad', null, detail.fieldsError) : null);
  }

  private renderField(f: FieldInfo, withNode: boolean): HTMLElement {
    const shown = this.host.shownFields().has(f.id);
    const plottable = f.type !== 'string';
    return h(
      'li.field',
      { class: [shown ? 'shown' : '', plottable ? '' : 'text'].filter(Boolean).join(' '), dataset: { field: f.id } },
      h(
        'button.field-add',
        {
          type: 'button',
          disabled: !plottable,
          title: plottable
            ? `${f.id}${f.description ? `\n${f.description}` : ''}\ntimeline ${f.timeline}\nclick: add to the selected plot; shift-click: new plot`
            : `${f.id}: a text field (export it as CSV from the REST API)`,
          onclick: (e: MouseEvent) => this.host.addField(f.id, e.shiftKey),
        },
        h('span.field-name', null, withNode ? h('span.field-node', null, `${f.node}::`) : null, breakable(f.field)),
        f.units ? h('span.units', null, f.units) : f.type !== 'number' ? h('span.units', null, f.type) : null,
        f.description ? h('span.field-desc', null, f.description) : null,
      ),
      plottable ? h('button.field-new', { type: 'button', title: 'Plot in a new plot', onclick: () => this.host.addField(f.id, true) }, '+') : null,
    );
  }

  private renderResults(): void {
    const q = this.search.value.trim().toLowerCase();
    this.results.hidden = q === '';
    if (q === '') {
      fill(this.results);
      return;
    }
    const all = this.host.catalog.allFields();
    if (!all) {
      fill(this.results, h('p.muted.pad', null, 'Loading the field list…'));
      return;
    }
    const terms = q.split(/\s+/);
    const hits = all.filter((f) => {
      const hay = `${f.id} ${f.description ?? ''}`.toLowerCase();
      return terms.every((t) => hay.includes(t));
    });
    fill(
      this.results,
      h('p.results-head', null, hits.length === 0 ? 'No field matches.' : `${hits.length} field${hits.length === 1 ? '' : 's'}${hits.length > MAX_RESULTS ? ` (first ${MAX_RESULTS})` : ''}`),
      h('ul.fields', null, hits.slice(0, MAX_RESULTS).map((f) => this.renderField(f, true))),
    );
  }
}

function goneText(goneAt: number | null): string {
  return goneAt ? `gone ${formatAgo(Date.now() - goneAt)} ago` : 'gone';
}

/** A node's fields by timeline: [name, interval, fields], in name order. */
function timelineGroups(d: NodeDetail): [string, number | null, FieldInfo[]][] {
  const groups = new Map<string, FieldInfo[]>();
  for (const f of d.fields) {
    const list = groups.get(f.timeline) ?? [];
    list.push(f);
    groups.set(f.timeline, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, fields]) => [name, d.timelines[name]?.interval ?? null, fields]);
}

/** A long dotted name with line-break opportunities after its dots. */
function breakable(name: string): (string | HTMLElement)[] {
  return name.split(/(?<=\.)/).flatMap((part, i) => (i === 0 ? [part] : [h('wbr'), part]));
}
