// The money-flow network page: the JSON the page embeds (#network-data)
// drawn with Cytoscape.js, accounts as nodes and the money between them as
// edges (width by amount, colour by flagged and confirmed payments).
// Clicking an account shows its activity (fetched as JSON) and offers to
// expand it: its own network is fetched and merged into the graph. Labels
// are drawn on the canvas and the panel is filled with textContent, so an
// account id is never markup.
"use strict";

(function () {
  const container = document.getElementById("network");
  const source = document.getElementById("network-data");
  if (!container || !source || typeof cytoscape === "undefined") return;
  const first = JSON.parse(source.textContent);
  const period = { days: null, until: first.until };
  const params = new URLSearchParams(window.location.search);
  period.days = params.get("days") || "";
  const edgesPerHop = params.get("edges") || "";

  const cy = cytoscape({
    container: container,
    wheelSensitivity: 0.3,
    maxZoom: 1.5, // a graph of a few accounts stays at reading size
    style: [
      {
        selector: "node",
        style: {
          label: "data(id)",
          "font-size": 9,
          "text-valign": "bottom",
          "background-color": "#8aa4c2",
          width: 18,
          height: 18,
        },
      },
      { selector: "node[hop = 0]", style: { "background-color": "#1f2d3d", width: 30, height: 30 } },
      { selector: "node[?merchant]", style: { shape: "round-rectangle" } },
      {
        selector: "node[?mule]",
        style: { shape: "diamond", "background-color": "#c62828", width: 26, height: 26 },
      },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#f9a825" } },
      {
        selector: "edge",
        style: {
          width: "data(width)",
          "line-color": "#9aa7b4",
          "target-arrow-color": "#9aa7b4",
          "target-arrow-shape": "triangle",
          "curve-style": "bezier",
          "arrow-scale": 0.8,
        },
      },
      {
        selector: "edge[flagged > 0]",
        style: { "line-color": "#ef6c00", "target-arrow-color": "#ef6c00" },
      },
      {
        selector: "edge[confirmed > 0]",
        style: { "line-color": "#c62828", "target-arrow-color": "#c62828" },
      },
    ],
  });

  let maxTotal = 1;

  function edgeWidth(total) {
    return 1 + 6 * Math.log1p(total) / Math.log1p(maxTotal);
  }

  function merge(network, baseHop) {
    const added = [];
    network.edges.forEach((edge) => {
      maxTotal = Math.max(maxTotal, edge.total);
    });
    network.nodes.forEach((node) => {
      const existing = cy.getElementById(node.id);
      if (existing.nonempty()) {
        if (node.mule) existing.data("mule", true);
        return;
      }
      added.push({
        group: "nodes",
        data: {
          id: node.id,
          hop: Math.min(baseHop + node.hop, 9),
          mule: node.mule,
          merchant: node.lists.indexOf("merchant") >= 0,
          lists: node.lists,
        },
      });
    });
    network.edges.forEach((edge) => {
      const id = edge.source + "\u2192" + edge.target;
      if (cy.getElementById(id).nonempty()) return;
      added.push({ group: "edges", data: Object.assign({ id: id }, edge) });
    });
    cy.add(added);
    cy.edges().forEach((edge) => edge.data("width", edgeWidth(edge.data("total"))));
    cy.layout({
      name: "concentric",
      concentric: (node) => 10 - node.data("hop"),
      levelWidth: () => 1,
      minNodeSpacing: 12,
      animate: false,
      padding: 30,
    }).run();
    listAccounts();
    container.dataset.nodes = String(cy.nodes().length);
    container.dataset.edges = String(cy.edges().length);
    return added.length;
  }

  // The accounts also as a list, for the keyboard: choosing one is
  // clicking it.
  const picker = document.getElementById("account-picker");
  function listAccounts() {
    const chosen = picker.value;
    picker.textContent = "";
    const prompt = document.createElement("option");
    prompt.value = "";
    prompt.textContent = "Choose an account…";
    picker.appendChild(prompt);
    cy.nodes().sort((a, b) => a.data("hop") - b.data("hop") || (a.id() < b.id() ? -1 : 1))
      .forEach((node) => {
        const option = document.createElement("option");
        option.value = node.id();
        option.textContent = node.id();
        picker.appendChild(option);
      });
    picker.value = chosen;
  }
  picker.addEventListener("change", () => {
    const node = cy.getElementById(picker.value);
    if (!picker.value || node.empty()) return;
    cy.nodes().unselect();
    node.select();
    node.emit("tap");
  });

  function query(extra) {
    const q = new URLSearchParams(extra);
    q.set("until", period.until);
    if (period.days) q.set("days", period.days);
    return q;
  }

  function money(value) {
    return value.toLocaleString(undefined, { maximumFractionDigits: 2 });
  }

  function showPanel(node) {
    const id = node.id();
    const panel = document.getElementById("account-panel");
    panel.hidden = false;
    panel.dataset.account = id;
    document.getElementById("panel-account").textContent = id;
    let sent = 0, received = 0;
    node.outgoers("edge").forEach((e) => { sent += e.data("total"); });
    node.incomers("edge").forEach((e) => { received += e.data("total"); });
    const marks = [];
    if (node.data("mule")) marks.push("a known mule");
    node.data("lists").forEach((name) => marks.push("on the " + name + " list"));
    document.getElementById("panel-summary").textContent =
      "In the graph: sent " + money(sent) + " to " + node.outgoers("node").length +
      " accounts, received " + money(received) + " from " + node.incomers("node").length +
      "." + (marks.length ? " " + marks.join(", ") + "." : "");
    document.getElementById("panel-transactions").href =
      container.dataset.transactionsUrl + "?" + new URLSearchParams({ q: id });
    document.getElementById("panel-network").href = "?" + query({ account: id });
    const sentChart = document.getElementById("panel-sent");
    const receivedChart = document.getElementById("panel-received");
    sentChart.textContent = receivedChart.textContent = "Loading…";
    fetchJson(container.dataset.activityUrl + "?" + query({ account: id })).then((answer) => {
      if (panel.dataset.account !== id) return; // another account clicked since
      if (answer.ok) {
        window.FraudActivity.draw(sentChart, "Sent", answer.body.sent, null);
        window.FraudActivity.draw(receivedChart, "Received", answer.body.received, null);
      } else {
        sentChart.textContent = "Its activity cannot be shown: " + answer.error;
        receivedChart.textContent = "";
      }
      panel.dataset.state = "ready";
    });
  }

  // The JSON an endpoint answers, as {ok, body} or {ok: false, error} with
  // the reason in words (the fields the endpoint refused, or the network).
  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" })
      .then((response) =>
        response.json().then((body) => {
          if (response.ok) return { ok: true, body: body };
          const errors = Object.values(body.errors || {}).flat();
          return { ok: false, error: errors.join(" ") || "status " + response.status };
        })
      )
      .catch((error) => ({ ok: false, error: String(error) }));
  }

  function expand(id) {
    const q = query({ account: id });
    if (edgesPerHop) q.set("edges", edgesPerHop);
    container.dataset.state = "expanding";
    fetchJson(container.dataset.networkUrl + "?" + q).then((answer) => {
      if (answer.ok) {
        const node = cy.getElementById(id);
        merge(answer.body, node.nonempty() ? node.data("hop") : 0);
        container.dataset.expanded = id;
      } else {
        document.getElementById("panel-summary").textContent =
          "It cannot be expanded: " + answer.error;
      }
      container.dataset.state = "ready";
    });
  }

  cy.on("tap", "node", (event) => {
    document.getElementById("account-panel").dataset.state = "loading";
    showPanel(event.target);
  });
  document.getElementById("panel-expand").addEventListener("click", () => {
    const id = document.getElementById("account-panel").dataset.account;
    if (id) expand(id);
  });

  merge(first, 0);
  // Where an account is drawn, in pixels from the graph's top left corner
  // (for scripts and tests that click it).
  window.FraudNetwork = {
    position: (id) => {
      const node = cy.getElementById(id);
      return node.nonempty() ? node.renderedPosition() : null;
    },
  };
  container.dataset.state = "ready";
})();
