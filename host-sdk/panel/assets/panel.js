// The panel's page script: sends forms and row actions to the JSON API,
// shows field errors, messages and modals, copies values, and refreshes the
// page's content. The server renders every page; this script only adds
// behaviour. Nothing here writes untrusted text as HTML: results are put in
// the DOM with textContent only.
(function () {
  'use strict';

  const pluginID = document.body.dataset.plugin || '';
  let refreshTimer = null;
  let refreshSeconds = 0;
  let refreshDeferred = false;
  let refreshing = false;
  let refreshAgain = false;

  // ---- small DOM helpers ----

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c) node.append(c);
    return node;
  }

  function modalOpen() {
    return document.querySelector('.modal-backdrop') !== null;
  }

  // ---- flash messages (outside the refreshed content) ----

  function flash(level, text, slot) {
    const region = document.getElementById('flash');
    if (!region || !text) return;
    if (slot) {
      const old = region.querySelector('[data-slot="' + slot + '"]');
      if (old) old.remove();
    }
    const close = el('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': 'Dismiss', text: '×' });
    const note = el('div', { class: 'notice notice-' + level + ' flash-item', role: level === 'error' ? 'alert' : 'status', 'data-slot': slot },
      el('p', { class: 'notice-text', text: text }), close);
    close.addEventListener('click', () => note.remove());
    region.append(note);
    if (level === 'success') setTimeout(() => note.remove(), 6000);
  }

  function clearFlash(slot) {
    const region = document.getElementById('flash');
    const old = region && region.querySelector('[data-slot="' + slot + '"]');
    if (old) old.remove();
  }

  // ---- copy ----

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (e) { /* fall back below */ }
    }
    const ta = el('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.value = '';
    ta.remove();
    return ok;
  }

  async function onCopy(button) {
    const box = button.closest('.copyable');
    const value = box && box.querySelector('.copy-value');
    if (!value) return;
    const ok = await copyText(value.textContent);
    const label = button.textContent;
    button.textContent = ok ? 'Copied' : 'Select and copy';
    button.classList.toggle('copied', ok);
    if (!ok) {
      const range = document.createRange();
      range.selectNodeContents(value);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
    setTimeout(() => { button.textContent = label === 'Copied' ? 'Copy' : label; button.classList.remove('copied'); }, 1500);
  }

  // ---- modals ----

  // openModal shows a dialog; build(dialog, close) fills it. close removes
  // the whole dialog from the DOM, so nothing it showed stays behind.
  function openModal(className, build, onClose) {
    const previous = document.activeElement;
    const titleID = 'modal-title-' + Math.random().toString(36).slice(2);
    const dialog = el('div', { class: 'modal ' + className, role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleID });
    const backdrop = el('div', { class: 'modal-backdrop' }, dialog);
    let closed = false;
    function close(value) {
      if (closed) return;
      closed = true;
      for (const v of dialog.querySelectorAll('.copy-value')) v.textContent = '';
      backdrop.remove();
      document.removeEventListener('keydown', onKey, true);
      if (previous && previous.isConnected && previous.focus) previous.focus({ preventScroll: true });
      if (onClose) onClose(value);
      if (refreshDeferred && !modalOpen()) refreshNow();
    }
    function onKey(ev) {
      if (ev.key === 'Escape' && dialog.dataset.escape === 'true') {
        ev.preventDefault();
        close(false);
      } else if (ev.key === 'Tab') {
        const focusable = dialog.querySelectorAll('button, [href], input, textarea, select');
        if (focusable.length === 0) return;
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (ev.shiftKey && document.activeElement === first) { ev.preventDefault(); last.focus(); }
        else if (!ev.shiftKey && document.activeElement === last) { ev.preventDefault(); first.focus(); }
      }
    }
    build(dialog, titleID, close);
    document.addEventListener('keydown', onKey, true);
    document.body.append(backdrop);
    const focus = dialog.querySelector('[data-autofocus]') || dialog.querySelector('button');
    if (focus) focus.focus();
    return close;
  }

  // confirmDialog asks in a page dialog (not window.confirm) and resolves
  // to true when the user confirms. With choices (checkboxes), it
  // resolves to {field: ticked} when confirmed, false when cancelled.
  function confirmDialog(text, okLabel, danger, choices) {
    return new Promise((resolve) => {
      openModal('modal-confirm', (dialog, titleID, close) => {
        dialog.dataset.escape = 'true';
        const cancel = el('button', { type: 'button', class: 'btn btn-secondary', 'data-confirm-cancel': true, 'data-autofocus': true, text: 'Cancel' });
        const ok = el('button', { type: 'button', class: 'btn ' + (danger ? 'btn-danger' : 'btn-primary'), 'data-confirm-ok': true, text: okLabel || 'Confirm' });
        const boxes = (choices || []).map((c) => {
          const box = el('input', { type: 'checkbox', 'data-choice': c.field });
          box.checked = !!c.checked;
          return { field: c.field, box: box, label: el('label', { class: 'modal-choice' }, box, el('span', { text: ' ' + c.label })) };
        });
        cancel.addEventListener('click', () => close(false));
        ok.addEventListener('click', () => {
          if (!boxes.length) { close(true); return; }
          const picked = {};
          for (const b of boxes) picked[b.field] = b.box.checked;
          close(picked);
        });
        dialog.append(
          el('h2', { id: titleID, class: 'modal-title', text: 'Please confirm' }),
          el('p', { class: 'modal-text', text: text }),
          ...boxes.map((b) => b.label),
          el('div', { class: 'modal-actions' }, cancel, ok));
      }, (value) => resolve(value === true ? true : (value && typeof value === 'object' ? value : false)));
    });
  }

  // resultModal shows an action's modal (a one-time secret, ready-to-paste
  // commands). Closing it removes every value it showed from the DOM.
  function resultModal(m) {
    openModal('modal-result', (dialog, titleID, close) => {
      dialog.append(el('h2', { id: titleID, class: 'modal-title', text: m.title || 'Result' }));
      if (m.text) dialog.append(el('p', { class: 'modal-text', text: m.text }));
      if (m.warning) {
        dialog.append(el('div', { class: 'notice notice-warning', role: 'alert' }, el('p', { class: 'notice-text', text: m.warning })));
      }
      if (m.values && m.values.length) {
        const list = el('dl', { class: 'info-list modal-values' });
        for (const v of m.values) {
          const dd = el('dd');
          if (v.copy) {
            dd.append(el('span', { class: 'copyable' },
              el('code', { class: 'copy-value', text: v.value || '' }),
              el('button', { type: 'button', class: 'btn btn-small btn-ghost copy-btn', 'data-copy': true, 'aria-label': 'Copy ' + (v.label || 'value'), text: 'Copy' })));
          } else {
            dd.append(el('span', { class: 'info-value', text: v.value || '' }));
          }
          if (v.hint) dd.append(el('span', { class: 'hint', text: v.hint }));
          list.append(el('div', { class: 'info-row' }, el('dt', { text: v.label || '' }), dd));
        }
        dialog.append(list);
      }
      for (const b of m.blocks || []) {
        dialog.append(el('div', { class: 'modal-block' },
          el('div', { class: 'block-label', text: b.label || '' }),
          el('div', { class: 'codeblock copyable' },
            el('pre', { class: 'copy-value', text: b.text || '' }),
            el('button', { type: 'button', class: 'btn btn-small btn-ghost copy-btn', 'data-copy': true, 'aria-label': 'Copy ' + (b.label || 'block'), text: 'Copy' }))));
      }
      const done = el('button', { type: 'button', class: 'btn btn-primary', 'data-modal-close': true, text: 'Close' });
      done.addEventListener('click', () => close(true));
      dialog.append(el('div', { class: 'modal-actions' }, done));
    });
  }

  // promptDialog asks the user to type expect (a typed confirmation) and
  // resolves to the typed text, or null when cancelled.
  function promptDialog(text, expect, okLabel) {
    return new Promise((resolve) => {
      openModal('modal-confirm', (dialog, titleID, close) => {
        dialog.dataset.escape = 'true';
        const input = el('input', { type: 'text', class: 'prompt-input', 'data-prompt-input': true, autocomplete: 'off', spellcheck: 'false', 'data-autofocus': true });
        const cancel = el('button', { type: 'button', class: 'btn btn-secondary', 'data-confirm-cancel': true, text: 'Cancel' });
        const ok = el('button', { type: 'button', class: 'btn btn-danger', 'data-confirm-ok': true, disabled: true, text: okLabel || 'Confirm' });
        input.addEventListener('input', () => { ok.disabled = input.value !== expect; });
        cancel.addEventListener('click', () => close(null));
        ok.addEventListener('click', () => { if (input.value === expect) close(input.value); });
        dialog.append(
          el('h2', { id: titleID, class: 'modal-title', text: 'Please confirm' }),
          el('p', { class: 'modal-text', text: text }),
          el('label', { class: 'prompt-label', text: 'Type ' + expect + ' to confirm' }, input),
          el('div', { class: 'modal-actions' }, cancel, ok));
      }, (value) => resolve(typeof value === 'string' ? value : null));
    });
  }

  // ---- actions ----

  function actionURL(action) {
    return '/api/plugins/' + encodeURIComponent(pluginID) + '/actions/' + encodeURIComponent(action);
  }

  // postAction sends an action's JSON input (to the plugin, or to post, a
  // path of the host's API) and resolves to its result. A result asking
  // for a confirmation (retry) is confirmed and sent again here.
  async function postAction(action, input, post) {
    const result = await send(post || actionURL(action), {
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(input || {}),
    });
    if (!result.ok && result.retry && result.retry.field) {
      const ok = await confirmDialog(result.retry.confirm || result.message, result.retry.ok || 'Confirm', true);
      if (!ok) return { ok: false, message: 'Nothing was changed.' };
      return postAction(action, Object.assign({}, input, { [result.retry.field]: true }), post);
    }
    return result;
  }

  // postFile sends a file as the body of a POST to the host's API, the
  // other fields as query parameters.
  async function postFile(post, file, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== '' && v !== false) q.set(k, v === true ? '1' : String(v));
    const url = post + (q.toString() ? '?' + q.toString() : '');
    return send(url, { headers: { 'Content-Type': 'application/octet-stream', 'Accept': 'application/json' }, body: file });
  }

  async function send(url, init) {
    let res;
    try {
      res = await fetch(url, Object.assign({ method: 'POST', credentials: 'same-origin', cache: 'no-store' }, init));
    } catch (e) {
      return { ok: false, message: 'Could not reach the panel: ' + e.message };
    }
    try {
      return await res.json();
    } catch (e) {
      return { ok: false, message: 'The panel answered ' + res.status + ' without a result.' };
    }
  }

  function formInput(form) {
    const input = {};
    for (const f of form.querySelectorAll('[data-field]')) {
      switch (f.dataset.field) {
        case 'checkbox':
          input[f.name] = f.checked;
          break;
        case 'datetime':
          input[f.name] = f.value ? new Date(f.value).toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
          break;
        case 'file':
          break; // sent as the body (postFile)
        case 'number':
          // Text the browser cannot read as a number (e.g. "1e") is sent
          // as a string, so that the plugin names the field in its answer.
          if (f.validity && f.validity.badInput) input[f.name] = 'not a number';
          else input[f.name] = f.value === '' ? null : Number(f.value);
          break;
        default:
          input[f.name] = f.value;
      }
    }
    return input;
  }

  function clearErrors(form) {
    for (const p of form.querySelectorAll('.field-error')) { p.textContent = ''; p.hidden = true; }
    for (const f of form.querySelectorAll('[aria-invalid]')) f.removeAttribute('aria-invalid');
    const msg = form.querySelector('.form-message');
    if (msg) { msg.textContent = ''; msg.hidden = true; msg.className = 'form-message'; }
  }

  function formMessage(form, level, text) {
    const msg = form.querySelector('.form-message');
    if (!msg) { flash(level, text); return; }
    msg.textContent = text;
    msg.className = 'form-message form-message-' + level;
    msg.hidden = !text;
  }

  // showResult presents an action's result: field errors beside their
  // fields, the message, the modal, and a refresh when asked.
  function showResult(result, form) {
    const errors = result.field_errors || {};
    const unplaced = [];
    let firstInvalid = null;
    for (const [name, text] of Object.entries(errors)) {
      const slot = form && form.querySelector('[data-error-for="' + CSS.escape(name) + '"]');
      if (slot) {
        slot.textContent = text;
        slot.hidden = false;
        const field = form.querySelector('[name="' + CSS.escape(name) + '"]');
        if (field) {
          field.setAttribute('aria-invalid', 'true');
          field.setAttribute('aria-describedby', slot.id);
          firstInvalid = firstInvalid || field;
        }
      } else {
        unplaced.push(name + ': ' + text);
      }
    }
    let text = result.message || '';
    if (unplaced.length) text = [text].concat(unplaced).filter(Boolean).join(' — ');
    if (!text) text = result.ok ? 'Done.' : 'The action failed.';
    const level = result.ok ? 'success' : 'error';
    if (form) formMessage(form, level, text);
    else flash(level, text);
    if (firstInvalid) firstInvalid.focus();
    if (result.ok && form) {
      form.reset();
      delete form.dataset.dirty;
      initFields(form, true);
    }
    if (result.modal) resultModal(result.modal);
    if (result.refresh) refreshNow();
  }

  async function onSubmit(form) {
    if (form.dataset.busy === 'true') return;
    clearErrors(form);
    const submit = form.querySelector('[type="submit"]');
    if (form.dataset.confirm) {
      const ok = await confirmDialog(form.dataset.confirm, submit ? submit.textContent : 'Confirm', false);
      if (!ok) return;
    }
    // A selected option that cannot be undone asks before the form goes.
    for (const s of form.querySelectorAll('select[data-field]')) {
      const opt = s.selectedOptions[0];
      if (opt && opt.dataset.confirm) {
        const ok = await confirmDialog(opt.dataset.confirm, submit ? submit.textContent : 'Confirm', true);
        if (!ok) return;
      }
    }
    form.dataset.busy = 'true';
    if (submit) submit.disabled = true;
    try {
      const file = form.querySelector('input[data-field="file"]');
      if (file && form.dataset.post) {
        if (!file.files || file.files.length === 0) {
          showResult({ ok: false, message: 'Choose a file first.', field_errors: { [file.name]: 'Choose a file first.' } }, form);
          return;
        }
        showResult(await postFile(form.dataset.post, file.files[0], formInput(form)), form);
      } else {
        showResult(await postAction(form.dataset.action, formInput(form), form.dataset.post), form);
      }
    } finally {
      delete form.dataset.busy;
      if (submit) submit.disabled = false;
    }
  }

  async function onRowAction(button) {
    let input = {};
    try { input = JSON.parse(button.dataset.input || '{}'); } catch (e) { input = {}; }
    if (button.dataset.prompt) {
      const typed = await promptDialog(button.dataset.prompt, button.dataset.promptExpect, button.dataset.label);
      if (typed === null) return;
      input[button.dataset.promptField] = typed;
    } else if (button.dataset.confirm) {
      let choices = [];
      try { choices = JSON.parse(button.dataset.choices || '[]'); } catch (e) { choices = []; }
      const ok = await confirmDialog(button.dataset.confirm, button.dataset.label, button.dataset.danger === 'true', choices);
      if (!ok) return;
      if (typeof ok === 'object') Object.assign(input, ok);
    }
    button.disabled = true;
    try {
      showResult(await postAction(button.dataset.rowAction, input), null);
    } finally {
      button.disabled = false;
    }
  }

  // ---- fields ----

  function pad(n) { return String(n).padStart(2, '0'); }

  function localDateTime(d) {
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function showOptionWarning(select) {
    const form = select.closest('form');
    const slot = form && form.querySelector('[data-warning-for="' + CSS.escape(select.name) + '"]');
    if (!slot) return;
    const opt = select.selectedOptions[0];
    const text = (opt && opt.dataset.warning) || '';
    slot.textContent = text;
    slot.hidden = !text;
  }

  // initFields sets what the server cannot: datetime defaults in the
  // browser's time zone, and the warning of each selected option.
  function initFields(root, force) {
    for (const f of root.querySelectorAll('input[data-field="datetime"]')) {
      if (f.dataset.ready && !force) continue;
      f.dataset.ready = 'true';
      const def = f.dataset.default;
      if (!def) continue;
      const d = new Date(def);
      f.value = isNaN(d.getTime()) ? def : localDateTime(d);
    }
    for (const s of root.querySelectorAll('select[data-field]')) showOptionWarning(s);
  }

  // ---- refresh ----

  // swapContent puts a freshly rendered content in place, keeping any form
  // with unsent input (or the focus) as it is.
  function swapContent(html) {
    const old = document.getElementById('page-content');
    if (!old) return;
    const tpl = document.createElement('template');
    tpl.innerHTML = html;
    const fresh = document.importNode(tpl.content, true).querySelector('#page-content');
    if (!fresh) return;
    const active = document.activeElement;
    let selection = null;
    if (active && typeof active.selectionStart === 'number') {
      selection = [active.selectionStart, active.selectionEnd];
    }
    for (const form of old.querySelectorAll('form[data-form-key]')) {
      const counterpart = fresh.querySelector('form[data-form-key="' + CSS.escape(form.dataset.formKey) + '"]');
      if (!counterpart) continue;
      if (form.dataset.dirty === 'true' || form.contains(active)) {
        counterpart.replaceWith(form);
        continue;
      }
      // A form that is replaced keeps the message of its last answer.
      const msg = form.querySelector('.form-message');
      const slot = counterpart.querySelector('.form-message');
      if (msg && slot && !msg.hidden) {
        slot.textContent = msg.textContent;
        slot.className = msg.className;
        slot.hidden = false;
      }
    }
    initFields(fresh, false);
    old.replaceWith(fresh);
    if (active && active.isConnected && document.activeElement !== active) {
      active.focus({ preventScroll: true });
      if (selection) { try { active.setSelectionRange(selection[0], selection[1]); } catch (e) { /* not a text field */ } }
    }
    schedule(parseInt(fresh.dataset.refresh || '0', 10));
    document.dispatchEvent(new CustomEvent('panel:refreshed'));
  }

  async function refreshNow() {
    if (!pluginID || !document.getElementById('page-content')) return;
    refreshDeferred = false;
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    try {
      // The page's query (a table's page, its filter) asks for the same
      // rows again.
      const res = await fetch('/api/plugins/' + encodeURIComponent(pluginID) + '/fragment' + location.search, {
        headers: { 'Accept': 'text/html' }, credentials: 'same-origin', cache: 'no-store',
      });
      if (!res.ok) {
        let message = 'the panel answered ' + res.status;
        try { message = (await res.json()).message || message; } catch (e) { /* keep the status */ }
        flash('error', 'Could not refresh the page: ' + message, 'refresh');
        return;
      }
      swapContent(await res.text());
      clearFlash('refresh');
    } catch (e) {
      flash('error', 'Could not refresh the page: ' + e.message, 'refresh');
    } finally {
      refreshing = false;
      if (refreshAgain) { refreshAgain = false; refreshNow(); }
    }
  }

  function tick() {
    if (document.hidden || modalOpen()) { refreshDeferred = true; return; }
    refreshNow();
  }

  function schedule(seconds) {
    if (seconds === refreshSeconds) return;
    refreshSeconds = seconds;
    if (refreshTimer) clearInterval(refreshTimer);
    refreshTimer = seconds > 0 ? setInterval(tick, seconds * 1000) : null;
  }

  // ---- wiring ----

  document.addEventListener('click', (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    if (!target) return;
    const copy = target.closest('[data-copy]');
    if (copy) { onCopy(copy); return; }
    const tmpl = target.closest('[data-template-for]');
    if (tmpl) {
      const form = tmpl.closest('form');
      const field = form && form.elements.namedItem(tmpl.dataset.templateFor);
      if (field) {
        field.value = tmpl.dataset.templateValue;
        form.dataset.dirty = 'true';
        field.focus();
      }
      return;
    }
    const row = target.closest('button[data-row-action]');
    if (row) onRowAction(row);
  });

  document.addEventListener('submit', (ev) => {
    const form = ev.target.closest && ev.target.closest('form[data-action]');
    if (!form) return;
    ev.preventDefault();
    onSubmit(form);
  });

  function onEdit(ev) {
    const t = ev.target;
    const form = t.closest && t.closest('form[data-action], form[data-form-key]');
    if (!form) return;
    form.dataset.dirty = 'true';
    if (t.name) {
      const slot = form.querySelector('[data-error-for="' + CSS.escape(t.name) + '"]');
      if (slot && !slot.hidden) { slot.hidden = true; slot.textContent = ''; t.removeAttribute('aria-invalid'); }
    }
    if (t.matches('select[data-field]')) showOptionWarning(t);
  }
  document.addEventListener('input', onEdit);
  document.addEventListener('change', onEdit);

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && refreshDeferred && !modalOpen()) refreshNow();
  });

  const content = document.getElementById('page-content');
  if (content) {
    initFields(content, false);
    schedule(parseInt(content.dataset.refresh || '0', 10));
  }
  document.body.dataset.panelReady = 'true';
})();
