// The dashboard's one script: the queues page's numbers and charts, live. Every two seconds
// it reads /api/overview and writes each number as text (never as HTML), and redraws each
// chart's line with the sums the server used for the first drawing.
"use strict";
(function () {
  const table = document.querySelector("table.queues");
  if (!table) return;
  const WIDTH = 300, HEIGHT = 48;

  function points(series) {
    const highest = Math.max(1, ...series);
    const step = WIDTH / (Math.max(series.length, 2) - 1);
    return series
      .map((value, index) =>
        (index * step).toFixed(1) + "," + (HEIGHT - (value / highest) * (HEIGHT - 2)).toFixed(1))
      .join(" ");
  }

  async function refresh() {
    try {
      const response = await fetch("/api/overview", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const overview = await response.json();
      for (const queue of overview.queues) {
        const row = Array.from(table.querySelectorAll("tr[data-queue]"))
          .find((candidate) => candidate.dataset.queue === queue.name);
        if (!row) continue;
        for (const cell of row.querySelectorAll("[data-field]")) {
          const field = cell.dataset.field;
          const value = field === "jobs_per_second" ? Math.round(queue[field]) : queue[field];
          cell.textContent = String(value);
          if (field === "consumers_looking_dead") cell.hidden = value === 0;
        }
        const line = row.querySelector("svg[data-chart] polyline");
        if (line) line.setAttribute("points", points(queue.series));
      }
      document.body.dataset.refreshed = String(Date.now());
    } catch (_) {
      // Redis or the dashboard away for a moment: the next round tries again.
    }
  }

  setInterval(refresh, 2000);
})();
