// The timeline under the network view: the run's online share drawn small
// over the whole run, how far the run has been simulated, the moment the
// page shows, and marks for the run's timed interventions and the moments
// of its story. A range input holds the moment, so the timeline is a slider
// to the keyboard and to assistive technology: the arrow keys move one
// simulated hour (with Shift, one sample), Page Up and Page Down six hours,
// Home and End the run's start and the furthest moment simulated.
//
// The timeline only says where the visitor wants to be (`onSeek(tMs)`); the
// run's worker goes there (worker.js `rewind`).

const HOUR = 3_600_000;
const PAGE_HOURS = 6;

const COLOUR = {
  reached: '#e8eef6',
  curve: '#0072b2',
  normal: '#5b6776',
  now: '#1b2430',
  mark: '#8a3a06',
  story: '#009e73',
};

export class Timeline {
  /**
   * `canvas` draws the curve and the marks, `input` (a range input) holds
   * the moment; `onSeek(tMs)` is called when the visitor moves it.
   */
  constructor({ canvas, input, onSeek }) {
    this.canvas = canvas;
    this.input = input;
    this.onSeek = onSeek;
    this.reset({ endMs: HOUR, sampleMs: 60_000, startUnixMs: 0 });
    input.addEventListener('input', () => this.seek(Number(input.value) * this.sampleMs));
    input.addEventListener('keydown', (e) => this.key(e));
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** A new run, of `endMs` simulated ms sampled every `sampleMs`, starting at `startUnixMs` (UTC). */
  reset({ endMs, sampleMs, startUnixMs }) {
    this.sampleMs = sampleMs;
    this.startUnixMs = startUnixMs;
    /** Online share and normal-day share by sample index; NaN where not simulated. */
    this.online = new Float64Array(0);
    this.normal = new Float64Array(0);
    /** The furthest moment simulated (ms) and the one shown. */
    this.reachedMs = 0;
    this.nowMs = 0;
    /** The moment asked for and not yet shown (ms), or null: keys move on from it. */
    this.asked = null;
    /** [{tMs, label}] of the run's interventions, and of its story's moments (the one shown: `current`). */
    this.marks = [];
    this.storyMarks = [];
    this.current = -1;
    this.extend(endMs);
  }

  /** The run was made longer: the curve so far stays. */
  extend(endMs) {
    this.endMs = endMs;
    const n = Math.floor(endMs / this.sampleMs) + 1;
    const grow = (old) => {
      const a = new Float64Array(n).fill(NaN);
      a.set(old.subarray(0, Math.min(old.length, n)));
      return a;
    };
    this.online = grow(this.online);
    this.normal = grow(this.normal);
    this.input.min = '0';
    this.input.max = String(n - 1);
    this.input.step = '1';
    this.draw();
  }

  /** Samples as they come: their times (ms), online shares and normal-day shares. */
  add(tMs, online, normal) {
    const i = Math.round(tMs / this.sampleMs);
    if (i < 0 || i >= this.online.length) return;
    this.online[i] = online;
    this.normal[i] = normal;
  }

  /**
   * Where the run stands: `nowMs` shown, `reachedMs` the furthest simulated
   * with the run's scenario as it is (a moment after it cannot be scrubbed to).
   */
  show(nowMs, reachedMs) {
    this.nowMs = nowMs;
    this.reachedMs = Math.max(nowMs, reachedMs);
    if (this.asked === nowMs) this.asked = null;
    if (this.asked === null) {
      this.input.value = String(Math.round(nowMs / this.sampleMs));
      this.input.setAttribute('aria-valuetext', this.valueText(nowMs));
    }
    this.draw();
  }

  /** What the run has after `tMs` is gone (an intervention changed its future). */
  cut(tMs) {
    const from = Math.floor(tMs / this.sampleMs) + 1;
    if (from < this.online.length) {
      this.online.fill(NaN, from);
      this.normal.fill(NaN, from);
    }
    this.reachedMs = Math.min(this.reachedMs, tMs);
    this.storyMarks = [];
    this.draw();
  }

  setMarks(marks) {
    this.marks = marks;
    this.draw();
  }

  /** The story's moments, and the one shown (-1: none). */
  setStory(marks, current = -1) {
    this.storyMarks = marks;
    this.current = current;
    this.draw();
  }

  valueText(tMs) {
    const at = new Date(this.startUnixMs + tMs).toISOString().slice(0, 16).replace('T', ' ');
    return `${hoursText(tMs)} h of ${hoursText(this.endMs)} h (${at} UTC); simulated up to ${hoursText(this.reachedMs)} h`;
  }

  /** The visitor asks for `tMs`: kept within what has been simulated, on a sample. */
  seek(tMs) {
    const reachedSample = Math.floor(this.reachedMs / this.sampleMs);
    const i = Math.max(0, Math.min(reachedSample, Math.round(tMs / this.sampleMs)));
    this.input.value = String(i);
    const t = i * this.sampleMs;
    this.input.setAttribute('aria-valuetext', this.valueText(t));
    if (t === (this.asked ?? this.nowMs)) return;
    this.asked = t === this.nowMs ? null : t;
    this.onSeek(t);
  }

  key(e) {
    const hour = Math.max(1, Math.round(HOUR / this.sampleMs)) * this.sampleMs;
    const moves = {
      ArrowLeft: e.shiftKey ? -this.sampleMs : -hour,
      ArrowDown: e.shiftKey ? -this.sampleMs : -hour,
      ArrowRight: e.shiftKey ? this.sampleMs : hour,
      ArrowUp: e.shiftKey ? this.sampleMs : hour,
      PageDown: -PAGE_HOURS * hour,
      PageUp: PAGE_HOURS * hour,
    };
    let t;
    if (e.key in moves) {
      const by = moves[e.key];
      const from = this.asked ?? this.nowMs;
      if (Math.abs(by) < hour) {
        t = from + by;
      } else {
        // Whole hours: an hour back from 30:20 is 30:00, forward 31:00.
        const whole = by < 0 ? Math.ceil(from / hour) : Math.floor(from / hour);
        t = (whole + by / hour) * hour;
      }
    } else if (e.key === 'Home') {
      t = 0;
    } else if (e.key === 'End') {
      t = this.reachedMs;
    } else {
      return;
    }
    e.preventDefault();
    this.seek(t);
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    const ctx = c.getContext('2d');
    ctx.clearRect(0, 0, w, h);
    const x = (tMs) => (tMs / this.endMs) * w;
    const top = 12 * dpr;
    const bottom = h - 4 * dpr;
    const y = (share) => bottom - share * (bottom - top);
    ctx.fillStyle = COLOUR.reached;
    ctx.fillRect(0, top, x(this.reachedMs), bottom - top);
    const line = (values, colour, width, dash) => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width * dpr;
      ctx.setLineDash(dash.map((d) => d * dpr));
      ctx.beginPath();
      let open = false;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (Number.isNaN(v)) {
          open = false;
          continue;
        }
        const px = x(i * this.sampleMs);
        if (open) ctx.lineTo(px, y(v));
        else ctx.moveTo(px, y(v));
        open = true;
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    line(this.normal, COLOUR.normal, 1, [4, 3]);
    line(this.online, COLOUR.curve, 1.5, []);
    for (const [i, m] of this.storyMarks.entries()) {
      ctx.fillStyle = i === this.current ? COLOUR.now : COLOUR.story;
      ctx.beginPath();
      ctx.arc(x(m.tMs), bottom - 3 * dpr, (i === this.current ? 4.5 : 3.5) * dpr, 0, 2 * Math.PI);
      ctx.fill();
    }
    for (const m of this.marks) {
      const px = x(m.tMs);
      ctx.fillStyle = COLOUR.mark;
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px - 5 * dpr, top - 8 * dpr);
      ctx.lineTo(px + 5 * dpr, top - 8 * dpr);
      ctx.closePath();
      ctx.fill();
      ctx.strokeStyle = COLOUR.mark;
      ctx.lineWidth = 1 * dpr;
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.stroke();
    }
    const nx = Math.round(x(this.nowMs));
    ctx.strokeStyle = COLOUR.now;
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    ctx.moveTo(nx, top - 2 * dpr);
    ctx.lineTo(nx, h);
    ctx.stroke();
  }
}

/** Simulated ms as hours and minutes: 30:15. */
export function hoursText(tMs) {
  const minutes = Math.round(tMs / 60_000);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}
