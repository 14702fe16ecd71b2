// The trend charts of the review statistics page: flagged and confirmed
// payments per day, each rule's precision per week, the time to a first
// decision per day, and the open cases by age. The data comes from the
// #trends-data JSON script element (data, never markup); a chart without
// data says so in words. Every label is set as text.
"use strict";

(function () {
  const DAY = 86400;
  const PALETTE = [
    "#1f5fa8", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a",
    "#00838f", "#5d4037", "#ad1457", "#558b2f", "#283593",
  ];

  // The chart's place says in words that there is nothing to draw; it is
  // then text, no longer an image.
  function empty(target, text) {
    target.removeAttribute("role");
    target.removeAttribute("aria-label");
    target.textContent = "";
    const note = document.createElement("p");
    note.className = "empty";
    note.textContent = text;
    target.appendChild(note);
    target.dataset.state = "empty";
  }

  function draw(target, options, data) {
    target.textContent = "";
    const base = {
      width: Math.min(target.clientWidth || 640, 900),
      height: 220,
      // Days are UTC's, as the server counts them.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "UTC"),
    };
    new uPlot(Object.assign(base, options), data, target);
    target.dataset.state = "drawn";
  }

  // Points or bars centred on their day (or week), the first and last
  // kept whole.
  function timeScale(step) {
    return { time: true, range: (u, min, max) => [min - step / 2, max + step / 2] };
  }

  function monthDay(t) {
    const day = new Date(t * 1e3);
    return day.getUTCMonth() + 1 + "/" + day.getUTCDate();
  }

  // A count's scale: from zero, with room above the highest.
  function countScale() {
    return { range: (u, min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] };
  }

  // A count's axis: whole numbers only.
  function countAxis(label) {
    const incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
    return { label: label, incrs: incrs.concat(incrs.map((n) => n * 10000)) };
  }

  // Filled bars without an outline: a day at zero shows nothing.
  function bars(label, colour, size) {
    return {
      label: label,
      stroke: colour,
      fill: colour,
      width: 0,
      paths: uPlot.paths.bars({ size: [size, 40] }),
      points: { show: false },
    };
  }

  function drawFlagged(target, trend) {
    if (!trend.flagged) {
      empty(target, "No flagged payments in the period yet.");
      return;
    }
    const days = trend.days;
    draw(
      target,
      {
        scales: { x: timeScale(DAY), y: countScale() },
        series: [
          {},
          bars("flagged", "#ef6c00", 0.7),
          bars("confirmed fraud", "#b71c1c", 0.35),
        ],
        axes: [{}, countAxis("payments")],
      },
      [days.map((d) => d.t), days.map((d) => d.flagged), days.map((d) => d.confirmed)]
    );
  }

  function drawPrecision(target, trend) {
    if (!trend.rules.length) {
      empty(target, "No decided cases in the period yet.");
      return;
    }
    const series = trend.rules.map((line, i) => ({
      label: line.rule,
      stroke: PALETTE[i % PALETTE.length],
      dash: i >= PALETTE.length ? [6, 4] : undefined,
      width: 2,
      points: { show: true, size: 6 },
    }));
    draw(
      target,
      {
        scales: { x: timeScale(7 * DAY), y: { range: [0, 1] } },
        series: [{}].concat(series),
        axes: [
          {
            // A tick on each week's Monday.
            splits: () => trend.weeks.map((w) => w.t),
            values: (u, splits) => splits.map(monthDay),
          },
          { label: "precision" },
        ],
      },
      [trend.weeks.map((w) => w.t)].concat(
        trend.rules.map((line) => line.weeks.map((cell) => cell.precision))
      )
    );
  }

  function drawDecision(target, trend) {
    if (!trend.decided) {
      empty(target, "No decided cases in the period yet.");
      return;
    }
    const days = trend.days;
    const line = (label, colour, dash) => ({
      label: label,
      stroke: colour,
      dash: dash,
      width: 2,
      spanGaps: true,
      points: { show: true, size: 6 },
    });
    draw(
      target,
      {
        scales: {
          x: timeScale(DAY),
          y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] },
        },
        series: [
          {},
          line("median (hours)", "#1f5fa8"),
          line("90th percentile (hours)", "#c62828", [6, 4]),
        ],
        axes: [{}, { label: "hours" }],
      },
      [
        days.map((d) => d.t),
        days.map((d) => d.median_hours),
        days.map((d) => d.p90_hours),
      ]
    );
  }

  function drawOpenAge(target, trend) {
    if (!trend.open) {
      empty(target, "No open cases.");
      return;
    }
    const labels = trend.buckets.map((bucket) => bucket.label);
    const positions = labels.map((_, i) => i);
    draw(
      target,
      {
        height: 200,
        // The table beside the chart gives each bucket's count.
        legend: { show: false },
        scales: {
          x: { time: false, range: [-0.5, labels.length - 0.5] },
          y: countScale(),
        },
        series: [{}, bars("open cases", "#1f5fa8", 0.6)],
        axes: [
          {
            splits: () => positions,
            values: (u, splits) => splits.map((i) => labels[i]),
          },
          countAxis("cases"),
        ],
      },
      [positions, trend.buckets.map((bucket) => bucket.count)]
    );
  }

  function drawAll() {
    const source = document.getElementById("trends-data");
    if (!source || typeof uPlot === "undefined") return;
    const trends = JSON.parse(source.textContent);
    const charts = [
      ["chart-flagged", drawFlagged, trends.flagged],
      ["chart-precision", drawPrecision, trends.precision],
      ["chart-decision", drawDecision, trends.decision],
      ["chart-open-age", drawOpenAge, trends.open_age],
    ];
    for (const [id, drawOne, trend] of charts) {
      const target = document.getElementById(id);
      if (target) drawOne(target, trend);
    }
  }

  drawAll();
})();
