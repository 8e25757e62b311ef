// The monitor page: holds the view (plots, range, live, time zone), keeps
// it in the URL, and wires the node list, the plots and the live stream.
import { ApiError, type Api } from './api.js';
import { Catalog, type CatalogChange } from './catalog.js';
import { h, fill } from './dom.js';
import { LiveStream, type Connection } from './live.js';
import { panRange, resolveRange, spanOf, zoomRange, type TimeRange } from './range.js';
import { formatViewState, type ViewState } from './view-state.js';
import { nodeOf, PlotPanel, type PlotHost } from './ui/plot-panel.js';
import { RangeBar, type RangeBarHost } from './ui/range-bar.js';
import { Sidebar, type SidebarHost } from './ui/sidebar.js';
import { forgetAuthorization, signInDialog } from './ui/sign-in.js';

/** Look-back windows tried, shortest first, to find a plot's newest data. */
const LOOK_BACK_MS = [1, 24, 7 * 24, 30 * 24, 365 * 24, 10 * 365 * 24, 60 * 365 * 24].map((hours) => hours * 3_600_000);
/** Nodes opened at first sight when the URL names none (a small system shows everything). */
const OPEN_ALL_UP_TO = 4;

export class App implements PlotHost, SidebarHost, RangeBarHost {
  readonly api: Api;
  readonly catalog: Catalog;
  private readonly view: ViewState;
  private readonly panels: PlotPanel[] = [];
  private activePanel: PlotPanel | null = null;
  private shownWindow: { fromMs: number; toMs: number };
  private readonly zoomStack: TimeRange[] = [];
  private readonly stream: LiveStream;
  private readonly sidebar: Sidebar;
  private readonly rangeBar: RangeBar;
  private readonly plotsEl: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly pill: HTMLElement;
  private connection: Connection = 'connecting';
  private routerDown: string | null = null;
  private everConnected = false;
  /** the first load of every plot has been asked for: until then node events need not load plots */
  private started = false;
  private loadedWidth = 0;
  private readonly openAllAtFirstSight: boolean;

  constructor(root: HTMLElement, api: Api, view: ViewState, fresh: boolean) {
    this.api = api;
    this.catalog = new Catalog(api);
    this.view = view;
    this.openAllAtFirstSight = fresh && view.nodes.length === 0;
    this.shownWindow = resolveRange(view.range, Date.now());
    this.sidebar = new Sidebar(this, view.nodes);
    this.rangeBar = new RangeBar(this);
    this.plotsEl = h('div.plots');
    this.banner = h('div.banner', { hidden: true, role: 'status' });
    this.pill = h('span.pill', { role: 'status' });
    const share = h('button.tool', { type: 'button', title: 'Copy a link to this view', onclick: () => void this.copyLink(share) }, 'Share');
    const signOut = api.authorization
      ? h('button.tool', { type: 'button', title: 'Forget the credentials of this tab', onclick: () => { forgetAuthorization(); location.reload(); } }, 'Sign out')
      : null;
    const addPlot = h('button.add-plot', { type: 'button', onclick: () => this.activate(this.newPanel([])) }, '+ New plot');
    fill(
      root,
      h(
        'header.top',
        null,
        h('div.brand', null, h('span.logo', { 'aria-hidden': 'true' }), h('h1', null, 'sisock'), h('span.sub', null, 'monitor'), this.pill),
        this.rangeBar.el,
        h('div.top-right', null, share, signOut),
      ),
      h('div.layout', null, this.sidebar.el, h('main.main', null, this.banner, this.plotsEl, addPlot)),
    );
    for (const fields of view.plots) this.newPanel(fields);
    if (this.panels.length === 0) this.newPanel([]);
    this.activate(this.panels[0] as PlotPanel);

    this.catalog.onChange((c) => this.onCatalog(c));
    this.stream = new LiveStream(this.api, {
      hello: (hello) => {
        this.catalog.replace(hello.nodes);
        this.setRouter(hello.connected ? null : 'the bridge has no session with the WAMP router');
        this.followLive();
      },
      nodeAdded: (n) => this.catalog.upsert(n),
      nodeRemoved: (n) => this.catalog.upsert({ ...n, online: false }),
      fieldsChanged: (n) => this.catalog.fieldsChanged(n),
      upstream: (u) => {
        this.setRouter(u.connected ? null : (u.reason ?? 'connection lost'));
        this.sidebar.note(u.connected ? 'the bridge is back on the router' : `the bridge lost the router${u.reason ? `: ${u.reason}` : ''}`, u.connected ? 'good' : 'bad');
      },
      samples: (s) => {
        if (!this.view.live) return;
        for (const p of this.panels) p.append(s.series);
      },
      problem: (p) => {
        for (const panel of this.panels) panel.problem(p.id, p.message);
      },
      connection: (state, retryInMs) => this.setConnection(state, retryInMs),
      forbidden: () => this.signIn(),
      refused: (err) => {
        if (err.message === this.lastRefusal) return;
        this.lastRefusal = err.message;
        this.sidebar.note(`the bridge refused the live stream: ${err.message}`, 'bad');
      },
    }, () => this.liveSince());

    new ResizeObserver(() => this.onResize()).observe(this.plotsEl);
    setInterval(() => this.tick(), 1000);
    window.addEventListener('popstate', () => location.reload());
    this.updateUrl();
    void this.start();
  }

  private async start(): Promise<void> {
    try {
      this.catalog.replace(await this.api.nodes());
      const status = await this.api.status();
      this.setRouter(status.connected ? null : 'the bridge has no session with the WAMP router');
      this.everConnected = true;
    } catch (err) {
      if (err instanceof ApiError && err.forbidden) {
        this.signIn();
        return;
      }
      this.setConnection('down');
      this.sidebar.note(`cannot load the node list: ${(err as Error).message}`, 'bad');
    }
    if (this.openAllAtFirstSight) {
      const nodes = this.catalog.nodes();
      if (nodes.length <= OPEN_ALL_UP_TO) this.sidebar.open(nodes.map((n) => n.name));
    }
    this.started = true;
    this.reloadAll();
    this.followLive();
  }

  // ---- state shared with the parts

  utc(): boolean {
    return this.view.utc;
  }

  range(): TimeRange {
    return this.view.range;
  }

  window(): { fromMs: number; toMs: number } {
    return this.shownWindow;
  }

  live(): boolean {
    return this.view.live;
  }

  canZoomBack(): boolean {
    return this.zoomStack.length > 0;
  }

  shownFields(): Set<string> {
    return new Set(this.panels.flatMap((p) => p.fields));
  }

  // ---- view changes

  setRange(r: TimeRange, fromZoom = false): void {
    if (!fromZoom) this.zoomStack.length = 0;
    this.view.range = r;
    this.view.live = r.kind === 'relative' && (this.view.live || !fromZoom);
    this.shownWindow = resolveRange(r, Date.now());
    this.rangeBar.update();
    this.updateUrl();
    this.reloadAll();
    this.followLive();
  }

  setLive(on: boolean): void {
    if (on) {
      this.view.live = true;
      this.setRange({ kind: 'relative', spanMs: spanOf(this.view.range) });
      return;
    }
    this.view.live = false;
    this.rangeBar.update();
    this.updateUrl();
    this.followLive();
  }

  setUtc(utc: boolean): void {
    this.view.utc = utc;
    this.rangeBar.update();
    this.sidebar.render();
    for (const p of this.panels) p.rebuild();
    this.updateUrl();
  }

  setWindow(fromMs: number, toMs: number): void {
    if (!(toMs > fromMs)) return;
    this.zoomStack.push(this.view.range);
    this.setRange({ kind: 'absolute', fromMs, toMs }, true);
  }

  previewWindow(fromMs: number, toMs: number): void {
    for (const p of this.panels) p.preview(fromMs, toMs);
  }

  zoomBack(): void {
    const previous = this.zoomStack.pop();
    if (!previous) return;
    if (previous.kind === 'relative') this.view.live = true;
    this.setRange(previous, true);
    if (previous.kind === 'relative') this.zoomStack.length = 0;
  }

  zoomOut(): void {
    const w = zoomRange(this.shownWindow.fromMs, this.shownWindow.toMs, 2);
    this.setWindow(w.fromMs, w.toMs);
  }

  pan(fraction: number): void {
    const w = panRange(this.shownWindow.fromMs, this.shownWindow.toMs, fraction);
    this.setWindow(w.fromMs, w.toMs);
  }

  openedChanged(nodes: string[]): void {
    this.view.nodes = nodes;
    this.updateUrl();
  }

  // ---- plots

  private newPanel(fields: string[]): PlotPanel {
    const p = new PlotPanel(this, fields);
    this.panels.push(p);
    this.plotsEl.append(p.el);
    return p;
  }

  activate(panel: PlotPanel): void {
    if (this.activePanel === panel) return;
    this.activePanel = panel;
    for (const p of this.panels) p.setActive(p === panel);
  }

  addField(id: string, newPlot: boolean): void {
    const active = this.activePanel;
    let target: PlotPanel;
    if (newPlot) target = active && active.fields.length === 0 ? active : this.newPanel([]);
    else target = active ?? this.newPanel([]);
    if (target.fields.includes(id)) return;
    this.activate(target);
    target.addField(id);
    target.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  removePlot(panel: PlotPanel): void {
    const i = this.panels.indexOf(panel);
    if (i < 0) return;
    this.panels.splice(i, 1);
    panel.destroy();
    if (this.panels.length === 0) this.newPanel([]);
    if (this.activePanel === panel) {
      this.activePanel = null;
      this.activate(this.panels[Math.min(i, this.panels.length - 1)] as PlotPanel);
    }
    this.fieldsChanged();
  }

  fieldsChanged(panel?: PlotPanel): void {
    this.view.plots = this.panels.map((p) => p.fields).filter((f) => f.length > 0);
    this.updateUrl();
    this.sidebar.render();
    if (panel) void this.loadPanel(panel);
    this.followLive();
  }

  findNewest(panel: PlotPanel): void {
    void this.lookBack(panel);
  }

  private async lookBack(panel: PlotPanel): Promise<void> {
    const fields = panel.fields.filter((id) => this.catalog.isOnline(nodeOf(id)));
    if (fields.length === 0) return;
    const span = spanOf(this.view.range);
    const toMs = Math.max(Date.now(), this.shownWindow.toMs);
    for (const back of LOOK_BACK_MS) {
      try {
        const reply = await this.api.data({ fields, fromMs: toMs - back, toMs, points: 4 });
        const newest = Math.max(...reply.series.map((s) => s.t[s.t.length - 1] ?? -Infinity));
        if (Number.isFinite(newest)) {
          // end just after the newest sample, keeping the span
          const end = newest + Math.max(1000, Math.round(span * 0.02));
          this.setWindow(end - span, end);
          this.sidebar.note(`newest data of the plot: ${new Date(newest).toISOString()}`);
          return;
        }
      } catch (err) {
        this.sidebar.note(`cannot look for data: ${(err as Error).message}`, 'bad');
        return;
      }
    }
    this.sidebar.note('no data found for these fields at all', 'bad');
  }

  private reloadAll(): void {
    this.loadedWidth = this.plotsEl.clientWidth;
    for (const p of this.panels) void this.loadPanel(p);
  }

  private loadPanel(p: PlotPanel): Promise<void> {
    return p.load(this.shownWindow.fromMs, this.shownWindow.toMs);
  }

  // ---- live

  /** The fields whose samples the stream should carry: shown, of online nodes, when live. */
  private liveFields(): string[] {
    if (!this.view.live) return [];
    return [...this.shownFields()].filter((id) => this.catalog.isOnline(nodeOf(id))).sort();
  }

  private followLive(): void {
    this.stream.follow(this.liveFields());
  }

  /**
   * Samples are wanted from the newest one held of the fields followed
   * (a field with none: from the window's end), never from before the window.
   */
  private liveSince(): number {
    let since = this.shownWindow.toMs;
    for (const id of this.liveFields()) {
      for (const p of this.panels) {
        const newest = p.newestOf(id);
        if (newest !== null && newest < since) since = newest;
      }
    }
    return Math.max(since, this.shownWindow.fromMs);
  }

  private tick(): void {
    if (this.view.live && this.view.range.kind === 'relative') {
      this.shownWindow = resolveRange(this.view.range, Date.now());
      for (const p of this.panels) p.moveWindow(this.shownWindow.fromMs, this.shownWindow.toMs);
    }
    this.rangeBar.update();
    this.sidebar.refreshAges();
  }

  private onResize(): void {
    for (const p of this.panels) p.resize();
    const w = this.plotsEl.clientWidth;
    if (this.loadedWidth > 0 && Math.abs(w - this.loadedWidth) / this.loadedWidth > 0.2) {
      clearTimeout(this.resizeTimer);
      this.resizeTimer = setTimeout(() => {
        if (this.view.live) this.shownWindow = resolveRange(this.view.range, Date.now());
        this.reloadAll();
      }, 400);
    }
  }

  private resizeTimer: ReturnType<typeof setTimeout> | undefined;

  // ---- nodes and connection

  private onCatalog(c: CatalogChange): void {
    switch (c.type) {
      case 'gone':
        this.sidebar.note(`${c.node} is gone`, 'bad');
        for (const p of this.panels) p.refreshStatus();
        this.followLive();
        break;
      case 'back':
        this.sidebar.note(`${c.node} is back`, 'good');
        for (const p of this.panels) {
          p.refreshStatus();
          if (this.started && p.fields.some((id) => nodeOf(id) === c.node)) {
            if (this.view.live) this.shownWindow = resolveRange(this.view.range, Date.now());
            void this.loadPanel(p);
          }
        }
        this.followLive();
        break;
      case 'new':
        if (this.everConnected) this.sidebar.note(`${c.node} joined`, 'good');
        // the node list of the start: the first load of all plots follows
        for (const p of this.panels) {
          if (this.started && p.fields.some((id) => nodeOf(id) === c.node)) void this.loadPanel(p);
        }
        this.followLive();
        break;
      case 'fields':
      case 'nodes':
        break;
    }
  }

  private setConnection(state: Connection, retryInMs?: number): void {
    const was = this.connection;
    this.connection = state;
    if (state === 'open' && was === 'down') {
      this.sidebar.note('connected to the bridge again', 'good');
      this.reloadAll();
    }
    if (state === 'open') this.everConnected = true;
    if (state === 'down' && was !== 'down') this.sidebar.note('lost the connection to the bridge', 'bad');
    this.renderStatus(retryInMs);
  }

  private setRouter(reason: string | null): void {
    this.routerDown = reason;
    this.renderStatus();
  }

  private renderStatus(retryInMs?: number): void {
    const down = this.connection === 'down';
    const state = down ? 'down' : this.connection === 'connecting' ? 'connecting' : this.routerDown ? 'degraded' : 'ok';
    this.pill.className = `pill ${state}`;
    this.pill.dataset.state = state;
    this.pill.textContent = { down: 'Not connected', connecting: 'Connecting…', degraded: 'Router down', ok: 'Connected' }[state];
    document.body.dataset.connection = state;
    if (down) {
      this.banner.hidden = false;
      this.banner.className = 'banner bad';
      fill(
        this.banner,
        h('strong', null, 'Not connected to the sisock HTTP bridge.'),
        ` ${retryInMs ? `Trying again in ${Math.round(retryInMs / 1000)} s.` : 'Trying again.'} The plots keep what was loaded.`,
      );
    } else if (this.routerDown && this.connection === 'open') {
      this.banner.hidden = false;
      this.banner.className = 'banner warn';
      fill(this.banner, h('strong', null, 'The bridge is not connected to the WAMP router'), ` (${this.routerDown}): no data node can answer until it is back.`);
    } else {
      this.banner.hidden = true;
    }
  }

  private lastRefusal = '';
  private signingIn = false;

  /** The bridge wants credentials (or refused the ones given): ask for them. */
  private signIn(): void {
    if (this.signingIn) return;
    this.signingIn = true;
    this.stream.close();
    const refused = this.api.authorization !== null;
    if (refused) forgetAuthorization();
    document.body.append(signInDialog(refused));
    document.querySelector<HTMLInputElement>('.sign-in input')?.focus();
  }

  // ---- URL

  private updateUrl(): void {
    const query = formatViewState(this.view);
    const url = `${location.pathname}${query}`;
    if (`${location.pathname}${location.search}` !== url) history.replaceState(null, '', url);
    const fields = this.view.plots.flat();
    document.title = fields.length > 0 ? `${fields.slice(0, 3).join(', ')}${fields.length > 3 ? ', …' : ''} · sisock monitor` : 'sisock monitor';
  }

  private async copyLink(button: HTMLButtonElement): Promise<void> {
    try {
      await navigator.clipboard.writeText(location.href);
      button.textContent = 'Link copied';
    } catch {
      // no clipboard (plain http on another host): show the link to copy by hand
      window.prompt('Link to this view:', location.href);
    }
    setTimeout(() => (button.textContent = 'Share'), 2000);
  }
}
