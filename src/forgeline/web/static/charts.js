/*
  Draws every plotly figure on the page: <div class="chart" data-figure="ID"> with its figure
  as JSON in <script type="application/json" id="ID">. A point whose customdata is a local
  address is a link: clicking it opens that address (the units behind the point).
*/
(function () {
  "use strict";
  function draw(box) {
    var source = document.getElementById(box.dataset.figure);
    if (!source || !window.Plotly) { return; }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(box, figure.data, figure.layout, {
      responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"]
    });
    box.on("plotly_click", function (event) {
      var target = event.points && event.points[0] && event.points[0].customdata;
      if (typeof target === "string" && target.charAt(0) === "/") { window.location.href = target; }
    });
  }
  function drawAll() { document.querySelectorAll(".chart[data-figure]").forEach(draw); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else { drawAll(); }
})();
