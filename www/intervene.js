// The operator's actions at the moment the timeline shows: a form of the
// keys an intervention may set (the library's list, `interventionKeys()`),
// each with the control its kind calls for, and the list of the run's
// timed interventions (`at=30h:policy=resilient` in its link), as the
// library reads them (`scenarioValues(query).interventions`).
//
// The form only says what the visitor asked for (`onApply(changes)`,
// `onRemove(index)`); the run's worker applies it (Playground.intervene),
// and the library checks it: a refused value comes back as its message.

import { el, helpNodes } from './controls.js';


/** The query without its `index`-th intervention. */
export function withoutIntervention(query, index) {
  const q = new URLSearchParams(query);
  const all = q.getAll('at');
  q.delete('at');
  all.forEach((at, i) => {
    if (i !== index) q.append('at', at);
  });
  return q.toString();
}

export class Interventions {
  /**
   * `form` holds the action select, a box for its value and the list;
   * `params` is the parameter table, `keys` the keys an intervention may set.
   */
  constructor(form, { params, keys, onApply, onRemove }) {
    this.form = form;
    this.byKey = new Map(params.map((p) => [p.key, p]));
    this.keys = keys.filter((k) => this.byKey.has(k));
    this.onApply = onApply;
    this.onRemove = onRemove;
    this.action = form.querySelector('#intervene-action');
    this.valueBox = form.querySelector('#intervene-value-box');
    this.help = form.querySelector('#intervene-help');
    this.errorBox = form.querySelector('#intervene-error');
    this.list = form.querySelector('#interventions');
    for (const key of this.keys) {
      const p = this.byKey.get(key);
      this.action.append(el('option', { value: key, text: actionLabel(p) }));
    }
    this.action.addEventListener('change', () => this.choose(this.action.value));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.error(null);
      this.onApply([[this.action.value, this.value()]]);
    });
    this.values = {};
    if (this.keys.length) this.choose(this.keys[0]);
  }

  /** The control for the chosen key's value, set to the run's value now. */
  choose(key) {
    const p = this.byKey.get(key);
    this.valueBox.replaceChildren();
    const id = 'intervene-value';
    // "Set to", not the parameter's label, which the control of the same
    // parameter in Scenario or Advanced has.
    const label = el('label', { for: id, text: p.unit ? `Set to (${p.unit})` : 'Set to' });
    let input;
    const k = p.kind;
    if (k.type === 'choice') {
      input = el('select', { id });
      for (const o of k.options) input.append(el('option', { value: o, text: o }));
    } else if (k.type === 'bool' && key === 'wave') {
      // The wave can only be stopped: restarts it cancelled do not come back.
      input = el('select', { id });
      input.append(el('option', { value: 'off', text: 'off (cancel every restart not yet made)' }));
    } else if (k.type === 'bool') {
      input = el('select', { id });
      input.append(el('option', { value: 'false', text: 'off' }), el('option', { value: 'true', text: 'on' }));
    } else {
      input = el('input', { id, type: 'number', min: String(k.min), max: String(k.max), step: k.type === 'int' ? '1' : 'any', inputmode: 'decimal' });
    }
    const now = this.values[key];
    if (now !== undefined && key !== 'wave') input.value = String(now);
    this.input = input;
    this.valueBox.append(label, input);
    this.help.replaceChildren(helpNodes(`${p.help} Allowed: ${p.allowed}.`));
  }

  value() {
    return this.input.value.trim();
  }

  /** What the run is now: its scenario's values (`scenarioValues`, with its interventions), for the form and the list. */
  setScenario(values, describe) {
    this.values = values;
    if (this.keys.length) this.choose(this.action.value);
    this.list.replaceChildren();
    values.interventions.forEach((iv, i) => {
      const words = iv.changes.map(([k, v]) => `${this.byKey.get(k)?.label ?? k}: ${v}`).join(', ');
      const remove = el('button', { type: 'button', class: 'link-button', 'aria-label': `Remove the intervention at ${describe(iv.t_ms)}`, text: 'Remove' });
      remove.addEventListener('click', () => this.onRemove(i));
      this.list.append(el('li', { 'data-at': iv.text }, el('span', { text: `${describe(iv.t_ms)} h: ${words}` }), remove));
    });
  }

  /** Shows a refusal (or clears it with null). */
  error(message) {
    this.errorBox.hidden = message === null;
    this.errorBox.textContent = message ?? '';
    if (this.input) this.input.setAttribute('aria-invalid', message === null ? 'false' : 'true');
  }
}

function actionLabel(p) {
  if (p.key === 'policy') return 'Switch the allocation policy';
  if (p.key === 'mega_count') return 'Start mega-supernodes';
  if (p.key === 'restart_rate') return 'Slow (or speed) the restart wave';
  if (p.key === 'wave') return 'Stop the restart wave';
  if (p.key === 'login_capacity') return 'Set the login capacity';
  return `Set ${p.label.toLowerCase()}`;
}
