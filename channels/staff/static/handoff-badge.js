"use strict";
// On the panel's other pages: how many citizens wait for a human, next to the 人工接待 link. Polling it
// also keeps an agent who is busy in the assist panel counted as online. Quiet for roles that do not
// answer citizens (the server answers 403 and the polling stops).
(function () {
  const EVERY_MS = 5000;
  let timer = null;

  async function poll() {
    let data;
    try {
      const response = await fetch("/api/handoffs/status", { credentials: "same-origin" });
      if (response.status === 401 || response.status === 403) { clearInterval(timer); return; }
      if (!response.ok) return;
      data = await response.json();
    } catch (e) {
      return; // the server is restarting: try again on the next round
    }
    const link = document.querySelector('#nav a[href="/handoff"]');
    if (!link) return;
    let mark = link.querySelector(".queue-badge");
    if (!mark) {
      mark = document.createElement("span");
      mark.className = "queue-badge";
      link.appendChild(mark);
    }
    mark.textContent = String(data.queued);
    mark.hidden = !data.queued;
    mark.setAttribute("aria-label", `${data.queued}个对话等待接入`);
  }

  poll();
  timer = setInterval(poll, EVERY_MS);
})();
