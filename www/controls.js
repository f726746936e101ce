// The Advanced section: one labelled control per scenario parameter,
// generated from the parameter table (params()), grouped as the table groups
// them. The two main knobs (restart rate, allocation policy) are up front in
// the page and left out here.

const GROUPS = {
  run: ['Run', 'Population size, seed, length and sampling of the run.'],
  population: ['Population', 'Who the peers are.'],
  supernodes: ['Supernodes', 'What one supernode can carry.'],
  'host-cache': ['Host cache', 'How a client finds a supernode.'],
  login: ['Login servers', 'The one central element.'],
  policy: ['Policy knobs', 'Set by the allocation policy unless you change them here; choosing a policy resets them.'],
  triggers: ['Triggers', 'What starts the trouble.'],
  operator: ['Operator response', "Skype's own servers stepping in."],
};

/** Help text with its [P]/[H] marks turned into tags. */
export function helpNodes(text) {
  const frag = document.createDocumentFragment();
  const parts = text.split(/(\[[PH](?:[:,][^\]]*)?\])/);
  for (const part of parts) {
    const m = /^\[([PH])/.exec(part);
    if (m) {
      const tag = document.createElement('span');
      tag.className = `tag tag-${m[1].toLowerCase()}`;
      tag.textContent = part;
      tag.title = m[1] === 'P' ? 'published fact' : 'hypothesis or fitted value';
      frag.appendChild(tag);
    } else if (part) {
      frag.appendChild(document.createTextNode(part));
    }
  }
  return frag;
}

/** An element with attributes (`class`, `text` or any other) and children. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

/**
 * Builds the Advanced fields into `root`. `onChange(key, text)` is called
 * when a control is committed. Returns {set(values, baseline), error(key, msg)}.
 */
export function buildAdvanced(root, params, onChange) {
  const inputs = new Map();
  const byGroup = new Map();
  for (const p of params) {
    if (p.group === 'main') continue;
    if (!byGroup.has(p.group)) byGroup.set(p.group, []);
    byGroup.get(p.group).push(p);
  }
  for (const [group, rows] of byGroup) {
    const [title, blurb] = GROUPS[group] || [group, ''];
    const fs = el('fieldset', { class: 'group', 'data-group': group }, el('legend', { text: title }), el('p', { class: 'hint', text: blurb }));
    for (const p of rows) {
      const id = `param-${p.key}`;
      const helpId = `${id}-help`;
      const wrap = el('div', { class: 'param', 'data-key': p.key });
      // A unit that only repeats the label ("Peers (peers)", "Start (UTC) (UTC)") is left out.
      const [named, u] = [p.label.toLowerCase(), (p.unit || '').toLowerCase()];
      const said = named === u || named.endsWith(`(${u})`);
      const unit = u && !said ? el('span', { class: 'unit', text: ` (${p.unit})` }) : null;
      const label = el('label', { for: id }, p.label, unit);
      let input;
      const k = p.kind;
      if (k.type === 'bool') {
        input = el('input', { type: 'checkbox', id, 'aria-describedby': helpId });
        wrap.append(el('div', { class: 'bool' }, input, label));
      } else {
        if (k.type === 'choice') {
          input = el('select', { id, 'aria-describedby': helpId });
          for (const o of k.options) input.append(el('option', { value: o, text: o }));
        } else if (k.type === 'time') {
          input = el('input', { type: 'text', id, inputmode: 'numeric', spellcheck: 'false', placeholder: 'YYYY-MM-DDTHH:MMZ', 'aria-describedby': helpId });
        } else {
          input = el('input', { type: 'number', id, min: String(k.min), max: String(k.max), step: k.type === 'int' ? '1' : 'any', 'aria-describedby': helpId });
        }
        wrap.append(label, el('div', { class: 'field' }, input));
      }
      const help = el('p', { class: 'hint', id: helpId }, helpNodes(p.help), ' ', el('span', { class: 'allowed', text: `Allowed: ${p.allowed}.` }));
      const err = el('p', { class: 'param-error', role: 'alert' });
      err.hidden = true;
      wrap.append(help, err);
      fs.append(wrap);
      input.addEventListener('change', () => {
        const text = k.type === 'bool' ? String(input.checked) : input.value.trim();
        onChange(p.key, text);
      });
      inputs.set(p.key, { input, wrap, err, kind: k });
    }
    root.append(fs);
  }

  return {
    inputs,
    /** Shows the scenario's values; marks those that differ from `baseline`. */
    set(values, baseline) {
      for (const [key, { input, wrap, err, kind }] of inputs) {
        const v = values[key];
        if (kind.type === 'bool') input.checked = v === 'true';
        else input.value = v;
        input.removeAttribute('aria-invalid');
        err.hidden = true;
        wrap.classList.toggle('changed', baseline != null && baseline[key] !== v);
      }
    },
    /** Shows why a value was refused next to its control. */
    error(key, message) {
      const entry = inputs.get(key);
      if (!entry) return false;
      entry.input.setAttribute('aria-invalid', 'true');
      entry.err.textContent = message;
      entry.err.hidden = false;
      return true;
    },
  };
}
