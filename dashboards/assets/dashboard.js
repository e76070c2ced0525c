// Dashboard page script: fetches the dashboard's data (or reads it from a snapshot), embeds each
// chart with vega-embed and reloads when the filters change. Runs under a CSP without 'unsafe-eval'
// or inline styles: vega's expression interpreter replaces code generation, and vega-embed and the
// tooltip handler are told not to inject <style> elements (dashboard.css carries their styles).
/* global vega, vegaEmbed */
(function () {
  'use strict';

  var main = document.getElementById('dashboard');
  if (!main) return;
  var form = document.getElementById('filters');
  var status = document.getElementById('status');
  var snapshot = document.getElementById('snapshot-data');
  var views = {};
  var knownTeams = {};
  var base = main.getAttribute('data-base') || '';

  var EMBED_OPTIONS = {
    renderer: 'svg',
    actions: false,
    ast: true,
    expr: vega.expressionInterpreter,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true },
  };

  function setStatus(text, state) {
    if (status) status.textContent = text;
    main.setAttribute('data-state', state);
  }

  function queryFromForm() {
    var params = new URLSearchParams();
    if (!form) return params;
    new FormData(form).forEach(function (value, key) {
      if (typeof value === 'string' && value.trim() !== '') params.set(key, value.trim());
    });
    return params;
  }

  function fillSelect(select, options, selected) {
    if (!select) return;
    var keep = select.value || selected || '';
    while (select.options.length > 1) select.remove(1);
    options.forEach(function (o) {
      var opt = document.createElement('option');
      opt.value = o.id;
      opt.textContent = o.label;
      select.appendChild(opt);
    });
    select.value = keep;
  }

  function applyChoices(payload) {
    if (!form) return;
    var c = payload.choices || {};
    var q = payload.query || {};
    fillSelect(form.elements.namedItem('waba'), c.wabas || [], q.waba);
    var phones = (c.phones || []).filter(function (p) {
      return !q.waba || p.waba === q.waba;
    });
    fillSelect(form.elements.namedItem('phone'), phones, q.phone);
    // Teams come from the data, which a team filter narrows: keep every team seen on this page.
    (c.teams || []).forEach(function (t) {
      knownTeams[t] = true;
    });
    fillSelect(
      form.elements.namedItem('team'),
      Object.keys(knownTeams)
        .sort()
        .map(function (t) {
          return { id: t, label: t };
        }),
      q.team,
    );
    ['from', 'to'].forEach(function (k) {
      var input = form.elements.namedItem(k);
      if (input && q[k]) input.value = q[k];
    });
  }

  function pictureLinks(figure, id, query) {
    var links = figure.querySelectorAll('a[data-picture]');
    links.forEach(function (a) {
      var qs = query.toString();
      a.href = base + id + '.' + a.getAttribute('data-picture') + (qs ? '?' + qs : '');
    });
  }

  function renderChart(chart, query) {
    var figure = document.getElementById('chart-' + chart.id);
    if (!figure) return Promise.resolve();
    var holder = figure.querySelector('.view');
    var empty = figure.querySelector('.empty');
    if (views[chart.id]) {
      views[chart.id].finalize();
      delete views[chart.id];
    }
    holder.textContent = '';
    pictureLinks(figure, chart.id, query);
    if (chart.empty) {
      figure.setAttribute('data-rendered', 'empty');
      empty.textContent = chart.message;
      empty.hidden = false;
      holder.hidden = true;
      return Promise.resolve();
    }
    empty.hidden = true;
    holder.hidden = false;
    var spec = chart.spec;
    // The figure already has the title; pictures and snapshots keep theirs.
    delete spec.title;
    spec.width = Math.max(280, Math.floor(holder.clientWidth || spec.width));
    return vegaEmbed(holder, spec, EMBED_OPTIONS).then(
      function (result) {
        views[chart.id] = result.view;
        figure.setAttribute('data-rendered', 'chart');
      },
      function (err) {
        figure.setAttribute('data-rendered', 'error');
        empty.textContent = 'This chart could not be drawn: ' + err.message;
        empty.hidden = false;
        console.error(err);
      },
    );
  }

  // Marks for measuring in the field and in bench/dashboards.ts: script start, data in, all drawn.
  function mark(name) {
    if (window.performance && performance.mark) performance.mark('dashboard:' + name);
  }
  mark('script');

  function render(payload, query) {
    mark('data');
    applyChoices(payload);
    return Promise.all(
      payload.charts.map(function (c) {
        return renderChart(c, query);
      }),
    ).then(function () {
      var shown = payload.charts.filter(function (c) {
        return !c.empty;
      }).length;
      var text =
        shown === 0
          ? 'No data for these filters yet: every chart below says what it is waiting for.'
          : 'Data as of ' + payload.generated_at.replace('T', ' ').slice(0, 16) + ' UTC · ' + payload.query.from + ' to ' + payload.query.to;
      mark('rendered');
      setStatus(text, 'ready');
    });
  }

  // `url`: the address the page preloaded (the first load), fetched as the preload asked for it
  // (same address and credentials), so the browser takes the preload's answer.
  function load(query, url) {
    setStatus('Loading…', 'loading');
    mark('fetch');
    url = url || main.getAttribute('data-data-url') + (query.toString() ? '?' + query.toString() : '');
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (res.status === 401) {
          window.location.assign('/login');
          throw new Error('signed out');
        }
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body.error || 'HTTP ' + res.status);
          return body;
        });
      })
      .then(function (payload) {
        return render(payload, query);
      })
      .catch(function (err) {
        setStatus('Could not load the data: ' + err.message, 'error');
      });
  }

  if (snapshot) {
    var payload = JSON.parse(snapshot.textContent);
    render(payload, new URLSearchParams()).catch(function (err) {
      setStatus('Could not draw the snapshot: ' + err.message, 'error');
    });
    return;
  }

  if (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var query = queryFromForm();
      var qs = query.toString();
      window.history.replaceState(null, '', window.location.pathname + (qs ? '?' + qs : ''));
      var snapshotLink = document.getElementById('snapshot-link');
      if (snapshotLink) snapshotLink.href = base + 'snapshot.html' + (qs ? '?' + qs : '');
      load(query);
    });
    var waba = form.elements.namedItem('waba');
    if (waba) {
      waba.addEventListener('change', function () {
        var phone = form.elements.namedItem('phone');
        if (phone) phone.value = '';
      });
    }
  }
  load(new URLSearchParams(window.location.search), main.getAttribute('data-first-url'));
})();
