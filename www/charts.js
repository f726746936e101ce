// The live charts, drawn with uPlot (loaded from vendor/ as a global).
// The x axis is the simulated clock in UTC over the whole run, so curves
// fill in from the left as the run goes. A pinned run (A, in a comparison)
// is drawn faded under the run that plays (B), minute for minute of
// simulated time since each run's start.

import { firstRows } from './rows.js';

const uPlot = window.uPlot;

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const plain = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const exact = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const C = {
  online: '#0072b2',
  normal: '#5b6776',
  published: '#d55e00',
  live: '#0072b2',
  overloaded: '#d55e00',
  spare: '#009e73',
  demand: '#e69f00',
  requests: '#d55e00',
  capacity: '#1b2430',
  accepted: '#009e73',
  retries: '#cc79a7',
  attempts: '#0072b2',
  trigger: '#8a3a06',
  intervention: '#6a3d9a',
};

/** Axis numbers: 1.2K, 3.4M, 0.01. */
function tickText(v) {
  if (v == null) return '';
  if (v !== 0 && Math.abs(v) < 1) return String(Number(v.toPrecision(2)));
  return compact.format(v);
}

function axisValues() {
  return (u, splits) => splits.map(tickText);
}

/** A log axis gets one line per power of ten; uPlot's minor lines would grey it out. */
function logSplits(u, axisIdx, min, max) {
  const out = [];
  for (let e = Math.floor(Math.log10(min)); 10 ** e <= max * 1.0001; e++) {
    const v = 10 ** e;
    if (v >= min * 0.9999) out.push(v);
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Time ticks in UTC: the date at midnight, the hour otherwise. */
function timeValues(u, splits) {
  return splits.map((v) => {
    const d = new Date(v * 1000);
    const hh = String(d.getUTCHours()).padStart(2, '0');
    const mm = String(d.getUTCMinutes()).padStart(2, '0');
    if (hh === '00' && mm === '00') return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
    return `${hh}:${mm}`;
  });
}

function utcLabel(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/**
 * One chart: `spec.series` picks columns (or derives values) from the time
 * series; `spec.log` makes the y axis logarithmic (rates spanning orders of
 * magnitude); `spec.right` puts some series on a second axis.
 */
class Chart {
  constructor(figure, spec, run) {
    this.figure = figure;
    this.spec = spec;
    this.run = run;
    for (const old of figure.querySelectorAll('.uplot, .chart-tip')) old.remove();
    const width = Math.max(240, figure.clientWidth || 400);
    const scales = {
      x: { time: true, range: () => [run.x0, run.x1] },
      y: spec.log ? { distr: 3, range: logRange } : { range: spec.yRange || zeroRange },
    };
    if (spec.right) scales.r = { range: zeroRange };
    const axes = [
      { label: 'simulated time (UTC)', labelSize: 18, size: 30, stroke: '#5b6776', values: timeValues, grid: { stroke: '#eceff3' }, ticks: { stroke: '#d8dee6' } },
      { label: spec.yLabel, labelSize: 18, size: 56, stroke: '#5b6776', values: axisValues(), ...(spec.log ? { splits: logSplits } : {}), grid: { stroke: '#eceff3' }, ticks: { stroke: '#d8dee6' } },
    ];
    if (spec.right) {
      axes.push({ scale: 'r', side: 1, label: spec.right.label, labelSize: 18, size: 56, stroke: '#5b6776', values: axisValues(), grid: { show: false } });
    }
    const series = [{ label: 'time', value: (u, v) => (v == null ? '–' : utcLabel(v)) }];
    for (const s of spec.series) {
      series.push({
        label: s.label,
        stroke: s.colour,
        width: s.width || 1.6,
        dash: s.dash,
        scale: s.scale || 'y',
        spanGaps: false,
        points: { show: false },
        paths: s.markersOnly ? () => null : undefined,
        value: (u, v) => (v == null ? '–' : `${v >= 100 ? exact.format(v) : plain.format(v)}${s.unit ? ' ' + s.unit : ''}`),
      });
    }
    this.tip = document.createElement('div');
    this.tip.className = 'chart-tip';
    this.tip.hidden = true;
    const self = this;
    this.plot = new uPlot(
      {
        width,
        height: 230,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales,
        axes,
        series,
        legend: { live: true },
        cursor: { sync: { key: 'patchstorm' }, points: { size: 6 } },
        hooks: {
          draw: [(u) => self.drawOverlay(u)],
          setCursor: [(u) => self.hover(u)],
        },
      },
      this.emptyData(),
      figure,
    );
    figure.querySelector('.uplot').setAttribute('aria-label', figure.querySelector('figcaption').textContent + ' chart');
    this.plot.over.appendChild(this.tip);
  }

  emptyData() {
    return [[], ...this.spec.series.map(() => [])];
  }

  setData(data) {
    this.plot.setData(data, true);
  }

  resize() {
    const width = Math.max(240, this.figure.clientWidth);
    if (Math.abs(width - this.plot.width) > 2) this.plot.setSize({ width, height: 230 });
  }

  /** The trigger line, and (online chart) the published points. */
  drawOverlay(u) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const run = this.run;
    ctx.save();
    if (run.triggerX != null && run.triggerX > run.x0 && run.triggerX < run.x1) {
      const x = Math.round(u.valToPos(run.triggerX, 'x', true));
      ctx.strokeStyle = C.trigger;
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1.2 * devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = C.trigger;
      ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
      ctx.fillText('trigger', x + 4 * devicePixelRatio, top + 12 * devicePixelRatio);
    }
    for (const m of run.marks || []) {
      if (m.x < run.x0 || m.x > run.x1) continue;
      const x = Math.round(u.valToPos(m.x, 'x', true));
      ctx.strokeStyle = C.intervention;
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillStyle = C.intervention;
      ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
      ctx.fillText(m.label, x + 4 * devicePixelRatio, top + 26 * devicePixelRatio);
    }
    if (this.spec.published) {
      for (const p of run.published) {
        if (p.x < run.x0 || p.x > run.x1) continue;
        const x = u.valToPos(p.x, 'x', true);
        if (p.scaled == null) {
          // A moment without a count: a tick at the top.
          ctx.strokeStyle = C.published;
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + 10 * devicePixelRatio);
          ctx.stroke();
          continue;
        }
        const y = u.valToPos(p.scaled, 'y', true);
        const s = 5.5 * devicePixelRatio;
        ctx.fillStyle = C.published;
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 1.2 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, y - s);
        ctx.lineTo(x + s, y);
        ctx.lineTo(x, y + s);
        ctx.lineTo(x - s, y);
        ctx.closePath();
        ctx.fill();
        ctx.stroke();
      }
    }
    ctx.restore();
    void left;
    void width;
  }

  /** The note of a published point under the cursor. */
  hover(u) {
    if (!this.spec.published) return;
    const { left, top } = u.cursor;
    let best = null;
    let bestD = 12;
    if (left != null && left >= 0) {
      for (const p of this.run.published) {
        if (p.x < this.run.x0 || p.x > this.run.x1) continue;
        const px = u.valToPos(p.x, 'x');
        const py = p.scaled == null ? 5 : u.valToPos(p.scaled, 'y');
        const d = Math.hypot(px - left, py - top);
        if (d < bestD) {
          bestD = d;
          best = { p, px, py };
        }
      }
    }
    if (!best) {
      this.tip.hidden = true;
      return;
    }
    const { p, px, py } = best;
    const count = p.published == null ? '' : `${exact.format(p.published)} online (published); ${exact.format(p.scaled)} scaled to this run. `;
    this.tip.textContent = `${utcLabel(p.x)}: ${count}Note: ${p.note}`;
    this.tip.hidden = false;
    const overW = u.over.clientWidth;
    this.tip.style.left = `${Math.min(Math.max(0, px + 10), overW - 200)}px`;
    // Below the point in the upper half, above it in the lower half.
    const overH = u.over.clientHeight;
    this.tip.style.top = py < overH / 2 ? `${py + 10}px` : `${Math.max(0, py - this.tip.offsetHeight - 10)}px`;
  }
}

function zeroRange(u, min, max) {
  const hi = max == null || !isFinite(max) || max <= 0 ? 1 : max * 1.08;
  return [0, hi];
}

/** Smallest rate a log chart shows, per second. */
const LOG_FLOOR = 0.01;

function logRange(u, min, max) {
  min = min == null || !isFinite(min) ? 0.1 : Math.max(LOG_FLOOR, min);
  if (max == null || !isFinite(max) || max <= min) max = min * 10;
  return [10 ** Math.floor(Math.log10(min)), 10 ** Math.ceil(Math.log10(max))];
}

/** A faded colour for the pinned run's curves. */
function faded(colour) {
  return `${colour}73`;
}

/** The four charts of the page, fed from the flat time series. */
export class Charts {
  constructor(figures, columns) {
    this.figures = figures;
    this.col = Object.fromEntries(columns.map((name, i) => [name, i]));
    this.width = columns.length;
    this.charts = [];
    this.run = { x0: 0, x1: 1, triggerX: null, published: [], peers: 1 };
    /** The samples of the run that plays (B) and of the pinned one (A), as they came. */
    this.flat = [];
    this.ghostFlat = [];
    /** The pinned run, while there is one: {label}. */
    this.ghost = null;
    if (typeof ResizeObserver !== 'undefined') {
      const ro = new ResizeObserver(() => this.charts.forEach((c) => c.resize()));
      Object.values(figures).forEach((f) => ro.observe(f));
    }
  }

  /** A new run: clears its data and sets the time range and the published points. A pinned run's curves stay. */
  reset({ startUnixMs, endMs, triggerMs, peers, published, hasTrigger }) {
    const x0 = startUnixMs / 1000;
    this.run = {
      x0,
      x1: x0 + endMs / 1000,
      triggerX: hasTrigger ? x0 + triggerMs / 1000 : null,
      peers,
      published: published.map((p) => ({ ...p, x: x0 + p.t_hours * 3600 })),
    };
    this.run.pubMax = this.publishedMax();
    this.flat = [];
    this.build();
  }

  /** Pins a run (A) to draw faded, or none (null): {label}. Its samples come by `appendGhost`. */
  pin(ghost) {
    this.ghost = ghost;
    this.ghostFlat = [];
    this.build();
  }

  /** The charts and their data, from the samples so far. */
  build() {
    const run = this.run;
    const ghost = this.ghost;
    this.specs = [
      {
        fig: 'online',
        yLabel: 'peers online',
        published: run.published.length > 0,
        yRange: (u, min, max) => zeroRange(u, 0, Math.max(max || 0, run.pubMax)),
        series: [
          { label: 'Online (simulated)', unit: 'peers', colour: C.online, width: 2, get: (r) => r.online, pinned: true },
          { label: 'Normal day (rhythm alone)', unit: 'peers', colour: C.normal, dash: [6, 4], get: (r) => r.normal_share * run.peers },
          ...(run.published.length > 0
            ? [{ label: "Published (Skype's counter, scaled)", colour: C.published, markersOnly: true, get: () => null }]
            : []),
        ],
      },
      {
        fig: 'supernodes',
        yLabel: 'supernodes',
        right: { label: 'client slots / peers' },
        series: [
          { label: 'Supernodes (peer-hosted + mega)', unit: '', colour: C.live, width: 2, get: (r) => r.sn_live + r.sn_mega, pinned: true },
          { label: 'Overloaded', unit: '', colour: C.overloaded, get: (r) => r.sn_overloaded },
          { label: 'Spare slots (answering)', unit: 'slots', colour: C.spare, scale: 'r', get: (r) => r.sn_spare },
          { label: 'Demand (connected + searching)', unit: 'peers', colour: C.demand, dash: [6, 4], scale: 'r', get: (r) => r.sn_demand },
        ],
      },
      {
        fig: 'login',
        yLabel: 'per second (log scale)',
        log: true,
        series: [
          { label: 'Login requests', unit: '/s', colour: C.requests, width: 2, get: (r) => r.login_requests_ps, pinned: true },
          { label: 'Login capacity', unit: '/s', colour: C.capacity, dash: [6, 4], get: (r) => r.login_capacity_ps },
          { label: 'Logins completed', unit: '/s', colour: C.accepted, get: (r) => r.login_accepted_ps },
        ],
      },
      {
        fig: 'retries',
        yLabel: 'per second (log scale)',
        log: true,
        series: [
          { label: 'Retries (login and attach)', unit: '/s', colour: C.retries, width: 2, get: (r) => r.retries_ps, pinned: true },
          { label: 'Attach attempts', unit: '/s', colour: C.attempts, get: (r) => r.attach_attempts_ps },
        ],
      },
    ];
    if (ghost) {
      // The pinned run's main curve in each chart, faded, after the others.
      for (const spec of this.specs) {
        const extra = spec.series
          .filter((s) => s.pinned)
          .map((s) => ({ ...s, label: `A: ${s.label}`, colour: faded(s.colour), width: 2.4, dash: undefined, ghost: true }));
        spec.series.push(...extra);
      }
    }
    this.charts.forEach((c) => c.plot.destroy());
    this.charts = this.specs.map((spec) => new Chart(this.figures[spec.fig], spec, run));
    this.data = this.specs.map((spec) => [[], ...spec.series.map(() => [])]);
    this.rows = 0;
    this.ghostRows = 0;
    for (const flat of this.flat) this.add(flat, false);
    for (const flat of this.ghostFlat) this.add(flat, true);
  }

  /** The largest published point inside the run's time range. */
  publishedMax() {
    const run = this.run;
    return Math.max(0, ...run.published.filter((p) => p.x >= run.x0 && p.x <= run.x1).map((p) => p.scaled || 0));
  }

  /** The run was made longer: the time axis reaches the new end; the data stay. */
  extend(endMs) {
    this.run.x1 = this.run.x0 + endMs / 1000;
    this.run.pubMax = this.publishedMax();
    this.redraw();
  }

  /** Appends samples of the run that plays (row-major, one row per sample); `redraw` shows them. */
  append(flat) {
    this.flat.push(flat);
    this.add(flat, false);
  }

  /** Appends samples of the pinned run. */
  appendGhost(flat) {
    if (!this.ghost) return;
    this.ghostFlat.push(flat);
    this.add(flat, true);
  }

  /**
   * Puts rows into the charts' data. Both runs sample every simulated
   * minute from their start, so row i of each is at the same x; a run that
   * has not got there yet has no value (null) at it.
   */
  add(flat, ghost) {
    const w = this.width;
    const col = this.col;
    const row = {};
    for (let i = 0; i + w <= flat.length; i += w) {
      for (const name in col) row[name] = flat[i + col[name]];
      const at = ghost ? this.ghostRows++ : this.rows++;
      const x = this.run.x0 + row.t_hours * 3600;
      this.specs.forEach((spec, k) => {
        const d = this.data[k];
        while (d[0].length <= at) d.forEach((column) => column.push(null));
        d[0][at] = x;
        spec.series.forEach((s, j) => {
          if (Boolean(s.ghost) !== ghost) return;
          let v = s.get(row);
          // Rates below the floor are rounding residue, not events.
          if (spec.log && !(v >= LOG_FLOOR)) v = null;
          d[j + 1][at] = v;
        });
      });
    }
  }

  /** The run went back: only its first `rows` samples stay (a pinned run's stay whole). */
  cut(rows) {
    this.flat = firstRows(this.flat, rows, this.width);
    this.rows = Math.min(this.rows, rows);
    this.data.forEach((d, k) => {
      if (!this.ghost) {
        for (const column of d) column.length = Math.min(column.length, rows);
        return;
      }
      this.specs[k].series.forEach((s, j) => {
        if (s.ghost) return;
        const column = d[j + 1];
        for (let i = rows; i < column.length; i++) column[i] = null;
      });
    });
    this.redraw();
  }

  /** The run's timed interventions, drawn as lines: [{tMs, label}]. */
  setMarks(marks) {
    this.run.marks = marks.map((m) => ({ x: this.run.x0 + m.tMs / 1000, label: m.label }));
    this.redraw();
  }

  redraw() {
    this.charts.forEach((c, k) => c.setData(this.data[k]));
  }

  /** For tests and the curious: how many points each chart holds. */
  points() {
    return this.data.map((d) => d[0].length);
  }
}
