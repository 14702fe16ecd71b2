// The live feed: rows arrive over the websocket and are added as text only
// (textContent), never as HTML, so transaction fields cannot inject markup.
"use strict";

(function () {
  const MAX_ROWS = 200;
  const rows = document.getElementById("feed-rows");
  const state = document.getElementById("connection-state");
  const total = document.getElementById("count-total");
  const flagged = document.getElementById("count-flagged");
  let counts = { total: 0, flagged: 0 };
  let retryDelay = 1000;

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function row(tx) {
    const tr = document.createElement("tr");
    tr.className = "outcome-" + tx.outcome;
    tr.dataset.transactionId = tx.transaction_id;
    const time = new Date(tx.timestamp);
    tr.append(
      cell(isNaN(time) ? tx.timestamp : time.toLocaleTimeString()),
      cell(tx.transaction_id),
      cell(tx.source + " → " + tx.target),
      cell(tx.amount + " " + tx.currency),
    );
    const outcome = cell("");
    const badge = document.createElement("span");
    badge.className = "badge badge-" + tx.outcome;
    badge.textContent = tx.outcome;
    outcome.append(badge);
    tr.append(outcome, cell(String(tx.score)), cell(tx.reasons.join(", ")));
    return tr;
  }

  function show(transactions) {
    const fragment = document.createDocumentFragment();
    for (const tx of transactions.slice(-MAX_ROWS).reverse()) {
      fragment.append(row(tx));
    }
    rows.prepend(fragment);
    while (rows.children.length > MAX_ROWS) {
      rows.lastElementChild.remove();
    }
  }

  function count(batchCounts) {
    for (const [outcome, n] of Object.entries(batchCounts)) {
      counts.total += n;
      if (outcome !== "legit") counts.flagged += n;
    }
    total.textContent = String(counts.total);
    flagged.textContent = String(counts.flagged);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/transactions/");
    state.textContent = "connecting";
    socket.onopen = function () {
      state.textContent = "live";
      retryDelay = 1000;
    };
    socket.onmessage = function (event) {
      const message = JSON.parse(event.data);
      if (message.type === "snapshot") {
        rows.replaceChildren();
        show(message.transactions);
      } else if (message.type === "batch") {
        show(message.transactions);
        count(message.counts);
      }
    };
    socket.onclose = function () {
      state.textContent = "reconnecting";
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
  }

  connect();
})();
