// The live fraud monitor. Rows arrive over the websocket and every value
// is inserted as text (textContent), never as HTML, so transaction fields
// cannot inject markup; the page's CSP forbids inline script as well.
"use strict";

(function () {
  const MAX_ROWS = 200;
  const HISTORY_SECONDS = 300;
  const $ = (id) => document.getElementById(id);
  const rows = $("feed-rows");
  const state = $("connection-state");
  const totals = { total: 0, flagged: 0, fraud: 0 };
  const history = { time: [], rate: [], fraudRate: [] };
  let second = { legit: 0, review: 0, fraud: 0 };
  let paused = false;
  let held = [];
  let lastUpdate = null;
  let retryDelay = 1000;
  let charts = null;

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function row(tx) {
    const tr = document.createElement("tr");
    tr.dataset.outcome = tx.outcome;
    tr.dataset.transactionId = tx.transaction_id;
    tr.tabIndex = 0;
    const time = new Date(tx.timestamp);
    const badge = document.createElement("span");
    badge.className = "badge badge-" + tx.outcome;
    badge.textContent = tx.outcome;
    const outcome = cell("");
    outcome.append(badge);
    tr.append(
      cell(isNaN(time) ? String(tx.timestamp) : time.toLocaleTimeString()),
      cell(tx.transaction_id, "wide mono"),
      cell(tx.source + " → " + tx.target),
      cell(tx.amount + " " + tx.currency, "number"),
      outcome,
      cell(String(tx.score), "number"),
      cell((tx.reasons || []).slice(0, 3).join(", "), "wide"),
    );
    return tr;
  }

  function openInAdmin(tr) {
    if (tr && tr.dataset.transactionId) {
      window.location.assign("/transactions/" + encodeURIComponent(tr.dataset.transactionId) + "/");
    }
  }

  function show(transactions) {
    const fragment = document.createDocumentFragment();
    for (const tx of transactions.slice(-MAX_ROWS).reverse()) fragment.append(row(tx));
    rows.prepend(fragment);
    while (rows.children.length > MAX_ROWS) rows.lastElementChild.remove();
  }

  // The counters count what this connection delivered: the snapshot's rows
  // and then every frame (the server leaves out of frames what the snapshot
  // already had, so each transaction is counted once). A reconnect brings a
  // new snapshot, which replaces the rows, and the counters start again from
  // it, so they always describe the rows' source.
  function outcomesOf(transactions) {
    const counts = {};
    for (const tx of transactions) counts[tx.outcome] = (counts[tx.outcome] || 0) + 1;
    return counts;
  }

  function count(counts) {
    for (const [outcome, n] of Object.entries(counts)) {
      totals.total += n;
      if (outcome !== "legit") totals.flagged += n;
      if (outcome === "fraud") totals.fraud += n;
    }
    $("count-total").textContent = totals.total.toLocaleString();
    $("count-flagged").textContent = totals.flagged.toLocaleString();
    const rate = totals.total ? (100 * totals.fraud) / totals.total : 0;
    $("fraud-rate").textContent = rate.toFixed(1) + "%";
  }

  function countFrame(counts) {
    for (const [outcome, n] of Object.entries(counts)) {
      second[outcome] = (second[outcome] || 0) + n;
    }
    count(counts);
  }

  function countSnapshot(transactions) {
    totals.total = totals.flagged = totals.fraud = 0;
    count(outcomesOf(transactions));
  }

  function tick() {
    const n = second.legit + second.review + second.fraud;
    history.time.push(Date.now() / 1000);
    history.rate.push(n);
    history.fraudRate.push(n ? (100 * second.fraud) / n : 0);
    for (const series of Object.values(history)) {
      if (series.length > HISTORY_SECONDS) series.shift();
    }
    $("rate-now").textContent = n.toLocaleString();
    second = { legit: 0, review: 0, fraud: 0 };
    if (lastUpdate) {
      const ago = Math.round((Date.now() - lastUpdate) / 1000);
      $("last-update").textContent = "· last update " + ago + " s ago";
    }
    drawCharts();
  }

  function chartWidth() {
    return Math.max(240, Math.min(560, document.documentElement.clientWidth - 40));
  }

  function drawCharts() {
    if (typeof uPlot === "undefined") return;
    const width = chartWidth();
    if (!charts) {
      const options = (title, label, color) => ({
        title: title, width: width, height: 160,
        series: [{}, { label: label, stroke: color, width: 2 }],
        axes: [{}, { size: 50 }],
      });
      charts = [
        new uPlot(options("Transactions per second", "tx/s", "#1f5fa8"),
          [history.time, history.rate], $("chart-throughput")),
        new uPlot(options("Fraud rate (%)", "fraud %", "#b71c1c"),
          [history.time, history.fraudRate], $("chart-fraud")),
      ];
    }
    charts[0].setData([history.time, history.rate]);
    charts[1].setData([history.time, history.fraudRate]);
  }

  function receive(message) {
    lastUpdate = Date.now();
    if (message.type === "snapshot") {
      held = [];
      rows.replaceChildren();
      show(message.transactions);
      countSnapshot(message.transactions);
    } else if (message.type === "batch") {
      countFrame(message.counts);
      if (message.lag !== null && message.lag !== undefined) {
        $("lag").textContent = "· detector lag " + message.lag.toLocaleString() + " messages";
      }
      if (paused) {
        held = held.concat(message.transactions).slice(-MAX_ROWS);
      } else {
        show(message.transactions);
      }
    }
  }

  function setState(text) {
    state.textContent = text;
    state.dataset.state = text;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/transactions/");
    setState("connecting");
    socket.onopen = function () {
      setState("live");
      retryDelay = 1000;
    };
    socket.onmessage = function (event) {
      receive(JSON.parse(event.data));
    };
    socket.onclose = function () {
      setState("reconnecting in " + Math.round(retryDelay / 1000) + " s");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
  }

  for (const button of document.querySelectorAll("button.filter")) {
    button.addEventListener("click", function () {
      rows.dataset.filter = button.dataset.filter;
      for (const other of document.querySelectorAll("button.filter")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
    });
  }
  $("pause").addEventListener("click", function () {
    paused = !paused;
    this.setAttribute("aria-pressed", String(paused));
    this.textContent = paused ? "Resume" : "Pause";
    if (!paused) {
      show(held);
      held = [];
    }
  });
  rows.addEventListener("click", (event) => openInAdmin(event.target.closest("tr")));
  rows.addEventListener("keydown", function (event) {
    if (event.key === "Enter") openInAdmin(event.target.closest("tr"));
  });

  window.addEventListener("resize", function () {
    if (charts) for (const chart of charts) chart.setSize({ width: chartWidth(), height: 160 });
  });

  // Start the charts with a minute of zeros, so their time axis is sane.
  for (let ago = 60; ago > 0; ago--) {
    history.time.push(Date.now() / 1000 - ago);
    history.rate.push(0);
    history.fraudRate.push(0);
  }
  setInterval(tick, 1000);
  connect();
})();
