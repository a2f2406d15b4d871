// The agent desktop: state buttons, the offered contact, talk controls, ACW with wrap-up codes, live over WebSocket.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("desktop"); if (!root) { return; }
    var H = window.hotlineContacts, T = JSON.parse(root.getAttribute("data-t"));
    var $ = function (id) { return document.getElementById(id); };
    var S = { agent: null, contact: null, cfg: {} };
    // Knowledge panel: a new contact pre-fills the search with its business type; answers open beside the desk.
    var kbFor = null;
    function suggestKnowledge(c) {
      var q = $("kb-q");
      var kc = $("kb-contact");  // knowledge links and flow runs then carry the contact (empty: not sent)
      if (kc) { kc.value = c && c.id ? c.id : ""; kc.disabled = !kc.value; }
      if (!q || !window.htmx || !c || kbFor === c.id || !c.business_type_name) { return; }
      kbFor = c.id;
      if (!q.value || q.dataset.auto === "1") { q.value = c.business_type_name; q.dataset.auto = "1"; htmx.trigger("#kb-form", "submit"); }
    }
    document.addEventListener("input", function (e) { if (e.target.id === "kb-q") { e.target.dataset.auto = "0"; } });
    document.addEventListener("htmx:afterSwap", function (e) {
      if (e.target.id === "kb-desk-results") {
        e.target.querySelectorAll("a").forEach(function (a) { a.target = "_blank"; a.rel = "noopener"; });
      }
    });
    function tr(k) { return T[k] || k; }
    function fail(e) { var el = $("error"); el.textContent = (e && e.msg) || String(e); el.hidden = false; setTimeout(function () { el.hidden = true; }, 6000); }
    function opt(sel, items) { sel.innerHTML = ""; items.forEach(function (it) { var o = document.createElement("option"); o.value = it[0]; o.textContent = it[1]; sel.appendChild(o); }); }
    function addMsg(m) {
      if (document.querySelector('#messages [data-id="' + m.id + '"]')) { return; }
      var li = document.createElement("li"); li.className = "msg " + m.sender; li.setAttribute("data-id", m.id);
      var who = document.createElement("b"); who.textContent = tr(m.sender) + ": "; li.appendChild(who);
      li.appendChild(document.createTextNode(m.text)); $("messages").appendChild(li); li.scrollIntoView({ block: "nearest" });
    }
    var shownCustomer = null;
    function drawContact() {
      var c = S.contact, live = c && c.state !== "ended";
      $("contact").hidden = !live; $("no-contact").hidden = !!live;
      $("contact-id").textContent = live ? "#" + c.id : "";
      if (!live) { return; }
      $("c-channel").textContent = tr(c.channel); $("c-caller").textContent = c.caller;
      $("c-customer").textContent = c.customer_name + (c.segment === "vip" ? " · VIP" : "");
      $("c-btype").textContent = c.business_type_name || "—"; $("c-queue").textContent = c.queue;
      suggestKnowledge(c);
      $("c-ivr").textContent = (c.ivr_path || []).join(" → ") || "—";
      $("offer-actions").hidden = c.state !== "offered";
      $("talk-actions").hidden = !(c.state === "talking" || c.state === "hold");
      $("btn-hold").hidden = c.state !== "talking"; $("btn-unhold").hidden = c.state !== "hold";
      $("wrapup").hidden = c.state !== "acw";
      var k = (c.state === "talking" || c.state === "hold") ? c.consult : null;
      $("consult").hidden = !k; $("btn-transfer").disabled = $("btn-consult").disabled = !!k;
      if (k) {
        $("consult-state").textContent = tr(k.state) + (k.agent ? " · " + tr("consult_with") + " " + k.agent : "");
        $("btn-consult-complete").disabled = !(k.state === "talking" || k.state === "hold");
        $("btn-unhold").disabled = true;
      } else { $("btn-unhold").disabled = false; }
      if (c.customer_id && shownCustomer !== c.customer_id && window.htmx) {
        shownCustomer = c.customer_id; window.htmx.ajax("GET", "/customers/" + c.customer_id, { target: "#c360", swap: "innerHTML" });
      }
    }
    function drawState() {
      var a = S.agent; if (!a) { return; }
      $("state").textContent = tr(a.state) + (a.reason ? " · " + tr(a.reason) : "");
      $("state").className = "badge s-" + a.state;
      // The buttons follow the server's state machine (agent_actions): e.g. no "Ready" while talking.
      var may = (S.cfg.agent_actions || {})[a.state] || [];
      document.querySelectorAll("#desktop [data-state]").forEach(function (b) { b.disabled = may.indexOf(b.getAttribute("data-state")) < 0; });
      $("nr-reason").disabled = may.indexOf("not_ready") < 0;
      $("btn-login").hidden = a.state !== "logged_out";
      $("btn-logout").hidden = a.state === "logged_out";
    }
    function tickTimers() {
      var now = Date.now() / 1000, a = S.agent, c = S.contact, warn = "";
      if (a) { $("state-time").textContent = H.fmt(now - Date.parse(a.since) / 1000); }
      if (c && c.state !== "ended") {
        var t = "";
        if (c.state === "offered" && c.offer_expires_at) { $("offer-left").textContent = H.fmt(Date.parse(c.offer_expires_at) / 1000 - now); }
        if (c.state === "talking" || c.state === "hold") { t = H.fmt(now - Date.parse(c.answered_at) / 1000); }
        if (c.state === "hold" && c.hold_started_at) {
          var h = now - Date.parse(c.hold_started_at) / 1000; t += " · " + tr("hold") + " " + H.fmt(h);
          if (h > S.cfg.hold_max_s) { warn = tr("hold_warn") + " (" + H.fmt(S.cfg.hold_max_s) + ")"; }
        }
        if (c.state === "acw" && c.talk_end_at) {
          var w = now - Date.parse(c.talk_end_at) / 1000; t = tr("acw") + " " + H.fmt(w);
          if (w > S.cfg.acw_max_s) { warn = tr("acw_warn") + " (" + H.fmt(S.cfg.acw_max_s) + ")"; }
        }
        $("c-timer").textContent = t;
      }
      $("warn").hidden = !warn; $("warn").textContent = warn;
    }
    function snapshot(s) {
      S.agent = s.agent; S.contact = s.contact; S.cfg = s;
      opt($("nr-reason"), s.not_ready_reasons.map(function (r) { return [r, tr(r)]; }));
      opt($("wrap-code"), s.wrap_up_codes.map(function (w) { return [w.code, w.name]; }));
      opt($("transfer-target"), [["expert", tr("expert")], ["marketing", tr("marketing")]].concat(
        s.transfer_queues.map(function (q) { return [q.key, q.name]; }),
        s.transfer_agents.map(function (a) { return ["agent:" + a.id, tr("agent_prefix") + a.name + " · " + a.team + " · " + tr(a.state)]; })));
      $("messages").innerHTML = ""; ((s.contact && s.contact.messages) || []).forEach(addMsg);
      drawState(); drawContact();
    }
    function onEvent(ev) {
      if (ev.type === "desktop.state") { S.agent = ev.data; drawState(); }
      else if (ev.type === "desktop.contact") {
        if (!S.contact || S.contact.id !== ev.data.id) { $("messages").innerHTML = ""; }
        if (!S.contact || S.contact.id === ev.data.id || ev.data.state !== "ended") { S.contact = ev.data; }
        drawContact();
      } else if (ev.type === "desktop.message" && S.contact && ev.data.contact_id === S.contact.id) { addMsg(ev.data); }
      else if (ev.type === "desktop.offer_cancelled" && S.contact && S.contact.id === ev.data.contact_id) { S.contact = null; drawContact(); }
    }
    var live = H.stream("desktop", root.getAttribute("data-desktop"), snapshot, onEvent, function (ok) { $("conn").hidden = ok; });
    setInterval(tickTimers, 500);
    // After an action, redraw from a fresh snapshot too (the stream brings the same state; this covers a slow socket).
    function act(method, url, body) { return H.api(method, url, body).then(function (r) { live.refresh(); return r; }).catch(fail); }
    document.querySelectorAll("[data-state]").forEach(function (b) {
      b.addEventListener("click", function () { act("POST", "/api/contacts/agent/state", { state: b.getAttribute("data-state"), reason: $("nr-reason").value }); });
    });
    $("btn-accept").addEventListener("click", function () { act("POST", "/api/contacts/offers/" + S.contact.offer_id + "/accept"); });
    $("btn-reject").addEventListener("click", function () { act("POST", "/api/contacts/offers/" + S.contact.offer_id + "/reject"); });
    $("btn-hold").addEventListener("click", function () { act("POST", "/api/contacts/" + S.contact.id + "/hold", { on: true }); });
    $("btn-unhold").addEventListener("click", function () { act("POST", "/api/contacts/" + S.contact.id + "/hold", { on: false }); });
    $("btn-end").addEventListener("click", function () { act("POST", "/api/contacts/" + S.contact.id + "/end"); });
    $("btn-transfer").addEventListener("click", function () { act("POST", "/api/contacts/" + S.contact.id + "/transfer", { target: $("transfer-target").value }); });
    $("btn-consult").addEventListener("click", function () { act("POST", "/api/contacts/" + S.contact.id + "/consult", { target: $("transfer-target").value }); });
    $("btn-consult-complete").addEventListener("click", function () { act("POST", "/api/contacts/" + S.contact.id + "/consult/complete"); });
    $("btn-consult-cancel").addEventListener("click", function () { act("POST", "/api/contacts/" + S.contact.id + "/consult/cancel"); });
    $("wrapup").addEventListener("submit", function (e) {
      e.preventDefault();
      var wo = $("wrap-wo").value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      act("POST", "/api/contacts/" + S.contact.id + "/wrap-up", { code: $("wrap-code").value, work_orders: wo }).then(function () { $("wrap-wo").value = ""; });
    });
    $("say").addEventListener("submit", function (e) {
      e.preventDefault(); var t = $("say-text").value.trim(); if (!t || !S.contact) { return; }
      act("POST", "/api/contacts/" + S.contact.id + "/messages", { text: t }).then(function () { $("say-text").value = ""; });
    });
  });
})();
