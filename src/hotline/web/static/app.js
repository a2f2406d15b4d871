// Hotline front-end glue. No inline scripts anywhere (CSP): behaviour hangs off data-* attributes.
(function () {
  "use strict";
  var csrf = function () { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; };
  document.addEventListener("htmx:configRequest", function (e) { e.detail.headers["X-CSRF-Token"] = csrf(); });

  // Charts: <div class="chart" data-chart='{"type":"bar","x":[...],"series":[{"name":..,"data":[..]}]}'>
  function optionFrom(spec) {
    if (spec.option) { return spec.option; }
    var type = spec.type || "bar";
    if (type === "pie") {
      return { tooltip: { trigger: "item", renderMode: "richText" }, legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"], data: spec.data || [] }] };
    }
    return {
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { bottom: 0 }, grid: { left: 48, right: 24, top: 24, bottom: 48 },
      xAxis: { type: "category", data: spec.x || [] },
      yAxis: spec.yAxis || { type: "value" },
      series: (spec.series || []).map(function (s) {
        return Object.assign({ type: type, smooth: type === "line" }, s);
      })
    };
  }
  function drawCharts(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el) || echarts.init(el);
      chart.setOption(optionFrom(JSON.parse(el.getAttribute("data-chart"))), true);
    });
  }
  window.hotlineCharts = { draw: drawCharts, optionFrom: optionFrom };
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var c = window.echarts && echarts.getInstanceByDom(el); if (c) { c.resize(); }
    });
  });
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (e) { drawCharts(e.target); });

  // Confirm buttons: <button data-confirm="...">
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); }
  });
})();
