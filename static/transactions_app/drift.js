// The drift chart of the review statistics page: the population stability
// index of the model's probability, hour by hour, with the alert line. The
// data comes from a JSON script element (data, never markup).
"use strict";

(function () {
  const source = document.getElementById("drift-data");
  const target = document.getElementById("chart-drift");
  if (!source || !target || typeof uPlot === "undefined") return;
  const data = JSON.parse(source.textContent);
  if (!data || !data.hours.length) {
    target.textContent = "No traffic scored in the period yet.";
    return;
  }
  const alertLine = data.hours.map(() => data.alert);
  new uPlot(
    {
      width: Math.min(target.clientWidth || 640, 900),
      height: 220,
      series: [
        {},
        { label: "PSI of the probability", stroke: "#1f5fa8", width: 2 },
        { label: "alert", stroke: "#b71c1c", dash: [6, 4] },
      ],
      axes: [{}, { label: "PSI" }],
    },
    [data.hours, data.psi, alertLine],
    target
  );
})();
