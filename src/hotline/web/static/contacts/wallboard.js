// The wallboard: queue rows and agent rows from a snapshot, kept live by WebSocket events; ECharts charts.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("wallboard"); if (!root) { return; }
    var H = window.hotlineContacts, T = JSON.parse(root.getAttribute("data-t"));
    var queues = {}, agents = {}, dirty = true;
    var ORDER = ["ready", "offered", "talking", "hold", "acw", "not_ready"];
    var COLOURS = { ready: "#15803d", offered: "#0ea5e9", talking: "#2563eb", hold: "#b45309", acw: "#7c3aed", not_ready: "#9ca3af" };
    function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
    function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) { td.className = cls; } tr.appendChild(td); return td; }
    function draw() {
      var now = Date.now() / 1000, body = document.querySelector("#queues tbody"); body.innerHTML = "";
      var keys = Object.keys(queues).sort();
      keys.forEach(function (k) {
        var q = queues[k], tr = document.createElement("tr"); tr.setAttribute("data-queue", k);
        var wait = q.oldest_since ? now - q.oldest_since : 0;
        cell(tr, q.name + " (" + k + ")");
        cell(tr, q.waiting, q.waiting ? "num warn" : "num");
        cell(tr, q.waiting ? H.fmt(wait) : "—", wait > q.sl_threshold_s ? "num bad" : "num");
        cell(tr, q.offered, "num"); cell(tr, q.answered, "num"); cell(tr, q.abandoned, "num");
        cell(tr, pct(q.service_level), q.service_level === null ? "num" : (q.service_level >= q.sl_target ? "num good" : "num bad")).setAttribute("data-sl", k);
        cell(tr, Math.round(q.sl_target * 100) + "% / " + q.sl_threshold_s + "s", "num muted");
        cell(tr, q.asa_s === null ? "—" : q.asa_s.toFixed(1) + "s", "num");
        cell(tr, pct(q.abandonment_rate), q.abandon_cap !== null && q.abandonment_rate > q.abandon_cap ? "num bad" : "num");
        body.appendChild(tr);
      });
      var abody = document.querySelector("#agents tbody"); abody.innerHTML = "";
      var counts = {}; ORDER.forEach(function (s) { counts[s] = 0; });
      var list = Object.keys(agents).map(function (k) { return agents[k]; }).filter(function (a) { return a.state !== "logged_out"; });
      list.sort(function (a, b) { return ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || a.name.localeCompare(b.name); });
      list.forEach(function (a) {
        counts[a.state] = (counts[a.state] || 0) + 1;
        var tr = document.createElement("tr"); tr.setAttribute("data-agent", a.id);
        cell(tr, a.name + (a.simulated ? " ·sim" : "")); cell(tr, a.team);
        cell(tr, (T[a.state] || a.state) + (a.reason ? " · " + (T[a.reason] || a.reason) : ""), "s-" + a.state);
        cell(tr, H.fmt(now - Date.parse(a.since) / 1000), "num"); abody.appendChild(tr);
      });
      document.getElementById("agent-count").textContent = "(" + list.length + ")";
      if (dirty && window.echarts) {
        dirty = false;
        var sl = echarts.getInstanceByDom(document.getElementById("chart-sl")) || echarts.init(document.getElementById("chart-sl"));
        sl.setOption({ tooltip: { trigger: "axis", renderMode: "richText" }, legend: { bottom: 0 }, grid: { left: 48, right: 16, top: 16, bottom: 64 },
          xAxis: { type: "category", data: keys, axisLabel: { rotate: 30 } }, yAxis: { type: "value", max: 100 },
          series: [{ name: T.sl, type: "bar", data: keys.map(function (k) { var v = queues[k].service_level; return v === null ? null : +(v * 100).toFixed(1); }),
            itemStyle: { color: "#2563eb" } },
            { name: T.target, type: "line", step: "middle", data: keys.map(function (k) { return Math.round(queues[k].sl_target * 100); }), itemStyle: { color: "#b91c1c" } },
            { name: T.waiting, type: "bar", data: keys.map(function (k) { return queues[k].waiting; }), itemStyle: { color: "#b45309" } }] }, true);
        var st = echarts.getInstanceByDom(document.getElementById("chart-states")) || echarts.init(document.getElementById("chart-states"));
        st.setOption({ tooltip: { trigger: "item", renderMode: "richText" }, legend: { bottom: 0 },
          series: [{ type: "pie", radius: ["35%", "65%"], data: ORDER.map(function (s) { return { name: T[s] || s, value: counts[s], itemStyle: { color: COLOURS[s] } }; }) }] }, true);
      }
    }
    function snapshot(s) {
      queues = {}; agents = {};
      s.queues.forEach(function (q) { queues[q.key] = q; }); s.agents.forEach(function (a) { agents[a.id] = a; });
      dirty = true; draw();
    }
    function onEvent(ev) {
      if (ev.type === "wallboard.queue") { queues[ev.data.key] = ev.data; dirty = true; }
      else if (ev.type === "wallboard.agent") { agents[ev.data.id] = ev.data; dirty = true; }
    }
    H.stream("wallboard", root.getAttribute("data-wallboard"), snapshot, onEvent, function (ok) { document.getElementById("conn").hidden = ok; });
    setInterval(function () { document.getElementById("clock").textContent = new Date().toLocaleTimeString(); draw(); }, 1000);
    window.addEventListener("resize", function () { dirty = true; });
  });
})();
