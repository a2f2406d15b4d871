// The caller's side (softphone and web chat): dial, hear the IVR as text, press keys, wait, talk by text.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("caller"); if (!root) { return; }
    var T = JSON.parse(root.getAttribute("data-t")), channel = root.getAttribute("data-channel");
    var $ = function (id) { return document.getElementById(id); };
    var call = null, after = 0, timer = null, state = "";
    function post(url, body) {
      return fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-Caller-Token": call ? call.token : "" },
        body: JSON.stringify(body || {}) }).then(function (r) { return r.json(); });
    }
    function log(who, text) {
      var li = document.createElement("li"); li.className = "msg " + who;
      var b = document.createElement("b"); b.textContent = (T[who] || who) + ": "; li.appendChild(b);
      li.appendChild(document.createTextNode(text)); $("log").appendChild(li); li.scrollIntoView({ block: "nearest" });
    }
    function setState(s) {
      state = s; $("status").textContent = T[s] || s; $("status").setAttribute("data-state", s);
      $("keypad").hidden = s !== "ivr"; $("talk").hidden = !(s === "talking" || s === "hold");
      $("btn-hangup").hidden = s === "ended" || !call;
      if (s === "ended" && timer) { clearInterval(timer); timer = null; }
    }
    function poll() {
      fetch("/api/contacts/calls/" + call.contact_id + "?after=" + after, { cache: "no-store", headers: { "X-Caller-Token": call.token } })
        .then(function (r) { return r.json(); }).then(function (s) {
          if (!s.state) { return; }
          s.messages.forEach(function (m) { after = Math.max(after, m.id); if (m.sender !== "customer") { log(m.sender, m.text); } });
          if (s.state !== state && !(state === "ivr" && s.state === "ivr")) { setState(s.state); }
        });
    }
    $("dial").addEventListener("submit", function (e) {
      e.preventDefault();
      post("/api/contacts/calls", { channel: channel, number: $("number").value.trim() }).then(function (r) {
        if (!r.token) { $("status").textContent = r.msg || "error"; return; }
        call = r; $("dial").hidden = true; log("system", r.say); setState("ivr");
        timer = setInterval(poll, 1000);
      });
    });
    $("keypad").addEventListener("click", function (e) {
      var b = e.target.closest("[data-key]"); if (!b || !call) { return; }
      log("customer", b.getAttribute("data-key"));
      post("/api/contacts/calls/" + call.contact_id + "/key", { key: b.getAttribute("data-key") }).then(function (r) {
        if (r.say) { log("system", r.say); } if (r.state) { setState(r.state); } poll();
      });
    });
    $("talk").addEventListener("submit", function (e) {
      e.preventDefault(); var t = $("talk-text").value.trim(); if (!t) { return; }
      post("/api/contacts/calls/" + call.contact_id + "/messages", { text: t }).then(function (r) { if (r.id) { log("customer", t); $("talk-text").value = ""; } });
    });
    $("btn-hangup").addEventListener("click", function () {
      post("/api/contacts/calls/" + call.contact_id + "/hangup").then(function () { setState("ended"); });
    });
  });
})();
