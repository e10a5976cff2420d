// The observer's page: reads one stream of batches, keeps the rows, and draws them. Text from
// the tree only ever goes through textContent.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const rows = new Map();
  const collapsed = new Set();
  let header = {};
  let received = performance.now();
  let breakers = [];
  let timeline = [];
  let selected = null;
  let diagramVersion = -1;
  let diagramLoading = false;
  const HISTORY = 1000;

  // The token comes in the fragment, which the browser never sends; it is kept for this tab
  // only, and taken out of the address bar.
  const token = (() => {
    const m = /(?:^|[#&])token=([0-9a-f]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem('supervisor-token', m[1]);
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem('supervisor-token');
  })();

  const secs = (ms) => (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
  const nowMs = () => (header.now_ms || 0) + (performance.now() - received);
  const clock = (atMs) => {
    const d = new Date((header.epoch_wall_ms || 0) + atMs);
    return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  };
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };

  function depth(path) {
    return path.split('/').length - 1;
  }

  function parentOf(path) {
    const i = path.lastIndexOf('/');
    return i < 0 ? null : path.slice(0, i);
  }

  function hidden(path) {
    for (let p = parentOf(path); p !== null; p = parentOf(p)) {
      if (collapsed.has(p)) return true;
    }
    const f = $('filter').value.trim();
    if (!f) return false;
    if (path.includes(f)) return false;
    // An ancestor of a match stays, so that the match has its place.
    for (const other of rows.keys()) {
      if (other.startsWith(path + '/') && other.includes(f)) return false;
    }
    return true;
  }

  function stateText(r) {
    if (r.state === 'restarting' && r.restart_in_ms !== null && r.restart_in_ms !== undefined) {
      const left = Math.max(0, r.restart_in_ms - (performance.now() - r._at));
      return 'restart in ' + secs(left);
    }
    if (r.state === 'restarting' && r.waiting_for) return 'waits for ' + r.waiting_for;
    return r.state;
  }

  function mailboxText(r) {
    return r.mailbox ? r.mailbox[0] + '/' + r.mailbox[1] : '';
  }

  function exitText(r) {
    if (!r.last_exit) return '';
    return r.directive ? r.last_exit + ' → ' + r.directive : r.last_exit;
  }

  function hasChildren(path) {
    for (const other of rows.keys()) if (other.startsWith(path + '/')) return true;
    return false;
  }

  function renderRow(tr, r) {
    tr.replaceChildren();
    tr.dataset.path = r.path;
    const name = el('td', null, 'name');
    name.style.paddingLeft = 6 + 16 * depth(r.path) + 'px';
    const toggle = el('span', hasChildren(r.path) ? (collapsed.has(r.path) ? '▸' : '▾') : '', 'toggle');
    toggle.addEventListener('click', (e) => {
      e.stopPropagation();
      if (collapsed.has(r.path)) collapsed.delete(r.path); else collapsed.add(r.path);
      renderOutline();
    });
    name.append(toggle, el('span', r.path.slice(r.path.lastIndexOf('/') + 1)));
    name.title = r.label || r.path;
    tr.append(
      name,
      el('td', stateText(r), 'state state-' + r.state),
      el('td', r.incarnation ?? '', 'incarnation'),
      el('td', r.restarts, 'restarts'),
      el('td', r.intensity || '', 'intensity'),
      el('td', r.health === 'unknown' ? '' : r.health, 'health health-' + r.health),
      el('td', r.phi === null || r.phi === undefined ? '' : r.phi.toFixed(1), 'phi'),
      el('td', mailboxText(r), 'mailbox'),
      el('td', exitText(r), 'exit'),
    );
    tr.classList.toggle('selected', r.path === selected);
  }

  function ordered() {
    return [...rows.values()].sort((a, b) => (a.order - b.order) || (a.path < b.path ? -1 : 1));
  }

  function renderOutline() {
    const body = $('outline').tBodies[0];
    const existing = new Map([...body.rows].map((tr) => [tr.dataset.path, tr]));
    const wanted = [];
    for (const r of ordered()) {
      if (hidden(r.path)) continue;
      let tr = existing.get(r.path);
      if (!tr) {
        tr = document.createElement('tr');
        tr.addEventListener('click', () => select(tr.dataset.path));
      }
      renderRow(tr, r);
      wanted.push(tr);
    }
    body.replaceChildren(...wanted);
  }

  function updateRow(r, flash) {
    const tr = $('outline').tBodies[0].querySelector(`tr[data-path="${CSS.escape(r.path)}"]`);
    if (!tr) return false;
    renderRow(tr, r);
    if (flash) {
      tr.classList.remove('flash');
      void tr.offsetWidth;
      tr.classList.add('flash');
    }
    return true;
  }

  function recolour() {
    for (const g of $('diagram').querySelectorAll('g.node[data-path]')) {
      const r = rows.get(g.dataset.path);
      const kind = g.dataset.kind;
      const cls = ['node', kind];
      if (r) {
        cls.push(r.state);
        if (r.health === 'unhealthy' || r.health === 'degraded') cls.push(r.health);
      }
      if (g.dataset.path === selected) cls.push('selected');
      g.setAttribute('class', cls.join(' '));
      // The box's live part follows the row: its state and incarnation as they are now.
      const text = g.querySelector('text');
      if (r && text) {
        text.textContent = text.textContent
          .replace(/\[(starting|running|restarting|stopping|stopped|gone|exited)/, '[' + r.state)
          .replace(/incarnation \d+/, 'incarnation ' + (r.incarnation ?? 0));
      }
    }
  }

  async function loadDiagram(version) {
    if (diagramLoading) return;
    diagramLoading = true;
    try {
      const res = await fetch('/api/diagram.svg', { cache: 'no-store' });
      const text = await res.text();
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const svg = doc.documentElement;
      if (svg.nodeName !== 'svg') return;
      const node = document.importNode(svg, true);
      for (const g of node.querySelectorAll('g.node[data-path]')) {
        const classes = (g.getAttribute('class') || '').split(/\s+/);
        g.dataset.kind = classes[1] || 'worker';
        g.addEventListener('click', () => select(g.dataset.path));
      }
      $('diagram').replaceChildren(node);
      diagramVersion = version;
      recolour();
    } finally {
      diagramLoading = false;
    }
    if (header.diagram !== diagramVersion) loadDiagram(header.diagram);
  }

  function renderHeader() {
    $('tree-name').textContent = header.name || 'supervisor';
    document.title = (header.name || 'supervisor') + ' · supervisor';
    const status = $('status');
    status.textContent = header.status;
    status.className = 'badge ' + (header.status === 'running' ? 'good' : header.status === 'gave up' ? 'bad' : 'warn');
    const live = $('live');
    live.textContent = header.live ? 'live' : 'not live';
    live.className = 'badge ' + (header.live ? 'good' : 'bad');
    const ready = $('ready');
    ready.textContent = header.ready ? 'ready' : 'not ready';
    ready.className = 'badge ' + (header.ready ? 'good' : 'warn');
    renderUptime();
    if (header.diagram !== diagramVersion) loadDiagram(header.diagram);
  }

  function renderUptime() {
    $('uptime').textContent = header.uptime_ms === undefined ? '' : 'up ' + secs(header.uptime_ms + performance.now() - received);
  }

  function tick() {
    renderUptime();
    for (const r of rows.values()) {
      if (r.state === 'restarting' && r.restart_in_ms !== null) updateRow(r, false);
    }
    renderShutdown();
  }

  function renderBreakers() {
    const body = $('breakers').tBodies[0];
    body.replaceChildren(...breakers.map((b) => {
      const tr = el('tr');
      tr.dataset.breaker = b.name;
      tr.append(el('td', b.name), el('td', b.state, 'state'), el('td', b.failures),
        el('td', b.reopens_in_ms === null ? '' : 'in ' + secs(b.reopens_in_ms)));
      return tr;
    }));
  }

  function renderShutdown() {
    const stopping = [...rows.values()].filter((r) => r.stopping);
    $('shutdown-section').hidden = stopping.length === 0;
    $('shutdown').replaceChildren(...stopping.map((r) => {
      const s = r.stopping;
      const since = nowMs() - s.since_ms;
      const kill = s.kill_in_ms === null ? 'waited for' : 'killed in ' + secs(Math.max(0, s.kill_in_ms - (performance.now() - r._at)));
      return el('li', `${r.path}: stopping for ${secs(since)}, ${kill}`);
    }));
  }

  function entryItem(e) {
    const li = el('li');
    li.dataset.path = e.path;
    li.dataset.kind = e.kind;
    li.append(el('span', clock(e.at_ms), 'at'), el('span', e.kind, 'kind'), el('span', e.path + ': ' + e.text));
    return li;
  }

  function shown(e) {
    const p = $('timeline-path').value.trim();
    const k = $('timeline-kind').value;
    return (!p || e.path.includes(p)) && (!k || e.kind === k);
  }

  function renderTimeline() {
    const items = [];
    for (let i = timeline.length - 1; i >= 0 && items.length < 300; i--) {
      if (shown(timeline[i])) items.push(entryItem(timeline[i]));
    }
    $('timeline').replaceChildren(...items);
  }

  function addEvents(events) {
    if (!events.length) return;
    timeline.push(...events);
    if (timeline.length > HISTORY) timeline = timeline.slice(-HISTORY);
    const list = $('timeline');
    for (const e of events) {
      if (shown(e)) list.prepend(entryItem(e));
    }
    while (list.children.length > 300) list.lastChild.remove();
  }

  function renderPanel() {
    const r = selected && rows.get(selected);
    $('panel').hidden = !r;
    if (!r) return;
    $('panel-title').textContent = r.path;
    const fields = [
      ['node', r.label], ['kind', r.kind], ['state', stateText(r)], ['incarnation', r.incarnation],
      ['restarts', r.restarts], ['intensity', r.intensity], ['health', r.health_cause ? `${r.health}: ${r.health_cause}` : r.health],
      ['phi', r.phi === null ? null : r.phi.toFixed(2)], ['waits for', r.waiting_for], ['mailbox', mailboxText(r)],
      ['command', r.command], ['pid', r.pid], ['stderr', (r.stderr || []).join('\n')],
      ['last exit', r.last_exit], ['directive', r.directive], ['last message', r.last_message],
    ];
    $('panel-fields').replaceChildren(...fields.filter(([, v]) => v !== null && v !== undefined && v !== '')
      .flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
    const ticks = $('panel-ticks');
    const span = 60000;
    const now = nowMs();
    ticks.title = 'restarts in the last minute';
    ticks.replaceChildren(...(r.ticks || []).filter((t) => now - t < span).map((t) => {
      const s = el('span');
      s.style.left = (100 * (1 - (now - t) / span)) + '%';
      s.title = clock(t);
      return s;
    }));
    $('panel-context').replaceChildren(...(r.context || []).map((line) => el('li', line)));
    $('panel-chain').textContent = r.chain || '';
    $('panel-actions').hidden = !token;
  }

  function select(path) {
    selected = path;
    for (const tr of $('outline').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.path === path);
    recolour();
    renderPanel();
  }

  function take(r, at) {
    r._at = at;
    rows.set(r.path, r);
  }

  function applySnapshot(s) {
    received = performance.now();
    header = s.header;
    rows.clear();
    for (const r of s.rows) take(r, received);
    breakers = s.breakers;
    timeline = s.timeline.slice(-HISTORY);
    renderHeader();
    renderOutline();
    renderBreakers();
    renderTimeline();
    renderPanel();
    recolour();
  }

  function applyBatch(b) {
    received = performance.now();
    header = b.header;
    let reshaped = false;
    for (const r of b.rows) {
      if (r.removed) {
        rows.delete(r.path);
        reshaped = true;
        continue;
      }
      const before = rows.get(r.path);
      take(r, received);
      if (!before || hidden(r.path) !== false) reshaped = true;
      else updateRow(r, before.state !== r.state || before.restarts !== r.restarts);
    }
    if (reshaped) renderOutline();
    if (b.breakers !== null) {
      breakers = b.breakers;
      renderBreakers();
    }
    addEvents(b.events);
    renderHeader();
    recolour();
    if (selected && b.rows.some((r) => r.path === selected)) renderPanel();
    document.body.dataset.batch = String((Number(document.body.dataset.batch) || 0) + 1);
  }

  async function act(verb) {
    if (!selected || !token) return;
    const out = $('action-result');
    out.textContent = '…';
    const res = await fetch('/api/actions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify({ action: verb, path: selected, reason: $('action-reason').value }),
    });
    out.textContent = res.status + ' ' + (await res.text());
  }

  function connect() {
    const source = new EventSource('/api/events');
    source.addEventListener('snapshot', (e) => applySnapshot(JSON.parse(e.data)));
    source.addEventListener('batch', (e) => applyBatch(JSON.parse(e.data)));
    source.onopen = () => { $('stream').textContent = 'streaming'; };
    source.onerror = () => { $('stream').textContent = 'reconnecting…'; };
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('filter').addEventListener('input', renderOutline);
    $('timeline-path').addEventListener('input', renderTimeline);
    $('timeline-kind').addEventListener('change', renderTimeline);
    for (const b of document.querySelectorAll('#panel-actions button')) {
      b.addEventListener('click', () => act(b.dataset.action));
    }
    setInterval(tick, 250);
    connect();
  });
})();
