"use strict";
(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("text");

  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text; // never innerHTML: what people type is shown as text
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function buttons(items, cls) {
    const row = document.createElement("div");
    row.className = cls;
    items.forEach(function (item) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = item.label;
      b.addEventListener("click", function () { send({ payload: item.payload }, item.label); });
      row.appendChild(b);
    });
    log.appendChild(row);
  }

  function show(reply) {
    if (reply.text) bubble(reply.text, "bot"); // a flood gets one "slow down", then silence
    if (reply.options && reply.options.length) buttons(reply.options, "options");
    if (reply.feedback) {
      const row = document.createElement("div");
      row.className = "feedback";
      const label = document.createElement("span");
      label.textContent = reply.feedback;
      row.appendChild(label);
      [["👍", "f:1"], ["👎", "f:0"]].forEach(function (pair) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = pair[0];
        b.addEventListener("click", function () { send({ payload: pair[1] }, pair[0]); });
        row.appendChild(b);
      });
      log.appendChild(row);
    }
    log.scrollTop = log.scrollHeight;
  }

  async function send(body, shown) {
    if (shown) bubble(shown, "me");
    try {
      const res = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
      const data = await res.json();
      if (data.reply) show(data.reply); else bubble(data.error || "Lỗi, xin thử lại.", "bot");
    } catch (e) {
      bubble("Mất kết nối. Bạn hãy thử lại.", "bot");
    }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text: text }, text);
  });
  document.querySelectorAll("[data-send]").forEach(function (b) {
    b.addEventListener("click", function () { send({ text: b.dataset.send }, b.textContent); });
  });
  send({ text: "/start" });

  // Officials' replies to a request for a person arrive here (GET /api/chat/updates, bot/admin).
  async function pollUpdates() {
    if (document.hidden) return;
    try {
      const res = await fetch("/api/chat/updates", { credentials: "same-origin" });
      const data = await res.json();
      (data.messages || []).forEach(function (m) { bubble(m.text, "bot official"); });
    } catch (e) { /* offline: try again on the next tick */ }
  }
  pollUpdates();
  setInterval(pollUpdates, 20000);
  document.addEventListener("visibilitychange", pollUpdates);
})();
