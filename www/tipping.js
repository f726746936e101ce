// The tipping-point map: where the 2007 restart wave heals quickly, slowly
// or not at all, over the restart rate and a second parameter, for each
// policy. Cells are made by the core (`phaseCell`: the cell `patchstorm
// phase` runs) and run in a pool of workers (cells.js), one per core the
// browser reports, capped; each is classified by the core (`phaseClass`).
//
// Rules this file keeps:
// - Every cell is a link of its own: clicking it opens that run in the
//   playground, with the fingerprint the CLI gives for the same link.
// - The map's settings are text a link can hold (`settingsText`), and a
//   setting that is not allowed is refused naming it and what is allowed,
//   before anything runs.

import { download } from './download.js';

/** Most workers the pool starts, whatever the browser reports. */
const MOST_WORKERS = 8;
/** What the settings are before a visitor changes them: the report's map (`study::PHASE_RATES`, `PHASE_CAPACITIES`) with one seed a cell. */
const DEFAULTS = { y: 'sn_capacity', xs: '0.5,1,2,3,4,5,6,6.8', ys: '260,300,350,400,500,600,800', policies: 'all', seeds: '1', peers: '20000' };
/** Most cells (runs) a map may have: a map that would take hours is refused. */
const MOST_RUNS = 2000;
/** Classes drawn, by `Heal::key`: the colour of a cell whose worst seed is of that class. */
const COLOURS = { 'no-outage': '#eef1f4', quick: '#009e73', slow: '#e69f00', 'not-healed': '#d55e00', impossible: '#ffffff' };
const WORST_FIRST = ['not-healed', 'slow', 'quick', 'no-outage', 'impossible'];

const num = new Intl.NumberFormat('en-US');

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
}

export class TippingMap {
  /**
   * `root`: the element to build the map in. `wasm`: this thread's module
   * (phaseCell, phaseClasses, params); `module`: the compiled module for
   * the workers; `openRun(query)` opens a cell's run; `currentQuery()` the
   * run shown; `linkChanged()` after the settings change.
   */
  constructor(root, { wasm, module, params, policies, openRun, currentQuery, linkChanged }) {
    this.wasm = wasm;
    this.module = module;
    this.params = params;
    this.policies = policies;
    this.openRun = openRun;
    this.currentQuery = currentQuery;
    this.linkChanged = linkChanged;
    this.classes = wasm.phaseClasses();
    this.settings = { ...DEFAULTS };
    /** Whether the link holds the settings: once the visitor changed or mapped them, or a link had them. */
    this.inLink = false;
    this.map = null;
    this.pool = [];
    this.shown = null;
    this.build(root);
    this.fill();
  }

  /** The numeric parameters a second axis may be: those with a range, but the restart rate and the ones a cell sets itself. */
  axes() {
    return this.params.filter((p) => (p.kind.type === 'int' || p.kind.type === 'float') && !['restart_rate', 'peers', 'seed', 'hours'].includes(p.key));
  }

  build(root) {
    const field = (id, label, input, hint = '') => {
      input.id = id;
      const f = el('div', { className: 'field' }, el('label', { htmlFor: id, textContent: label }), input);
      if (hint) f.append(el('p', { className: 'hint', textContent: hint }));
      return f;
    };
    this.inputs = {
      xs: el('input', { type: 'text', inputMode: 'decimal', spellcheck: false }),
      y: el('select'),
      ys: el('input', { type: 'text', inputMode: 'decimal', spellcheck: false }),
      seeds: el('input', { type: 'number', min: '1', max: '16', step: '1' }),
      peers: el('input', { type: 'number', min: '1000', step: '1000' }),
    };
    for (const p of this.axes()) this.inputs.y.append(el('option', { value: p.key, textContent: `${p.label} (${p.key}${p.unit ? `, ${p.unit}` : ''})` }));
    const policyBoxes = el('fieldset', { className: 'map-policies' }, el('legend', { textContent: 'Policies' }));
    this.policyBoxes = this.policies.map((p) => {
      const box = el('input', { type: 'checkbox', value: p.key, id: `map-policy-${p.key}` });
      policyBoxes.append(el('label', { htmlFor: box.id }, box, ` ${p.key}`));
      return box;
    });
    this.runButton = el('button', { type: 'button', className: 'primary', id: 'map-run', textContent: 'Map it' });
    this.cancelButton = el('button', { type: 'button', id: 'map-cancel', textContent: 'Cancel', disabled: true });
    this.csvButton = el('button', { type: 'button', id: 'map-csv', textContent: 'Map (CSV)', disabled: true });
    this.pngButton = el('button', { type: 'button', id: 'map-png', textContent: 'Map (PNG)', disabled: true });
    this.fileInput = el('input', { type: 'file', id: 'map-file', accept: '.jsonl,.json,.txt,application/x-ndjson' });
    this.progress = el('p', { id: 'map-progress', className: 'hint', role: 'status' });
    this.error = el('p', { id: 'map-error', className: 'field-error', hidden: true });
    this.switcher = el('div', { className: 'buttons map-switch', role: 'group', ariaLabel: 'Policy shown' });
    this.grid = el('table', { id: 'map-grid', className: 'map-grid' });
    this.caption = el('p', { id: 'map-caption', className: 'hint' });
    const legend = el('ul', { className: 'legend map-legend', ariaLabel: 'Map legend' });
    for (const c of this.classes) {
      const sw = el('span', { className: 'swatch square' });
      sw.style.background = COLOURS[c.key];
      sw.style.border = '1px solid #9aa5b1';
      legend.append(el('li', {}, sw, `${c.symbol.trim() || '(empty)'} ${c.name}`));
    }
    root.append(
      el('div', { className: 'map-settings' },
        field('map-xs', 'Restart rates (%/h, peak), the columns', this.inputs.xs, 'Comma-separated, as patchstorm phase --rates takes them.'),
        field('map-y', 'Second axis, the rows', this.inputs.y),
        field('map-ys', 'Its values', this.inputs.ys, 'Comma-separated, within the parameter\u2019s range (Advanced gives it).'),
        policyBoxes,
        field('map-seeds', 'Seeds per cell', this.inputs.seeds, 'Seeds 1 to N, one run each.'),
        field('map-peers', 'Peers per cell', this.inputs.peers),
      ),
      this.error,
      el('div', { className: 'buttons' }, this.runButton, this.cancelButton, this.csvButton, this.pngButton),
      el('div', { className: 'field' },
        el('label', { htmlFor: 'map-file', textContent: 'Or open a map file' }), this.fileInput,
        el('p', { className: 'hint', textContent: 'The JSON lines of patchstorm phase --format jsonl, or of its slices joined by patchstorm phase --merge.' })),
      this.progress,
      this.switcher,
      el('div', { className: 'table-scroll', tabIndex: 0, role: 'region', ariaLabel: 'Tipping-point map' }, this.grid),
      this.caption,
      legend,
    );
    for (const input of Object.values(this.inputs)) input.addEventListener('change', () => this.read());
    for (const box of this.policyBoxes) box.addEventListener('change', () => this.read());
    this.runButton.addEventListener('click', () => this.start());
    this.cancelButton.addEventListener('click', () => this.cancel('Cancelled'));
    this.csvButton.addEventListener('click', () => this.exportCsv());
    this.pngButton.addEventListener('click', () => this.exportPng());
    this.fileInput.addEventListener('change', async () => {
      const file = this.fileInput.files[0];
      if (!file) return;
      const error = this.loadFile(await file.text());
      this.error.hidden = !error;
      if (error) this.error.textContent = `${file.name} cannot be shown: ${error}.`;
    });
  }

  /** Puts the settings into the inputs. */
  fill() {
    const s = this.settings;
    this.inputs.xs.value = s.xs;
    this.inputs.y.value = s.y;
    this.inputs.ys.value = s.ys;
    this.inputs.seeds.value = s.seeds;
    this.inputs.peers.value = s.peers;
    const chosen = s.policies === 'all' ? this.policies.map((p) => p.key) : s.policies.split(',');
    for (const box of this.policyBoxes) box.checked = chosen.includes(box.value);
  }

  /** Reads the inputs into the settings (checked when the map is made). */
  read() {
    const chosen = this.policyBoxes.filter((b) => b.checked).map((b) => b.value);
    this.settings = {
      y: this.inputs.y.value,
      xs: this.inputs.xs.value.replace(/\s+/g, ''),
      ys: this.inputs.ys.value.replace(/\s+/g, ''),
      policies: chosen.length === this.policies.length ? 'all' : chosen.join(','),
      seeds: this.inputs.seeds.value.trim(),
      peers: this.inputs.peers.value.trim(),
    };
    this.inLink = true;
    this.linkChanged();
  }

  /** The settings as a link holds them (the value of its `map` key). */
  settingsText() {
    return new URLSearchParams(this.settings).toString();
  }

  /** Takes settings from a link; returns null, or what is wrong with them. */
  load(text) {
    const given = new URLSearchParams(text);
    for (const key of given.keys()) {
      if (!(key in DEFAULTS)) return `map: unknown setting ${key}; a map's settings are ${Object.keys(DEFAULTS).join(', ')}`;
    }
    this.settings = { ...DEFAULTS, ...Object.fromEntries(given) };
    this.inLink = true;
    this.fill();
    const plan = this.plan();
    return typeof plan === 'string' ? plan : null;
  }

  /**
   * The runs of the map the settings ask for: {policies, xs, ys, seeds,
   * peers, runs: [{p, yi, xi, seed, query | impossible}]}, or what is wrong
   * with the settings, naming the setting and what is allowed.
   */
  plan() {
    const s = this.settings;
    const list = (name, text) => {
      const items = text.split(',').filter((v) => v !== '');
      if (items.length === 0 || items.some((v) => !/^-?\d+(\.\d+)?$/.test(v))) return `${name} ${text || '(empty)'}: give numbers separated by commas, such as ${DEFAULTS[name]}`;
      return items;
    };
    const xs = list('xs', s.xs);
    if (typeof xs === 'string') return `restart rates: ${xs}`;
    const axis = this.axes().find((p) => p.key === s.y);
    if (!axis) return `y ${s.y}: the second axis is one of ${this.axes().map((p) => p.key).join(', ')}`;
    const ys = list('ys', s.ys);
    if (typeof ys === 'string') return `${axis.key} values: ${ys}`;
    const policies = s.policies === 'all' ? this.policies.map((p) => p.key) : s.policies.split(',').filter(Boolean);
    if (policies.length === 0) return 'policies: choose at least one';
    const bad = policies.find((k) => !this.policies.some((p) => p.key === k));
    if (bad) return `policies ${bad}: use ${this.policies.map((p) => p.key).join(', ')}`;
    const seeds = Number(s.seeds);
    if (!Number.isInteger(seeds) || seeds < 1 || seeds > 16) return `seeds ${s.seeds}: a whole number from 1 to 16`;
    const peersParam = this.params.find((p) => p.key === 'peers');
    const peers = Number(s.peers);
    if (!Number.isInteger(peers) || peers < peersParam.kind.min || peers > 1_000_000) {
      return `peers ${s.peers}: a whole number from ${num.format(peersParam.kind.min)} to ${num.format(1_000_000)} for a map`;
    }
    const count = policies.length * xs.length * ys.length * seeds;
    if (count > MOST_RUNS) return `the map would be ${num.format(count)} runs; at most ${num.format(MOST_RUNS)} (fewer values, policies or seeds)`;
    const runs = [];
    for (const [p, policy] of policies.entries()) {
      for (const [yi, y] of ys.entries()) {
        // A value outside the axis's range is the visitor's to fix, not an empty cell.
        try {
          this.wasm.phaseCell(policy, peers, 1, `${axis.key}=${y}`);
        } catch (e) {
          if (!/cannot go faster/.test(e.message)) return `${axis.key} ${y}: ${e.message}`;
        }
        for (const [xi, x] of xs.entries()) {
          for (let seed = 1; seed <= seeds; seed++) {
            try {
              runs.push({ p, yi, xi, seed, query: this.wasm.phaseCell(policy, peers, seed, `restart_rate=${x}&${axis.key}=${y}`) });
            } catch (e) {
              if (!/cannot go faster/.test(e.message)) return `restart rate ${x}: ${e.message}`;
              runs.push({ p, yi, xi, seed, impossible: e.message });
            }
          }
        }
      }
    }
    return { policies, xs, ys, axis, seeds, peers, runs };
  }

  /**
   * Shows a map the CLI made (its JSON lines: a header, then one line per
   * run). Returns null, or what is wrong with the file.
   */
  loadFile(text) {
    const rows = text.split('\n').filter((l) => l.trim() !== '');
    let head;
    try {
      head = JSON.parse(rows[0] ?? '');
    } catch {
      return 'its first line is not the header patchstorm phase --format jsonl writes';
    }
    const plan = head && head.map;
    if (!plan || !Array.isArray(plan.rates) || !Array.isArray(plan.values) || !Array.isArray(plan.seeds) || !Array.isArray(plan.policies)) {
      return 'its first line is not the header patchstorm phase --format jsonl writes';
    }
    if (head.shard !== '1/1') return `it is slice ${head.shard} of a map: join the slices with patchstorm phase --merge first`;
    const axis = this.axes().find((p) => p.key === plan.axis);
    if (!axis) return `its rows are ${plan.axis}, which is not a parameter a map may have`;
    const runs = [];
    for (const [p] of plan.policies.entries()) {
      for (const [yi] of plan.values.entries()) {
        for (const [xi] of plan.rates.entries()) {
          for (const seed of plan.seeds) runs.push({ p, yi, xi, seed });
        }
      }
    }
    if (head.runs !== runs.length || rows.length - 1 !== runs.length) return `it holds ${rows.length - 1} runs of the ${runs.length} its header names`;
    const results = new Array(runs.length).fill(null);
    for (const [n, row] of rows.slice(1).entries()) {
      let line;
      try {
        line = JSON.parse(row);
      } catch {
        return `line ${n + 2} is not JSON`;
      }
      const r = runs[line.index];
      if (!r || results[line.index]) return `line ${n + 2} holds run ${line.index}, which the map has not or has twice`;
      const name = this.classes.find((c) => c.key === line.class)?.name;
      if (!name) return `line ${n + 2} has the class ${line.class}`;
      if (line.query) r.query = line.query;
      else r.impossible = 'rate not reachable';
      results[line.index] = { digest: line.digest, class: { key: line.class, name, after_wave_hours: line.after_wave_hours } };
    }
    this.cancel();
    this.settings = {
      y: plan.axis,
      xs: plan.rates.join(','),
      ys: plan.values.join(','),
      policies: plan.policies.length === this.policies.length ? 'all' : plan.policies.join(','),
      seeds: String(plan.seeds.length),
      peers: String(plan.peers),
    };
    this.fill();
    this.map = { policies: plan.policies, xs: plan.rates, ys: plan.values, axis, seeds: plan.seeds.length, peers: plan.peers, runs, results, done: runs.length, started: performance.now(), events: 0, workers: 0, seconds: 0, fromFile: true };
    this.shown = plan.policies[0];
    this.render();
    return null;
  }

  /** Maps it: the cells go to the pool, and fill in as they finish. */
  start() {
    this.read();
    const plan = this.plan();
    this.error.hidden = typeof plan !== 'string';
    if (typeof plan === 'string') {
      this.error.textContent = `The map cannot be made: ${plan}.`;
      return;
    }
    this.cancel();
    const map = { ...plan, results: plan.runs.map((r) => (r.impossible ? { class: { key: 'impossible', name: 'rate not reachable' } } : null)), done: 0, started: performance.now(), events: 0 };
    map.done = map.results.filter(Boolean).length;
    this.map = map;
    if (this.shown === null || !plan.policies.includes(this.shown)) this.shown = plan.policies[0];
    // The longest runs first (a slow wave runs for days), so that no worker is left with a long one at the end.
    const hours = (i) => Number(new URLSearchParams(plan.runs[i].query).get('hours'));
    const waiting = plan.runs.map((r, i) => i).filter((i) => !map.results[i]).sort((a, b) => hours(b) - hours(a) || a - b);
    const workers = Math.max(1, Math.min(MOST_WORKERS, navigator.hardwareConcurrency || 2, waiting.length));
    map.workers = workers;
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(new URL('./cells.js', import.meta.url), { type: 'module', name: `patchstorm map ${w + 1}` });
      worker.postMessage({ type: 'init', module: this.module });
      const next = () => {
        const i = waiting.shift();
        if (i === undefined) return false;
        worker.postMessage({ type: 'cell', id: i, query: plan.runs[i].query });
        return true;
      };
      worker.onmessage = (e) => {
        if (this.map !== map) return;
        const m = e.data;
        if (m.type === 'failed') {
          this.cancel(`The map stopped: a run failed in its worker (${(m.panic || m.message).split('\n')[0]}); the cells so far stay`);
          return;
        }
        map.results[m.id] = m;
        map.done += 1;
        map.events += m.events;
        if (!next() && map.done === map.runs.length) this.finish();
        this.render();
      };
      worker.onerror = (e) => {
        e.preventDefault();
        if (this.map === map) this.cancel(`The map stopped: its worker could not run (${e.message || 'no reason given'}); the cells so far stay`);
      };
      this.pool.push(worker);
      next();
    }
    this.runButton.disabled = true;
    this.cancelButton.disabled = false;
    this.render();
    if (map.done === map.runs.length) this.finish();
  }

  finish() {
    for (const w of this.pool) w.terminate();
    this.pool = [];
    this.runButton.disabled = false;
    this.cancelButton.disabled = true;
    this.render();
  }

  /** Stops the pool; with a reason, says it where the progress is. */
  cancel(reason = '') {
    for (const w of this.pool) w.terminate();
    this.pool = [];
    this.runButton.disabled = false;
    this.cancelButton.disabled = true;
    if (this.map && this.map.done < this.map.runs.length) this.map.stopped = reason || 'Cancelled';
    if (reason) this.render();
  }

  /** The runs of one cell (policy index, row, column), by seed. */
  cell(map, p, yi, xi) {
    return map.runs.map((r, i) => ({ r, result: map.results[i] })).filter(({ r }) => r.p === p && r.yi === yi && r.xi === xi);
  }

  render() {
    const map = this.map;
    if (!map) return;
    this.csvButton.disabled = map.done === 0;
    this.pngButton.disabled = map.done === 0;
    const seconds = (performance.now() - map.started) / 1000;
    const ran = map.results.filter((r) => r && r.digest).length;
    const rate = seconds > 0 ? ran / seconds : 0;
    let text = `${num.format(map.done)} of ${num.format(map.runs.length)} runs`;
    if (map.fromFile) {
      text += ' · opened from a file made by patchstorm phase';
    } else if (map.done === map.runs.length) {
      map.seconds ??= seconds;
      text += ` · done in ${map.seconds.toFixed(1)} s (${(ran / map.seconds).toFixed(2)} runs/s, ${num.format(Math.round(map.events / map.seconds))} events/s, ${map.workers} workers)`;
    }
    else if (map.stopped) text += ` · ${map.stopped}`;
    else if (ran > 0) text += ` · ${rate.toFixed(2)} runs/s · about ${num.format(Math.round((map.runs.length - map.done) / rate))} s left · ${this.pool.length} workers`;
    else text += ` · ${this.pool.length} workers starting`;
    this.progress.textContent = text;
    this.progress.dataset.done = String(map.done);
    this.progress.dataset.runs = String(map.runs.length);

    // The policy switch.
    const switches = map.policies.map((key) => {
      const b = el('button', { type: 'button', textContent: key });
      b.setAttribute('aria-pressed', String(key === this.shown));
      b.addEventListener('click', () => {
        this.shown = key;
        this.render();
      });
      return b;
    });
    this.switcher.replaceChildren(...switches);

    const p = map.policies.indexOf(this.shown);
    const current = this.currentQuery();
    const head = el('tr', {}, el('th', { scope: 'col', textContent: `${map.axis.key} \\ restart rate (%/h)` }), ...map.xs.map((x) => el('th', { scope: 'col', textContent: x })));
    const rows = [...map.ys.entries()].reverse().map(([yi, y]) => {
      const tr = el('tr', {}, el('th', { scope: 'row', textContent: y }));
      for (const [xi, x] of map.xs.entries()) {
        const runs = this.cell(map, p, yi, xi);
        const results = runs.map((c) => c.result);
        const td = el('td');
        td.dataset.x = x;
        td.dataset.y = y;
        if (results.every(Boolean)) {
          const keys = results.map((r) => r.class.key);
          const worst = WORST_FIRST.find((k) => keys.includes(k));
          td.style.background = COLOURS[worst];
          td.dataset.class = worst;
          td.classList.toggle('tips', keys.includes('not-healed') && keys.some((k) => k !== 'not-healed'));
          const symbol = (k) => this.classes.find((c) => c.key === k).symbol.trim();
          td.textContent = keys.map(symbol).join(' ');
          if (worst !== 'impossible') {
            const first = runs[0];
            const b = el('button', { type: 'button', className: 'map-cell', textContent: td.textContent || '·' });
            const heal = results.map((r) => (r.class.after_wave_hours == null ? r.class.name : `healed ${r.class.after_wave_hours.toFixed(1)} h after the wave`)).join('; ');
            b.title = `${this.shown}, restart rate ${x} %/h, ${map.axis.key} ${y}: ${heal}. Opens seed ${first.r.seed}'s run (fingerprint ${first.result.digest}).`;
            b.dataset.query = first.r.query;
            b.dataset.digest = first.result.digest;
            b.addEventListener('click', () => this.openRun(first.r.query));
            td.replaceChildren(b);
          } else {
            td.title = runs[0].r.impossible;
          }
          if (runs.some((c) => c.r.query === current)) td.classList.add('current');
        } else {
          td.textContent = '…';
          td.className = 'pending';
        }
        tr.append(td);
      }
      return tr;
    });
    this.grid.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
    this.caption.textContent = `${this.shown}: the 2007 wave at ${num.format(map.peers)} peers a cell, ${map.seeds} seed${map.seeds === 1 ? '' : 's'} a cell (one symbol each, the colour the worst); healing counted from the end of the wave, as patchstorm phase counts it. An outlined cell is the run shown above. Click a cell to open its run.`;
  }

  /** Marks the cell of the run shown, when it is one. */
  currentChanged() {
    if (this.map) this.render();
  }

  exportCsv() {
    const map = this.map;
    if (!map) return;
    const lines = ['policy,restart_rate,' + map.axis.key + ',seed,class,after_wave_hours,digest,query'];
    map.runs.forEach((r, i) => {
      const res = map.results[i];
      if (!res) return;
      const q = r.query ? `"${r.query}"` : '';
      lines.push([map.policies[r.p], map.xs[r.xi], map.ys[r.yi], r.seed, res.class.key, res.class.after_wave_hours ?? '', res.digest ?? '', q].join(','));
    });
    download(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }), `patchstorm-map-${map.axis.key}.csv`);
  }

  exportPng() {
    const map = this.map;
    if (!map) return;
    const cw = 64;
    const ch = 36;
    const left = 90;
    const top = 40;
    const canvas = document.createElement('canvas');
    canvas.width = left + cw * map.xs.length + 20;
    canvas.height = top + ch * map.ys.length + 50;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#1b2430';
    ctx.font = '14px system-ui, sans-serif';
    ctx.fillText(`${this.shown}: ${map.axis.key} by restart rate (%/h), ${num.format(map.peers)} peers`, 10, 20);
    ctx.font = '12px system-ui, sans-serif';
    const p = map.policies.indexOf(this.shown);
    map.ys.forEach((y, yi) => {
      const row = map.ys.length - 1 - yi;
      ctx.fillStyle = '#1b2430';
      ctx.fillText(String(y), 10, top + row * ch + ch / 2 + 4);
      map.xs.forEach((x, xi) => {
        const results = this.cell(map, p, yi, xi).map((c) => c.result);
        const keys = results.filter(Boolean).map((r) => r.class.key);
        const worst = results.every(Boolean) ? WORST_FIRST.find((k) => keys.includes(k)) : null;
        ctx.fillStyle = worst ? COLOURS[worst] : '#f8f9fa';
        ctx.fillRect(left + xi * cw, top + row * ch, cw - 2, ch - 2);
        ctx.fillStyle = '#1b2430';
        ctx.fillText(keys.map((k) => this.classes.find((c) => c.key === k).symbol.trim()).join(' '), left + xi * cw + 6, top + row * ch + ch / 2 + 4);
      });
    });
    map.xs.forEach((x, xi) => ctx.fillText(String(x), left + xi * cw + 6, top + ch * map.ys.length + 16));
    ctx.fillText(this.classes.map((c) => `${c.symbol.trim() || '(empty)'} ${c.name}`).join(' · '), 10, top + ch * map.ys.length + 38);
    canvas.toBlob((blob) => blob && download(blob, `patchstorm-map-${this.shown}.png`), 'image/png');
  }
}
