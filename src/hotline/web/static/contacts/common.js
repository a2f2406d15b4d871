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
  // Snapshot, then a WebSocket from its last_event_id; reconnect resumes from the last id seen.
  function stream(channel, snapshotUrl, onSnapshot, onEvent, onConn) {
    var last = 0, delay = 500;
    function snapshot() { return api("GET", snapshotUrl).then(function (s) { last = s.last_event_id; onSnapshot(s); }); }
    function connect() {
      var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host +
        "/api/contacts/ws?channel=" + channel + "&last_event_id=" + last);
      ws.onopen = function () { delay = 500; onConn(true); };
      ws.onmessage = function (m) {
        var ev = JSON.parse(m.data);
        if (ev.type === "resync") { snapshot(); return; }
        if (ev.id) { last = Math.max(last, ev.id); }
        onEvent(ev);
      };
      ws.onclose = function () { onConn(false); setTimeout(connect, delay); delay = Math.min(delay * 2, 5000); };
    }
    snapshot().then(connect, function () { setTimeout(function () { stream(channel, snapshotUrl, onSnapshot, onEvent, onConn); }, 2000); });
  }
  function fmt(s) { s = Math.max(0, Math.floor(s)); var m = Math.floor(s / 60); return m + ":" + ("0" + (s % 60)).slice(-2); }
  window.hotlineContacts = { api: api, stream: stream, fmt: fmt };
})();
