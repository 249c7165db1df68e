// GET /: one self-contained HTML page (inline CSS and script, no framework, nothing fetched but
// GET /status) that redraws the cluster every second: brokers up, fenced, isolated or stopped;
// each partition's leader, ISR, high watermark and log end, under-replicated ones highlighted
// and offline ones marked; groups with their lag; active fault rules; recent events. Names come
// from clients, so everything is inserted as text, never as HTML. Rows carry data-* attributes
// (data-topic, data-partition, data-leader, data-isr) for scripts and tests.
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>minikafka</title>
<style>
  :root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; --line: #d0d7de; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #1f2328; background: #fff; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 20px 0 6px; }
  .meta { color: var(--muted); font-size: 12px; }
  .brokers { display: flex; gap: 8px; flex-wrap: wrap; }
  .broker { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; min-width: 120px; }
  .broker b { font-size: 15px; }
  .broker.up { border-left: 5px solid var(--ok); }
  .broker.fenced { border-left: 5px solid var(--warn); }
  .broker.down { border-left: 5px solid var(--bad); background: #fff5f5; }
  .tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px; margin-left: 4px; color: #fff; }
  .tag.up { background: var(--ok); } .tag.fenced { background: var(--warn); } .tag.down { background: var(--bad); }
  .tag.isolated { background: #8250df; } .tag.controller { background: #0969da; }
  table { border-collapse: collapse; margin-top: 4px; }
  th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left; font-variant-numeric: tabular-nums; }
  th { font-weight: 600; font-size: 12px; color: var(--muted); }
  tr.under td { background: #fff8c5; }
  tr.offline td { background: #ffebe9; color: var(--bad); }
  .events { font: 12px/1.5 ui-monospace, monospace; max-height: 260px; overflow: auto; border: 1px solid var(--line); padding: 4px 8px; }
  .ev-election { color: #0969da; } .ev-isr-shrink, .ev-fenced { color: var(--bad); } .ev-isr-expand, .ev-unfenced { color: var(--ok); }
  .empty { color: var(--muted); font-style: italic; }
  #error { color: var(--bad); }
</style>
</head>
<body>
<h1>minikafka <span id="cluster-id" class="meta"></span></h1>
<div class="meta">controller <span id="controller"></span> · updated <span id="updated">never</span> <span id="error"></span>
 · <label><input type="checkbox" id="show-internal"> internal topics</label></div>
<h2>Brokers</h2>
<div id="brokers" class="brokers"></div>
<h2>Partitions <span id="under-count" class="meta"></span></h2>
<table id="partitions"><thead><tr><th>topic</th><th>partition</th><th>leader</th><th>epoch</th><th>replicas</th><th>ISR</th><th>high watermark</th><th>log end</th><th>log start</th><th></th></tr></thead><tbody></tbody></table>
<h2>Consumer groups</h2>
<table id="groups"><thead><tr><th>group</th><th>state</th><th>coordinator</th><th>generation</th><th>members</th><th>lag</th><th>offsets (committed / high watermark)</th></tr></thead><tbody></tbody></table>
<h2>Fault rules</h2>
<div id="faults"></div>
<h2>Recent events</h2>
<div id="events" class="events"></div>
<script>
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'class') e.className = attrs[k];
      else if (k.slice(0, 5) === 'data-') e.setAttribute(k, String(attrs[k]));
    }
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c); });
    return e;
  }
  function replace(node, children) {
    while (node.firstChild) node.removeChild(node.firstChild);
    children.forEach(function (c) { node.appendChild(c); });
  }
  var num = function (v) { return v === null || v === undefined ? '–' : String(v); };
  var last = null;

  function render(s) {
    var c = s.cluster;
    $('cluster-id').textContent = c.clusterId;
    $('controller').textContent = c.controller.host + ':' + c.controller.port + ' (metadata offset ' + c.controller.metadataOffset + '), Metadata names broker ' + c.controllerId;
    replace($('brokers'), c.brokers.map(function (b) {
      var st = !b.running ? 'down' : b.fenced ? 'fenced' : 'up';
      var tags = [el('span', { class: 'tag ' + st }, [!b.running ? 'stopped' : b.fenced ? 'fenced' : 'up'])];
      if (b.isolated) tags.push(el('span', { class: 'tag isolated' }, ['isolated']));
      if (b.id === c.controllerId) tags.push(el('span', { class: 'tag controller' }, ['controller']));
      return el('div', { class: 'broker ' + st, 'data-broker': b.id, 'data-state': st }, [
        el('b', {}, ['broker ' + b.id])].concat(tags).concat([
        el('div', { class: 'meta' }, [b.host + ':' + b.port + (b.pid ? ' · pid ' + b.pid : '') + ' · leads ' + b.leaderCount])]));
    }));
    var showInternal = $('show-internal').checked;
    var rows = [];
    var under = 0;
    c.topics.forEach(function (t) {
      t.partitions.forEach(function (p) {
        if (p.underReplicated) under++;
        if (t.internal && !showInternal) return;
        var cls = p.offline ? 'offline' : p.underReplicated ? 'under' : '';
        rows.push(el('tr', { class: cls, 'data-topic': t.name, 'data-partition': p.partition, 'data-leader': p.leader, 'data-isr': p.isr.join(','), 'data-hw': num(p.highWatermark) }, [
          el('td', {}, [t.name]), el('td', {}, [p.partition]), el('td', { class: 'leader' }, [p.leader < 0 ? 'none' : p.leader]),
          el('td', {}, [p.leaderEpoch]), el('td', {}, [p.replicas.join(', ')]), el('td', { class: 'isr' }, [p.isr.join(', ')]),
          el('td', {}, [num(p.highWatermark)]), el('td', {}, [num(p.logEndOffset)]), el('td', {}, [num(p.logStartOffset)]),
          el('td', {}, [p.offline ? 'offline' : p.underReplicated ? 'under-replicated' : ''])]));
      });
    });
    replace($('partitions').tBodies[0], rows.length ? rows : [el('tr', {}, [el('td', { class: 'empty' }, ['no topics'])])]);
    $('under-count').textContent = under ? under + ' under-replicated' : 'all fully replicated';
    replace($('groups').tBodies[0], s.groups.length ? s.groups.map(function (g) {
      var offs = g.offsets.map(function (o) { return o.topic + '-' + o.partition + ': ' + o.offset + ' / ' + num(o.highWatermark); }).join('  ');
      return el('tr', { 'data-group': g.groupId, 'data-lag': g.totalLag }, [el('td', {}, [g.groupId]), el('td', {}, [g.state]), el('td', {}, [g.coordinator]),
        el('td', {}, [g.generationId]), el('td', {}, [g.members.length]), el('td', { class: 'lag' }, [g.totalLag]), el('td', { class: 'meta' }, [offs])]);
    }) : [el('tr', {}, [el('td', { class: 'empty' }, ['no groups'])])]);
    replace($('faults'), c.faults.length ? c.faults.map(function (f) {
      return el('div', { 'data-fault': f.id }, ['#' + f.id + ' ' + JSON.stringify(f.rule)]);
    }) : [el('div', { class: 'empty' }, ['none'])]);
    var evs = s.events.slice().reverse();
    replace($('events'), evs.length ? evs.map(function (e) {
      return el('div', { class: 'ev-' + e.kind, 'data-kind': e.kind }, [new Date(e.time).toISOString().slice(11, 23) + '  ' + e.message]);
    }) : [el('div', { class: 'empty' }, ['none yet'])]);
    $('updated').textContent = new Date().toISOString().slice(11, 19);
  }

  function tick() {
    fetch('/status', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (s) {
      last = s;
      $('error').textContent = '';
      render(s);
    }).catch(function (err) {
      $('error').textContent = 'cannot reach the cluster: ' + err.message;
    }).then(function () { setTimeout(tick, 1000); });
  }
  $('show-internal').addEventListener('change', function () { if (last) render(last); });
  tick();
})();
</script>
</body>
</html>
`;
