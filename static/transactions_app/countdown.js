// Review deadlines as a live countdown: every <time class="countdown">
// (its datetime the deadline) is rewritten each half minute in the words
// the server first wrote ("3 h 05 min left", "overdue by 1 d 2 h").
"use strict";

(function () {
  function span(seconds) {
    let minutes = Math.floor(seconds / 60);
    const days = Math.floor(minutes / 1440);
    minutes -= days * 1440;
    const hours = Math.floor(minutes / 60);
    minutes -= hours * 60;
    if (days) return days + " d " + hours + " h";
    if (hours) return hours + " h " + String(minutes).padStart(2, "0") + " min";
    return minutes + " min";
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll("time.countdown[datetime]").forEach((element) => {
      const seconds = Math.trunc((Date.parse(element.getAttribute("datetime")) - now) / 1000);
      element.textContent =
        seconds >= 0 ? span(seconds) + " left" : "overdue by " + span(-seconds);
      element.classList.toggle("overdue", seconds < 0);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    tick();
    setInterval(tick, 30000);
  });
})();
