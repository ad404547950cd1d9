// VI Web Access: the lazy inventory tree, summaries loaded in place, actions
// posted with the session nonce, live fragments over server-sent events and
// the real-time charts. The server renders every fragment.
(function () {
  'use strict';
  var body = document.body;
  var nonceField = body.dataset.nonceField, nonce = body.dataset.nonce;
  var view = 'hosts', live = null, chartTimer = null;

  function node(item) {
    var li = document.createElement('li');
    li.className = 'node ' + item.type + (item.state ? ' ' + item.state : '');
    li.dataset.moid = item.moid;
    var toggle = document.createElement('span');
    toggle.className = 'toggle';
    toggle.textContent = item.leaf ? '' : '+';
    var link = document.createElement('a');
    link.href = '/ui/?moid=' + encodeURIComponent(item.moid);
    link.className = 'object';
    link.dataset.moid = item.moid;
    link.textContent = item.name;
    li.appendChild(toggle);
    li.appendChild(link);
    if (!item.leaf) {
      toggle.addEventListener('click', function () { expand(li, toggle); });
    }
    return li;
  }

  function expand(li, toggle) {
    var list = li.querySelector(':scope > ul');
    if (list) {
      list.remove();
      toggle.textContent = '+';
      return;
    }
    list = document.createElement('ul');
    li.appendChild(list);
    toggle.textContent = '-';
    load(list, li.dataset.moid, 0);
  }

  function load(list, moid, offset) {
    var url = '/ui/tree?view=' + view + '&offset=' + offset + (moid ? '&moid=' + encodeURIComponent(moid) : '');
    fetch(url).then(answer).then(function (page) {
      page.nodes.forEach(function (item) { list.appendChild(node(item)); });
      if (page.more !== null) {
        var more = document.createElement('li');
        more.className = 'more';
        more.textContent = (page.total - page.more) + ' more...';
        more.addEventListener('click', function () { more.remove(); load(list, moid, page.more); });
        list.appendChild(more);
      }
    });
  }

  function answer(response) {
    if (response.status === 401) { window.location = '/ui/login'; }
    return response.json();
  }

  function showTree() {
    var tree = document.getElementById('tree');
    tree.innerHTML = '';
    load(tree, null, 0);
  }

  function open(moid, push) {
    fetch('/ui/summary?moid=' + encodeURIComponent(moid)).then(function (response) {
      if (response.status === 401) { window.location = '/ui/login'; }
      return response.text();
    }).then(function (markup) {
      document.getElementById('content').innerHTML = markup;
      body.dataset.moid = moid;
      if (push) { history.pushState({moid: moid}, '', '/ui/?moid=' + encodeURIComponent(moid)); }
      listen(moid);
      charts(moid);
    });
  }

  function listen(moid) {
    if (live) { live.close(); }
    live = new EventSource('/ui/live?moid=' + encodeURIComponent(moid));
    live.addEventListener('fragment', function (message) {
      var fragment = JSON.parse(message.data);
      var element = document.getElementById(fragment.id);
      if (element) { element.innerHTML = fragment.html; }
    });
    live.addEventListener('ended', function () {
      live.close();
      window.location = '/ui/login';
    });
  }

  function act(target, fields) {
    var form = new URLSearchParams(fields);
    form.set(nonceField, nonce);
    form.set('action', target.dataset.action);
    form.set('moid', target.dataset.moid);
    fetch('/ui/action', {method: 'POST', body: form}).then(answer).then(function (result) {
      if (result.error) { window.alert(result.error + ': ' + result.message); }
    });
  }

  function draw(canvas, chart) {
    var context = canvas.getContext('2d'), width = canvas.width, height = canvas.height;
    context.clearRect(0, 0, width, height);
    context.strokeStyle = '#d0d7de';
    context.strokeRect(0.5, 0.5, width - 1, height - 1);
    var values = chart.values, top = Math.max(10, Math.max.apply(null, values.concat([0])) * 1.2);
    context.fillStyle = '#57606a';
    context.font = '11px sans-serif';
    context.fillText(top.toFixed(0) + '%', 4, 12);
    context.fillText('0%', 4, height - 4);
    if (values.length < 2) { return; }
    context.strokeStyle = '#0b5cad';
    context.lineWidth = 1.5;
    context.beginPath();
    values.forEach(function (value, index) {
      var x = 30 + index * (width - 36) / (values.length - 1);
      var y = height - 6 - value / top * (height - 20);
      if (index) { context.lineTo(x, y); } else { context.moveTo(x, y); }
    });
    context.stroke();
    context.fillText(values[values.length - 1].toFixed(2) + '%', width - 60, 12);
  }

  // real-time statistics: a sample every 20 s (the PerformanceManager's refresh rate)
  function charts(moid) {
    if (chartTimer) { clearTimeout(chartTimer); chartTimer = null; }
    if (!document.getElementById('chart-cpu')) { return; }
    fetch('/ui/perf?moid=' + encodeURIComponent(moid)).then(answer).then(function (result) {
      if (!result.charts || body.dataset.moid !== moid) { return; }
      ['cpu', 'mem'].forEach(function (key) {
        var canvas = document.getElementById('chart-' + key);
        if (canvas) { draw(canvas, result.charts[key]); canvas.dataset.samples = result.charts[key].values.length; }
      });
      chartTimer = setTimeout(function () { charts(moid); }, 20000);
    });
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest('a.object');
    if (link) {
      event.preventDefault();
      open(link.dataset.moid, true);
      return;
    }
    var tab = event.target.closest('button.tab');
    if (tab) {
      document.querySelectorAll('button.tab').forEach(function (t) { t.classList.remove('active'); });
      tab.classList.add('active');
      view = tab.dataset.view;
      showTree();
      return;
    }
    var button = event.target.closest('button.action');
    if (button && !button.closest('form')) { act(button, {}); }
  });
  document.addEventListener('submit', function (event) {
    var form = event.target.closest('form.action');
    if (!form) { return; }
    event.preventDefault();
    act(form, new FormData(form));
  });
  window.addEventListener('popstate', function (event) {
    if (event.state && event.state.moid) { open(event.state.moid, false); }
  });

  showTree();
  listen(body.dataset.moid);
  charts(body.dataset.moid);
}());
