// The web UI's script (nnergy serve, /ui.js). Every page works without it;
// it adds: the live progress of a running job (body[data-job]), the sweep
// scatter's axis selector and hover panel, and the eval form's and the
// design page's submission to the HTTP API, following the job's events.
'use strict';
(function () {
  // The SI prefixes of package page's short: three significant digits.
  const prefixes = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n'], [1e-12, 'p']];
  function short(v) {
    const a = Math.abs(v);
    for (const [f, p] of prefixes) {
      if (a >= f) return String(Number((v / f).toPrecision(3))) + p;
    }
    return String(Number(v.toPrecision(3)));
  }
  function si(v, unit) {
    const s = short(v);
    const m = /^(-?[0-9.e+-]*[0-9])(\D*)$/.exec(s);
    return m ? m[1] + ' ' + m[2] + unit : s + ' ' + unit;
  }
  // objectives: each axis's unit and how its value reads.
  const objectives = {
    energy: {unit: 'pJ', text: v => si(v * 1e-12, 'J')},
    latency: {unit: 's', text: v => si(v, 's')},
    edp: {unit: 'J·s', text: v => si(v, 'J·s')},
    power: {unit: 'W', text: v => si(v, 'W')},
    area: {unit: 'µm²', text: v => si(v * 1e-6, 'mm²')},
  };

  // follow reads a job's server-sent events: onProgress for each progress
  // event, onDone once with the run (null when the stream ended without it).
  function follow(id, onProgress, onDone) {
    const es = new EventSource('/api/v1/jobs/' + id + '/events');
    let over = false;
    const done = run => { if (!over) { over = true; es.close(); onDone(run); } };
    es.addEventListener('progress', e => onProgress(JSON.parse(e.data)));
    es.addEventListener('run', e => done(JSON.parse(e.data)));
    es.onerror = () => done(null);
  }

  // showProgress writes a progress event into #progress and #progress-text:
  // layer shapes of an eval, or any pair NAME_done and NAME of other jobs.
  function showProgress(p) {
    const bar = document.getElementById('progress');
    const text = document.getElementById('progress-text');
    let done = 0, total = 0, what = '';
    for (const k of Object.keys(p)) {
      const base = k.replace(/_done$/, '');
      if (base !== k && typeof p[base] === 'number') {
        done = p[k]; total = p[base]; what = base.replace(/_/g, ' ');
      }
    }
    if (bar) {
      bar.hidden = false;
      if (total > 0) { bar.max = total; bar.value = done; }
    }
    if (text) {
      text.textContent = total > 0 ? done + ' of ' + total + ' ' + what + ' done' : 'started';
      if (p.evaluated) text.textContent += ', ' + p.evaluated + ' mappings evaluated';
    }
  }

  // start posts an eval request and follows the job to its run's page.
  async function start(body, errorBox) {
    errorBox.textContent = '';
    let resp;
    try {
      resp = await fetch('/api/v1/jobs/eval', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    } catch (e) {
      errorBox.textContent = String(e);
      return;
    }
    const v = await resp.json().catch(() => ({error: resp.status + ' ' + resp.statusText}));
    if (resp.status !== 202) {
      errorBox.textContent = v.error || resp.status + ' ' + resp.statusText;
      return;
    }
    const id = v.id;
    showProgress({});
    follow(id, showProgress, () => { location.href = '/runs/' + id; });
  }

  // The eval form.
  function newEval(form) {
    form.addEventListener('submit', e => {
      e.preventDefault();
      const f = new FormData(form);
      const body = {};
      if (f.get('arch')) body.arch = f.get('arch'); else body.arch_yaml = f.get('arch_yaml');
      if (f.get('model')) body.model = f.get('model'); else body.workload_yaml = f.get('workload_yaml');
      const batch = parseInt(f.get('batch'), 10);
      if (batch > 0) body.batch = batch;
      if (f.get('dataflow')) body.dataflow = f.get('dataflow');
      start(body, document.getElementById('form-error'));
    });
  }

  // A sweep point's Evaluate buttons: its architecture on one workload.
  function evalPoints() {
    const yaml = document.getElementById('arch-yaml');
    for (const b of document.querySelectorAll('button.eval-point')) {
      b.addEventListener('click', () => {
        const body = {arch_yaml: yaml.textContent, model: b.dataset.model, batch: parseInt(b.dataset.batch, 10) || 1};
        if (['ws', 'os', 'is', 'rs', 'nlr'].includes(b.dataset.dataflow)) body.dataflow = b.dataset.dataflow;
        const status = document.getElementById('eval-status');
        start(body, status).then(() => {
          // start follows the job; the run's page shows its progress.
          if (!status.textContent) status.textContent = 'started…';
        });
      });
    }
  }

  // logAxis maps positive values onto [0, 1] by their logarithm, as package
  // page's scatter does.
  function logAxis(vals) {
    let lo = Infinity, hi = -Infinity;
    for (const v of vals) if (v > 0) { lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v)); }
    if (lo === Infinity) return {lo: 0, hi: 1};
    if (hi - lo < 1e-9) return {lo: lo - 0.5, hi: hi + 0.5};
    const pad = (hi - lo) * 0.06;
    return {lo: lo - pad, hi: hi + pad};
  }
  const frac = (a, v) => (Math.log10(v) - a.lo) / (a.hi - a.lo);

  // redraw moves every scatter's dots onto axes x and y.
  function redraw(x, y) {
    for (const g of document.querySelectorAll('g[id^="plot-"]')) {
      const wi = g.id.slice(5);
      const svg = g.ownerSVGElement;
      const [L, T, W, H] = ['left', 'top', 'width', 'height'].map(k => Number(g.dataset[k]));
      const dots = [...svg.querySelectorAll('circle.dot')];
      const ax = logAxis(dots.map(d => Number(d.dataset[x]))), ay = logAxis(dots.map(d => Number(d.dataset[y])));
      for (const d of dots) {
        const vx = Number(d.dataset[x]), vy = Number(d.dataset[y]);
        if (!(vx > 0 && vy > 0)) { d.style.display = 'none'; continue; }
        d.style.display = '';
        d.setAttribute('cx', (L + W * frac(ax, vx)).toFixed(1));
        d.setAttribute('cy', (T + H - H * frac(ay, vy)).toFixed(1));
        const t = d.querySelector('title');
        if (t) t.textContent = d.dataset.point + ': ' + d.dataset.params + '; ' + x + ' ' + objectives[x].text(vx) + ', ' + y + ' ' + objectives[y].text(vy);
      }
      for (let k = 0; k <= 4; k++) {
        const xt = document.getElementById('xtick-' + wi + '-' + k), yt = document.getElementById('ytick-' + wi + '-' + k);
        if (xt) xt.textContent = short(Math.pow(10, ax.lo + (ax.hi - ax.lo) * k / 4));
        if (yt) yt.textContent = short(Math.pow(10, ay.lo + (ay.hi - ay.lo) * k / 4));
      }
      const xl = document.getElementById('xlabel-' + wi), yl = document.getElementById('ylabel-' + wi);
      if (xl) xl.textContent = x + ' (' + objectives[x].unit + ', log)';
      if (yl) yl.textContent = y + ' (' + objectives[y].unit + ', log)';
    }
  }

  // The sweep page: axes chosen without a reload, the URL kept stable, and
  // a panel that shows the design under the pointer.
  function sweep(form) {
    const xs = document.getElementById('axis-x'), ys = document.getElementById('axis-y');
    const btn = document.getElementById('axes-submit');
    if (btn) btn.hidden = true;
    const change = () => {
      redraw(xs.value, ys.value);
      const q = new URLSearchParams(location.search);
      q.set('x', xs.value);
      q.set('y', ys.value);
      history.replaceState(null, '', '?' + q.toString());
    };
    xs.addEventListener('change', change);
    ys.addEventListener('change', change);
    form.addEventListener('submit', e => { e.preventDefault(); change(); });
    for (const d of document.querySelectorAll('circle.dot')) {
      const panel = document.getElementById('hover-' + d.id.split('-')[1]);
      d.addEventListener('mouseenter', () => {
        d.classList.add('hovered');
        if (!panel) return;
        panel.textContent = '';
        const head = document.createElement('strong');
        head.textContent = d.dataset.point + (d.dataset.front === 'true' ? ' (on the Pareto front)' : '');
        panel.append(head, document.createElement('br'), d.dataset.params, document.createElement('br'),
          Object.keys(objectives).map(o => o + ' ' + objectives[o].text(Number(d.dataset[o]))).join(' · '));
      });
      d.addEventListener('mouseleave', () => d.classList.remove('hovered'));
    }
  }

  function main() {
    const job = document.body.dataset.job;
    // The run's page once the job is over; a second later when the stream
    // broke without saying so, not to reload in a loop.
    if (job) follow(job, showProgress, run => setTimeout(() => location.reload(), run ? 0 : 1000));
    const form = document.getElementById('new-eval');
    if (form) newEval(form);
    const axes = document.getElementById('axes');
    if (axes) sweep(axes);
    evalPoints();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main); else main();
})();
