"use strict";
// The 人工接待 page: the live queue of conversations handed off by the bot, one conversation's transcript
// and the facts the bot collected, taking it, replying, and handing it back. Server text goes in with
// textContent only. Polling keeps the page current and tells the server this agent is online.
(function () {
  const $ = (id) => document.getElementById(id);
  const QUEUE_MS = 2000;
  const CONVERSATION_MS = 1500;
  const state = { csrf: "", selected: null, detail: null, lastLines: -1 };
  const WHO = { citizen: "市民", bot: "智能助手", agent: "人工客服", system: "" };
  const STATE = { queued: "等待接入", taken: "人工服务中", closed: "已结束" };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function show(id, text) { $(id).textContent = text || ""; $(id).hidden = !text; }

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET") options.headers["X-CSRF-Token"] = state.csrf;
    const response = await fetch(path, options);
    if (response.status === 401) {
      window.location.assign("/login");
      throw new Error("请先登录。");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || "请求失败，请重试。");
    return data;
  }

  function waited(seconds) {
    if (seconds < 60) return `${seconds}秒`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}分钟`;
    return `${Math.floor(seconds / 3600)}小时${Math.floor((seconds % 3600) / 60)}分钟`;
  }

  // ---- the queue --------------------------------------------------------------------------------

  async function refreshQueue() {
    let data;
    try {
      data = await api("GET", "/api/handoffs");
      show("queue-error", "");
    } catch (e) {
      show("queue-error", e.message);
      return;
    }
    const hours = data.hours ? `服务时间：${data.hours}${data.in_hours ? "" : "（当前不在服务时间）"}` : "服务时间：不限";
    $("queue-status").textContent = `等待接入 ${data.queued} 个 · 人工服务中 ${data.taken} 个 · 在线坐席 ${data.agents_online} 人 · ${hours}`;
    badge(data.queued);
    const list = $("queue");
    clear(list);
    $("queue-empty").hidden = data.handoffs.length > 0;
    for (const h of data.handoffs) {
      const button = el("button", "queue-item" + (h.id === state.selected ? " selected" : ""));
      button.type = "button";
      button.dataset.id = String(h.id);
      button.appendChild(el("span", "state " + h.status, STATE[h.status] || h.status));
      button.appendChild(el("span", "channel", `${h.channel_name}对话 #${h.id}`));
      if (h.reason === "offered") button.appendChild(el("span", "badge", "助手未能解答"));
      const who = h.status === "taken" ? ` · ${h.mine ? "由我接待" : `由${h.taken_by}接待`}` : "";
      button.appendChild(el("span", "when", `已等待 ${waited(h.waiting_seconds)}${who}`));
      button.addEventListener("click", () => select(h.id));
      list.appendChild(el("li")).appendChild(button);
    }
  }

  function badge(count) {
    const link = document.querySelector('#nav a[href="/handoff"]');
    if (!link) return;
    let mark = link.querySelector(".queue-badge");
    if (!mark) { mark = el("span", "queue-badge"); link.appendChild(mark); }
    mark.textContent = String(count);
    mark.hidden = !count;
    mark.setAttribute("aria-label", `${count}个对话等待接入`);
  }

  // ---- one conversation ------------------------------------------------------------------------

  function select(id) {
    state.selected = id;
    state.lastLines = -1;
    show("conversation-error", "");
    Array.prototype.forEach.call(document.querySelectorAll(".queue-item"), (b) => {
      b.classList.toggle("selected", b.dataset.id === String(id));
    });
    refreshConversation();
  }

  async function refreshConversation() {
    if (state.selected === null) return;
    const id = state.selected;
    let data;
    try {
      data = await api("GET", `/api/handoffs/${id}`);
    } catch (e) {
      show("conversation-error", e.message);
      return;
    }
    if (id !== state.selected) return;
    state.detail = data;
    const h = data.handoff;
    $("conversation-title").textContent = `${h.channel_name}对话 #${h.id}`;
    const by = h.status === "taken" ? `（${h.mine ? "由我接待" : `由${h.taken_by}接待`}）` : "";
    $("conversation-state").textContent = (STATE[h.status] || h.status) + by + (data.warning ? ` · ${data.warning}` : "");
    $("take").hidden = h.status !== "queued";
    $("close").hidden = h.status === "closed" || (h.status === "taken" && !h.mine);
    $("reply-form").hidden = !(h.status === "taken" && h.mine);
    if (data.warning) return;
    if (data.transcript.length !== state.lastLines) {
      const list = $("transcript");
      clear(list);
      for (const line of data.transcript) {
        const item = el("li", "line " + line.from);
        if (WHO[line.from]) item.appendChild(el("span", "who", WHO[line.from]));
        item.appendChild(el("span", "text", line.text));
        list.appendChild(item);
      }
      list.scrollTop = list.scrollHeight;
      state.lastLines = data.transcript.length;
    }
    const facts = $("facts");
    clear(facts);
    for (const f of data.facts) {
      facts.appendChild(el("dt", null, f.label));
      facts.appendChild(el("dd", null, f.value));
    }
    $("facts-empty").hidden = data.facts.length > 0;
  }

  async function act(path, body) {
    show("conversation-error", "");
    try {
      await api("POST", `/api/handoffs/${state.selected}/${path}`, body);
    } catch (e) {
      show("conversation-error", e.message);
      return false;
    }
    await Promise.all([refreshConversation(), refreshQueue()]);
    return true;
  }

  async function send(event) {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) return;
    if (await act("reply", { text })) {
      $("reply-text").value = "";
      $("sent").textContent = "已发送";
      setTimeout(() => { $("sent").textContent = ""; }, 2000);
      $("reply-text").focus();
    }
  }

  async function start() {
    const session = await api("GET", "/api/session");
    state.csrf = session.csrf;
    $("user").textContent = `${session.name}（${{ agent: "坐席", reviewer: "审核", admin: "管理员" }[session.role] || session.role}）`;
    for (const item of session.nav) {
      const link = el("a", null, item.label);
      link.href = item.href;
      if (item.href === window.location.pathname) link.setAttribute("aria-current", "page");
      $("nav").appendChild(link);
    }
    $("logout").addEventListener("click", async () => {
      await api("POST", "/api/logout").catch(() => null);
      window.location.assign("/login");
    });
    $("take").addEventListener("click", async () => { if (await act("take")) $("reply-text").focus(); });
    $("close").addEventListener("click", () => act("close"));
    $("reply-form").addEventListener("submit", send);
    $("reply-text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.ctrlKey) send(e);
    });
    await refreshQueue();
    setInterval(refreshQueue, QUEUE_MS);
    setInterval(refreshConversation, CONVERSATION_MS);
  }

  start().catch((e) => show("queue-error", e.message));
})();
