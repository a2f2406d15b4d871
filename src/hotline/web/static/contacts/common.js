// Shared by the desktop and the wallboard: JSON calls with the CSRF token, and a resumable event stream.
(function () {
  "use strict";
  var csrf = function () { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; };
  function api(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw j; } return j; }); });
  }
  // Snapshot, then a WebSocket from its last_event_id; reconnect resumes from the last id seen. A snapshot
  // reflects every event up to its last_event_id: older events are skipped, and a snapshot older than the last
  // event applied is dropped (a slow refresh must never paint over newer state). Returns { refresh }.
  function stream(channel, snapshotUrl, onSnapshot, onEvent, onConn) {
    var last = -1, delay = 500, ws = null;
    function apply(s) { if (s.last_event_id >= last) { last = s.last_event_id; onSnapshot(s); } return s; }
    function snapshot() { return api("GET", snapshotUrl).then(apply); }
    function connect() {
      ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host +
        "/api/contacts/ws?channel=" + channel + "&last_event_id=" + Math.max(0, last));
      ws.onopen = function () { delay = 500; onConn(true); };
      ws.onmessage = function (m) {
        var ev = JSON.parse(m.data);
        if (ev.type === "resync") { last = -1; snapshot(); return; }
        if (ev.id) { if (ev.id <= last) { return; } last = ev.id; }
        onEvent(ev);
      };
      ws.onclose = function () { onConn(false); setTimeout(connect, delay); delay = Math.min(delay * 2, 5000); };
    }
    function start() { snapshot().then(connect, function () { setTimeout(start, 2000); }); }
    start();
    return { refresh: snapshot };
  }
  function fmt(s) { s = Math.max(0, Math.floor(s)); var m = Math.floor(s / 60); return m + ":" + ("0" + (s % 60)).slice(-2); }
  window.hotlineContacts = { api: api, stream: stream, fmt: fmt };
})();
