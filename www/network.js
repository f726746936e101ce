// The network view: draws one captured frame (Playground.capture) from its
// flat buffers. Supernodes keep their place between frames (a sunflower
// layout by slot number), their clients are dots around them, and peers that
// are not attached wait in labelled areas on the right. Nothing here calls
// into wasm: the page hands over the copied arrays, and the names of their
// numbers (snColumns, totalsColumns, loginColumns), which this file reads
// them by.

const GOLDEN = Math.PI * (3 - Math.sqrt(5));
const CLIENT_DOT_BUDGET = 10000;
/** Beyond these the view draws density cells instead of single supernodes. */
export const AGGREGATE_PEERS = 300000;
export const AGGREGATE_SUPERNODES = 2000;
/**
 * A removed supernode stays as a ghost for GHOST_FRAMES frames with
 * simulated progress, or fewer (at least GHOST_MIN_FRAMES) once two
 * simulated hours have passed, so at high speed ghosts still mean "recent".
 */
const GHOST_FRAMES = 45;
const GHOST_MIN_FRAMES = 12;
const GHOST_SIM_MS = 2 * 3_600_000;
/**
 * Beside the supernodes the waiting areas start under the header on a
 * canvas narrower than this (CSS px), where the header would run into them.
 */
const HEADER_ABOVE_SIDE_BELOW = 900;

export const COLOURS = {
  background: '#0f1720',
  healthy: '#2f8fd0',
  full: '#e69f00',
  overloaded: '#d55e00',
  mega: '#cc79a7',
  gone: '#a7b0ba',
  client: '#9fb3c8',
  searching: '#f0e442',
  login: '#cc79a7',
  restarting: '#8a8f96',
  text: '#e6edf3',
  muted: '#8b98a8',
  frame: '#2a3746',
};

/** The legend, in the order the page lists it. */
export const LEGEND = [
  { colour: COLOURS.healthy, label: 'Supernode, healthy (disc area = clients)' },
  { colour: COLOURS.full, label: 'Supernode, full' },
  { colour: COLOURS.overloaded, label: 'Supernode, overloaded (hollow ring)', ring: true },
  { colour: COLOURS.gone, label: 'Supernode gone (fading ghost)', ring: true, dashed: true },
  { colour: COLOURS.mega, label: "Operator's mega-supernode (square)", square: true },
  { colour: COLOURS.client, label: 'Client attached to a supernode' },
  { colour: COLOURS.login, label: 'Waiting to log in' },
  { colour: COLOURS.searching, label: 'Searching for a supernode' },
  { colour: COLOURS.restarting, label: 'Restarting' },
];

/** 0 healthy, 1 full, 2 overloaded (answering part of its traffic, or refusing new clients). */
function snState(capacity, clients, answer, accepting) {
  if (answer < 1 || !accepting) return 2;
  if (clients >= capacity) return 1;
  return 0;
}
const STATE_COLOUR = [COLOURS.healthy, COLOURS.full, COLOURS.overloaded];
const fmt = new Intl.NumberFormat('en-US');
const fmt1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const n = (x) => fmt.format(Math.round(x));

/** Name -> position in a row of `names`; every name in `wanted` must be there. */
function columnIndex(what, names, wanted) {
  const index = Object.fromEntries(names.map((name, i) => [name, i]));
  const missing = wanted.filter((name) => !(name in index));
  if (missing.length) throw new Error(`the network view needs ${what} columns ${missing.join(', ')}; the core gives ${names.join(', ')}`);
  return index;
}

export class NetworkView {
  /** `columns`: the names of the numbers in a supernode row, the totals and the login servers' numbers, from the core. */
  constructor(canvas, columns) {
    this.canvas = canvas;
    /** Where each number is in a supernode row, the totals and the login servers' numbers, by name. */
    this.col = {
      sn: columnIndex('supernode', columns.sn, ['slot', 'capacity', 'clients', 'answer', 'mega', 'age_min', 'accepting']),
      totals: columnIndex('totals', columns.totals, ['offline', 'restarting', 'login_wait', 'searching', 'login_backoff', 'search_backoff']),
      login: columnIndex('login', columns.login, ['queued', 'capacity_ps', 'requests_ps', 'accepted_ps']),
    };
    this.snFields = columns.sn.length;
    this.ctx = canvas.getContext('2d');
    this.meta = null;
    this.frame = null;
    this.ghosts = new Map(); // slot -> {frames, bornMs}
    this.prev = new Map(); // slot -> age_min at the previous frame
    this.maxSlot = 0;
    this.lastNow = -1;
    this.mode = 'single';
    /** What the view says before there is a network to draw. */
    this.placeholder = 'Building the network…';
    this.resize();
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        this.resize();
        this.draw();
      }).observe(canvas);
    }
  }

  resize() {
    // style.css decides, by the canvas's width, whether the waiting areas go
    // under the supernodes (and makes the canvas taller for it): one
    // threshold, read here.
    this.stacked = getComputedStyle(this.canvas).getPropertyValue('--network-layout').trim() === 'stacked';
    this.canvas.dataset.layout = this.stacked ? 'stacked' : 'beside';
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.dpr = dpr;
  }

  /** A new simulation: forget places and ghosts. */
  reset(meta) {
    this.meta = meta;
    this.frame = null;
    this.ghosts.clear();
    this.prev.clear();
    this.maxSlot = 0;
    this.lastNow = -1;
  }

  /**
   * Takes a captured frame: `sn` has a row of the supernode columns per live
   * supernode, `totals` the peers per state, `login` the login servers' numbers.
   */
  update(sn, totals, login, nowMs, label) {
    const advanced = nowMs !== this.lastNow;
    this.lastNow = nowMs;
    const live = new Map();
    const c = this.col.sn;
    const w = this.snFields;
    for (let i = 0; i + w <= sn.length; i += w) {
      const slot = sn[i + c.slot];
      live.set(slot, sn[i + c.age_min]);
      if (slot > this.maxSlot) this.maxSlot = slot;
    }
    this.frame = { sn, totals, login, nowMs, label, count: sn.length / w };
    this.mode = this.meta && (this.meta.peers > AGGREGATE_PEERS || this.frame.count > AGGREGATE_SUPERNODES) ? 'aggregate' : 'single';
    if (advanced) {
      for (const [slot, g] of this.ghosts) {
        g.frames += 1;
        const old = g.frames >= GHOST_MIN_FRAMES && nowMs - g.bornMs >= GHOST_SIM_MS;
        if (g.frames >= GHOST_FRAMES || old || live.has(slot)) this.ghosts.delete(slot);
      }
      // A slot that vanished since the last frame lost its supernode. (A slot
      // refilled within one frame shows the newcomer, not a ghost.)
      for (const slot of this.prev.keys()) {
        if (!live.has(slot)) this.ghosts.set(slot, { frames: 0, bornMs: nowMs });
      }
      this.prev = live;
    }
  }

  /** Where things go, in CSS pixels. */
  layout() {
    const W = this.canvas.clientWidth;
    const H = this.canvas.clientHeight;
    const stacked = this.stacked;
    const side = stacked ? Math.max(50, W - 20) : Math.max(200, Math.min(340, Math.round(W * 0.3)));
    const field = stacked
      ? { x: 10, y: 62, w: Math.max(50, W - 20), h: Math.max(50, Math.round(H * 0.45)) }
      : { x: 10, y: 46, w: Math.max(50, W - side - 30), h: Math.max(50, H - 56) };
    const slots = this.maxSlot + 1;
    const area = (Math.PI / 4) * field.w * field.h;
    const spacing = Math.sqrt(area / Math.max(1, slots));
    const rMax = Math.max(1.5, Math.min(14, spacing * 0.26));
    const sideX = stacked ? 10 : W - side - 10;
    const sideY = stacked ? field.y + field.h + 8 : W < HEADER_ABOVE_SIDE_BELOW ? field.y : 10;
    return { W, H, stacked, side, field, slots, spacing, rMax, sideX, sideY };
  }

  position(slot, L) {
    const rn = Math.sqrt((slot + 0.5) / L.slots);
    const a = slot * GOLDEN;
    const f = L.field;
    const m = L.rMax + 4;
    return {
      x: f.x + f.w / 2 + rn * (f.w / 2 - m) * Math.cos(a),
      y: f.y + f.h / 2 + rn * (f.h / 2 - m) * Math.sin(a),
    };
  }

  draw() {
    const ctx = this.ctx;
    const dpr = this.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const L = this.layout();
    ctx.fillStyle = COLOURS.background;
    ctx.fillRect(0, 0, L.W, L.H);
    if (!this.frame || !this.meta) {
      ctx.fillStyle = COLOURS.muted;
      ctx.font = '14px system-ui, sans-serif';
      ctx.fillText(this.placeholder, 16, 28);
      return;
    }
    const { totals } = this.frame;
    this.drawHeader(L);
    if (this.mode === 'aggregate') this.drawAggregate(L);
    else this.drawSupernodes(L);
    this.drawSide(L, totals, this.frame.login);
  }

  drawHeader(L) {
    const ctx = this.ctx;
    const { totals, label, count } = this.frame;
    const sn = this.frame.sn;
    const c = this.col.sn;
    let overloaded = 0;
    let clients = 0;
    for (let i = 0; i < sn.length; i += this.snFields) {
      if (sn[i + c.answer] < 1) overloaded++;
      clients += sn[i + c.clients];
    }
    // The header runs above the waiting areas, or beside them.
    const room = (L.sideY > 10 ? L.W : L.sideX) - 24;
    ctx.fillStyle = COLOURS.text;
    ctx.textBaseline = 'alphabetic';
    fitText(ctx, label, 12, 19, room, '600', 13);
    ctx.fillStyle = COLOURS.muted;
    const attached = `${n(clients)} clients on ${n(count)} supernodes`;
    const detail = `(${n(overloaded)} overloaded; ghosts: ${n(this.ghosts.size)} recently gone)` + (this.mode === 'aggregate' ? ' · aggregate view' : '');
    if (L.stacked) {
      fitText(ctx, attached, 12, 36, room, '', 12);
      fitText(ctx, detail, 12, 52, room, '', 12);
    } else {
      fitText(ctx, `${attached} ${detail}`, 12, 36, room, '', 12);
    }
    this.stats = { clients, overloaded, supernodes: count, gone: this.ghosts.size, offline: totals[this.col.totals.offline] };
  }

  drawSupernodes(L) {
    const ctx = this.ctx;
    const sn = this.frame.sn;
    const cap = this.meta.snCapacity;
    const c = this.col.sn;
    const w = this.snFields;
    let total = 0;
    for (let i = 0; i < sn.length; i += w) total += sn[i + c.clients];
    const per = Math.max(1, total / CLIENT_DOT_BUDGET);
    this.dotsPerClient = per;
    const ds = Math.max(0.9, (L.spacing * 0.5 - L.rMax) / Math.sqrt(cap / per + 1));
    const dot = Math.max(1.2, Math.min(2.2, ds * 0.9));
    // Client dots first, in one path.
    ctx.fillStyle = COLOURS.client;
    ctx.globalAlpha = 0.95;
    ctx.beginPath();
    for (let i = 0; i < sn.length; i += w) {
      const slot = sn[i + c.slot];
      const clients = sn[i + c.clients];
      if (clients <= 0) continue;
      const p = this.position(slot, L);
      const r = this.radius(sn[i + c.capacity], clients, sn[i + c.mega], L);
      const dots = Math.max(1, Math.round(clients / per));
      const spin = slot * 0.7;
      for (let k = 0; k < dots; k++) {
        const rr = r + 1.5 + ds * Math.sqrt(k + 0.5);
        const a = spin + k * GOLDEN;
        ctx.rect(p.x + rr * Math.cos(a) - dot / 2, p.y + rr * Math.sin(a) - dot / 2, dot, dot);
      }
    }
    ctx.fill();
    ctx.globalAlpha = 1;
    // Ghosts of supernodes that went away.
    ctx.setLineDash([3, 3]);
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = COLOURS.gone;
    for (const [slot, g] of this.ghosts) {
      const p = this.position(slot, L);
      ctx.globalAlpha = this.ghostAlpha(g);
      ctx.beginPath();
      ctx.arc(p.x, p.y, Math.max(2.5, L.rMax * 0.8), 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    // The supernodes.
    for (let i = 0; i < sn.length; i += w) {
      const p = this.position(sn[i + c.slot], L);
      const capacity = sn[i + c.capacity];
      const clients = sn[i + c.clients];
      const mega = sn[i + c.mega] > 0;
      const state = snState(capacity, clients, sn[i + c.answer], sn[i + c.accepting]);
      const r = this.radius(capacity, clients, sn[i + c.mega], L);
      ctx.beginPath();
      if (state === 2) {
        ctx.strokeStyle = COLOURS.overloaded;
        ctx.lineWidth = Math.max(1.5, Math.min(3, r * 0.45));
        ctx.arc(p.x, p.y, Math.max(r, 2.5), 0, 2 * Math.PI);
        ctx.stroke();
      } else {
        ctx.fillStyle = STATE_COLOUR[state];
        ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
        ctx.fill();
      }
      if (mega) {
        ctx.strokeStyle = COLOURS.mega;
        ctx.lineWidth = 1.5;
        const s = r + 3;
        ctx.strokeRect(p.x - s, p.y - s, 2 * s, 2 * s);
      }
    }
  }

  /** A ghost fades with frames drawn and, at high speed, with simulated time. */
  ghostAlpha(g) {
    const left = Math.min(1 - g.frames / GHOST_FRAMES, g.frames < GHOST_MIN_FRAMES ? 1 : 1 - (this.frame.nowMs - g.bornMs) / GHOST_SIM_MS);
    return Math.max(0.15, left) * 0.9;
  }

  radius(capacity, clients, mega, L) {
    const scale = mega > 0 ? this.meta.snCapacity : capacity;
    const r = L.rMax * Math.sqrt(Math.min(clients, 4 * scale) / scale);
    return Math.max(1.6, Math.min(r, L.rMax * 2));
  }

  drawAggregate(L) {
    const ctx = this.ctx;
    const sn = this.frame.sn;
    const cell = 8;
    const cols = Math.ceil(L.field.w / cell);
    const rows = Math.ceil(L.field.h / cell);
    const clients = new Float64Array(cols * rows);
    const states = new Uint32Array(cols * rows * 3);
    const mega = new Uint8Array(cols * rows);
    // The cell a slot's place falls in.
    const cellOf = (slot) => {
      const p = this.position(slot, L);
      const cx = Math.min(cols - 1, Math.max(0, Math.floor((p.x - L.field.x) / cell)));
      const cy = Math.min(rows - 1, Math.max(0, Math.floor((p.y - L.field.y) / cell)));
      return cy * cols + cx;
    };
    const col = this.col.sn;
    for (let i = 0; i < sn.length; i += this.snFields) {
      const c = cellOf(sn[i + col.slot]);
      clients[c] += sn[i + col.clients];
      states[c * 3 + snState(sn[i + col.capacity], sn[i + col.clients], sn[i + col.answer], sn[i + col.accepting])]++;
      if (sn[i + col.mega] > 0) mega[c] = 1;
    }
    let max = 1;
    for (const v of clients) if (v > max) max = v;
    // Ghosts: a dashed outline where supernodes went away and none is left.
    ctx.setLineDash([2, 2]);
    ctx.lineWidth = 1;
    ctx.strokeStyle = COLOURS.gone;
    for (const [slot, g] of this.ghosts) {
      const c = cellOf(slot);
      if (states[c * 3] + states[c * 3 + 1] + states[c * 3 + 2] > 0) continue;
      ctx.globalAlpha = this.ghostAlpha(g);
      ctx.strokeRect(L.field.x + (c % cols) * cell + 1.5, L.field.y + Math.floor(c / cols) * cell + 1.5, cell - 4, cell - 4);
    }
    ctx.setLineDash([]);
    for (let c = 0; c < cols * rows; c++) {
      const h = states[c * 3];
      const f = states[c * 3 + 1];
      const o = states[c * 3 + 2];
      if (h + f + o === 0) continue;
      const state = o >= h && o >= f ? 2 : f >= h ? 1 : 0;
      ctx.globalAlpha = 0.3 + 0.7 * Math.sqrt(clients[c] / max);
      const x = L.field.x + (c % cols) * cell;
      const y = L.field.y + Math.floor(c / cols) * cell;
      if (state === 2) {
        // Overloaded: hollow, as the single view's rings.
        ctx.globalAlpha = 1;
        ctx.strokeStyle = COLOURS.overloaded;
        ctx.lineWidth = 1.5;
        ctx.strokeRect(x + 1, y + 1, cell - 3, cell - 3);
      } else {
        ctx.fillStyle = STATE_COLOUR[state];
        ctx.fillRect(x, y, cell - 1, cell - 1);
      }
      if (mega[c]) {
        ctx.globalAlpha = 1;
        ctx.strokeStyle = COLOURS.mega;
        ctx.strokeRect(x - 0.5, y - 0.5, cell, cell);
      }
    }
    ctx.globalAlpha = 1;
  }

  drawSide(L, totals, login) {
    const ctx = this.ctx;
    const x = L.sideX;
    const w = L.side;
    const t = this.col.totals;
    const boxes = [
      { label: 'Restarting', count: totals[t.restarting], backoff: 0, colour: COLOURS.restarting, weight: 0.7 },
      { label: 'Waiting to log in', count: totals[t.login_wait], backoff: totals[t.login_backoff], colour: COLOURS.login, weight: 1 },
      { label: 'Searching for a supernode', count: totals[t.searching], backoff: totals[t.search_backoff], colour: COLOURS.searching, weight: 1 },
    ];
    const top = L.sideY;
    const loginH = 108;
    const footH = L.stacked ? 32 : 18;
    const avail = L.H - top - loginH - footH - 10;
    const weights = boxes.reduce((s, b) => s + b.weight, 0);
    const pitch = 3;
    let y = top;
    let minCells = Infinity;
    for (const b of boxes) {
      b.y = y;
      b.h = Math.floor((avail * b.weight) / weights) - 6;
      b.cols = Math.floor((w - 12) / pitch);
      b.rows = Math.max(1, Math.floor((b.h - 34) / pitch));
      minCells = Math.min(minCells, b.cols * b.rows);
      y += b.h + 6;
    }
    const most = Math.max(1, ...boxes.map((b) => b.count));
    const per = Math.max(1, Math.ceil(most / minCells));
    for (const b of boxes) {
      ctx.strokeStyle = COLOURS.frame;
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, b.y + 0.5, w - 1, b.h - 1);
      ctx.fillStyle = COLOURS.text;
      fitText(ctx, `${b.label}: ${n(b.count)}`, x + 6, b.y + 15, w - 12, '600', 12);
      ctx.fillStyle = COLOURS.muted;
      const sub = b.backoff > 0 ? `${n(b.backoff)} backing off after a failure (dim)` : b.label === 'Restarting' ? 'PC reboot or client crash' : 'none backing off';
      fitText(ctx, sub, x + 6, b.y + 28, w - 12, '', 11);
      const dots = Math.min(b.cols * b.rows, Math.round(b.count / per));
      const dim = Math.round(b.backoff / per);
      const bright = Math.max(0, dots - dim);
      ctx.fillStyle = b.colour;
      for (let pass = 0; pass < 2; pass++) {
        ctx.globalAlpha = pass === 0 ? 1 : 0.4;
        ctx.beginPath();
        const from = pass === 0 ? 0 : bright;
        const to = pass === 0 ? bright : dots;
        for (let k = from; k < to; k++) {
          ctx.rect(x + 6 + (k % b.cols) * pitch, b.y + 34 + Math.floor(k / b.cols) * pitch, 2, 2);
        }
        ctx.fill();
      }
      ctx.globalAlpha = 1;
    }
    this.drawLogin(x, y, w, loginH, login);
    ctx.fillStyle = COLOURS.muted;
    const scale = per > 1 ? `1 dot = ${n(per)} peers in these boxes` : '1 dot = 1 peer in these boxes';
    const clientScale = this.mode === 'single' && this.dotsPerClient >= 1.05 ? `; 1 client dot ≈ ${fmt1.format(this.dotsPerClient)} clients` : '';
    if (L.stacked) {
      fitText(ctx, `Offline: ${n(totals[t.offline])} · ${scale}`, x, L.H - 22, w, '', 11);
      if (clientScale) fitText(ctx, clientScale.slice(2), x, L.H - 8, w, '', 11);
    } else {
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillText(`Offline: ${n(totals[t.offline])} · ${scale}${clientScale}`, Math.min(x, L.W - 470), L.H - 8);
    }
  }

  drawLogin(x, y, w, h, login) {
    const ctx = this.ctx;
    const l = this.col.login;
    const [queued, capacity, requests, accepted] = [login[l.queued], login[l.capacity_ps], login[l.requests_ps], login[l.accepted_ps]];
    const limit = Math.max(1, capacity * this.meta.loginQueueS);
    ctx.strokeStyle = COLOURS.frame;
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    // Three stacked servers.
    for (let i = 0; i < 3; i++) {
      ctx.fillStyle = '#3c4b5c';
      ctx.fillRect(x + 8, y + 24 + i * 9, 22, 7);
      ctx.fillStyle = requests > capacity * 1.05 ? COLOURS.overloaded : '#5fd08a';
      ctx.fillRect(x + 25, y + 26 + i * 9, 3, 3);
    }
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.fillStyle = COLOURS.text;
    ctx.fillText('Login servers', x + 6, y + 15);
    const bx = x + 38;
    const bw = w - 46;
    ctx.fillStyle = COLOURS.muted;
    fitText(ctx, `queue ${n(queued)} of ${n(limit)} requests`, bx, y + 27, bw, '', 11);
    bar(ctx, bx, y + 31, bw, 7, queued / limit, COLOURS.login);
    ctx.fillStyle = COLOURS.muted;
    fitText(ctx, `requests ${fmt1.format(requests)}/s · capacity ${fmt1.format(capacity)}/s`, bx, y + 53, bw, '', 11);
    bar(ctx, bx, y + 57, bw, 7, requests > 0 ? Math.min(1, capacity / requests) : 1, COLOURS.healthy);
    ctx.fillStyle = COLOURS.muted;
    const covers = requests > capacity ? `capacity covers ${fmt1.format((100 * capacity) / requests)}% of requests` : 'capacity covers all requests';
    fitText(ctx, covers, bx, y + 77, bw, '', 11);
    fitText(ctx, `logins completed ${fmt1.format(accepted)}/s`, bx, y + 93, bw, '', 11);
  }
}

/**
 * Draws `text` in the largest font from `size` down to 9 px that fits
 * `width`; what does not fit even at 9 px is cut with an ellipsis.
 */
function fitText(ctx, text, x, y, width, weight, size) {
  let px = size;
  for (; px > 9; px--) {
    ctx.font = `${weight} ${px}px system-ui, sans-serif`.trim();
    if (ctx.measureText(text).width <= width) break;
  }
  ctx.font = `${weight} ${px}px system-ui, sans-serif`.trim();
  let shown = text;
  while (shown.length > 1 && ctx.measureText(shown).width > width) shown = `${shown.slice(0, -2)}…`;
  ctx.fillText(shown, x, y);
}

function bar(ctx, x, y, w, h, share, colour) {
  ctx.fillStyle = '#243140';
  ctx.fillRect(x, y, w, h);
  ctx.fillStyle = colour;
  ctx.fillRect(x, y, Math.max(0, Math.min(1, share)) * w, h);
}
