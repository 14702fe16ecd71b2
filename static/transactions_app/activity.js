// An account's payments over time as a uPlot chart: each payment a point
// at its amount (log scale), flagged ones in red, the case's moment as a
// dashed line. Used by the case page (its data in the #activity-data JSON
// script element) and by the network page (fetched when an account is
// clicked). Data only: every label is set as text.
"use strict";

window.FraudActivity = (function () {
  function empty(target, text) {
    target.textContent = "";
    const note = document.createElement("p");
    note.className = "empty";
    note.textContent = text;
    target.appendChild(note);
  }

  function caseLine(markT) {
    return function (u) {
      if (markT == null) return;
      const x = u.valToPos(markT, "x", true);
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = "#444";
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.restore();
    };
  }

  // Draws ``series`` (the columns account_activity_series returns) into
  // ``target`` under ``title``; ``markT`` (epoch seconds) is marked.
  function draw(target, title, series, markT) {
    target.textContent = "";
    target.dataset.points = String(series.t.length);
    target.dataset.flagged = String(series.flagged.filter(Boolean).length);
    const heading = document.createElement("h4");
    heading.textContent =
      title + ": " + series.t.length + " payments" +
      (series.truncated ? " (the newest only)" : "");
    target.appendChild(heading);
    if (!series.t.length || typeof uPlot === "undefined") {
      const note = document.createElement("div");
      target.appendChild(note);
      empty(note, "No payments in the period.");
      return;
    }
    const legit = series.amount.map((a, i) => (series.flagged[i] ? null : a));
    const flagged = series.amount.map((a, i) => (series.flagged[i] ? a : null));
    const dots = (colour) => ({
      stroke: colour,
      paths: () => null,
      points: { show: true, size: 7, stroke: colour, fill: colour },
    });
    const holder = document.createElement("div");
    target.appendChild(holder);
    // The whole period on the x axis, whatever its payments; the amounts'
    // own span (log scale) on the y axis.
    const since = series.until - series.days * 86400;
    const low = Math.max(Math.min.apply(null, series.amount) / 2, 0.01);
    const high = Math.max.apply(null, series.amount) * 2;
    new uPlot(
      {
        width: Math.min(Math.max(target.clientWidth, 420), 640),
        height: 200,
        scales: {
          x: { time: true, range: () => [since, series.until] },
          y: { distr: 3, range: () => [low, high] },
        },
        series: [
          {},
          Object.assign({ label: "legit" }, dots("#1f5fa8")),
          Object.assign({ label: "flagged" }, dots("#c62828")),
        ],
        axes: [{}, { label: "amount" }],
        hooks: { draw: [caseLine(markT)] },
      },
      [series.t, legit, flagged],
      holder
    );
  }

  function drawCasePage() {
    const source = document.getElementById("activity-data");
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const payer = document.getElementById("activity-payer");
    const receiver = document.getElementById("activity-receiver");
    if (payer) draw(payer, "Payer " + data.payer.account + " sent", data.payer, data.case.t);
    if (receiver) {
      draw(receiver, "Receiver " + data.receiver.account + " received", data.receiver, data.case.t);
    }
  }

  document.addEventListener("DOMContentLoaded", drawCasePage);
  return { draw: draw };
})();
