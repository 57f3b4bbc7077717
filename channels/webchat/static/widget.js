/*
 * 稳经济政策助手 — web chat widget. Embed with one element and one script tag:
 *
 *   <div id="policybot-webchat" data-server="https://bot.example.gov.cn" data-as-of="2022-09-01"></div>
 *   <script src="/webchat/widget.js" defer></script>
 *
 * data-server: the Rasa server (its socket.io channel, bot/credentials.yml); data-as-of (optional): the
 * date answers are given for, sent in every message's metadata. The script loads widget.css and
 * vendor/socket.io.min.js from its own folder, so a page needs nothing else.
 *
 * Everything shown is built with DOM nodes and textContent, never innerHTML, so whatever the bot or the
 * user sends is shown as text. The session id is made here and kept, with the history, in localStorage,
 * so the conversation survives reloads and a closed tab; "新对话" starts a new one.
 */
(function () {
  "use strict";

  var SCRIPT = document.currentScript;
  var BASE = SCRIPT ? SCRIPT.src.replace(/[^/]*$/, "") : "/webchat/";
  var STORE_KEY = "policybot.webchat.v1";
  var MAX_KEPT = 200; // messages kept in the browser; older ones are dropped
  var PAIR_WAIT_MS = 400; // a text and its `custom` payload arrive back to back; render them together
  var REPLY_TIMEOUT_MS = 30000;

  // ---- storage -------------------------------------------------------------------------------------

  function newId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function load() {
    try {
      var state = JSON.parse(window.localStorage.getItem(STORE_KEY) || "null");
      if (state && typeof state.sessionId === "string" && Array.isArray(state.messages)) {
        // A reply that was on its way when the page closed is lost with the old connection.
        state.messages.forEach(function (m) { if (m.status === "awaiting") m.status = "noreply"; });
        return state;
      }
    } catch (e) { /* unreadable or blocked storage: start afresh */ }
    return { sessionId: newId(), messages: [], large: false, open: false, handoff: null };
  }

  function save(state) {
    state.messages = state.messages.slice(-MAX_KEPT);
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  // ID-card, bank-card and mobile numbers are masked in what the user sees and what is kept in the
  // browser, as the server masks them in what it stores.
  function maskPersonal(text) {
    return text
      .replace(/(^|\D)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)/g, "$1$2********$3")
      .replace(/(^|\D)(\d{4})\d{8,11}(\d{4})(?!\d)/g, "$1$2 **** **** $3")
      .replace(/(^|\D)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g, "$1$2****$3");
  }

  function chineseDate(iso) {
    var p = iso.split("-");
    return p[0] + "年" + Number(p[1]) + "月" + Number(p[2]) + "日";
  }

  // ---- DOM helpers ---------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else if (attrs[key] !== null && attrs[key] !== undefined) node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function safeUrl(url) {
    return /^https?:\/\/[^\s<>"']+$/i.test(url) ? url : null;
  }

  function link(text, url, className) {
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", className: className || "pbw-link",
                     text: text }, [el("span", { className: "pbw-sr", text: "（在新窗口打开）" })]);
  }

  // Inline Markdown subset: **bold**, [text](http…), and bare http(s) URLs. Everything else is text.
  function inline(text) {
    var out = document.createDocumentFragment();
    var pattern = /\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]+)/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) out.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1]) out.appendChild(el("strong", { text: match[1] }));
      else if (match[2] && safeUrl(match[3])) out.appendChild(link(match[2], match[3]));
      else if (match[4]) {
        var url = match[4].replace(/[.,;:!?)]+$/, "");
        out.appendChild(link(url, url));
        if (url.length < match[4].length) out.appendChild(document.createTextNode(match[4].slice(url.length)));
      } else out.appendChild(document.createTextNode(match[0]));
      last = pattern.lastIndex;
    }
    if (last < text.length) out.appendChild(document.createTextNode(text.slice(last)));
    return out;
  }

  // Block Markdown subset: paragraphs, "- " / "* " / "· " bullet lists, "1. " numbered lists.
  function markdown(text) {
    var out = document.createDocumentFragment();
    var list = null, listType = null;
    text.split("\n").forEach(function (line) {
      var bullet = /^\s*(?:[-*·•])\s+(.*)$/.exec(line);
      var numbered = /^\s*(\d{1,2})[.、]\s+(.*)$/.exec(line);
      var item = bullet ? bullet[1] : numbered ? numbered[2] : null;
      var type = bullet ? "ul" : numbered ? "ol" : null;
      if (item !== null) {
        if (!list || listType !== type) {
          list = el(type, { className: "pbw-list", start: numbered ? numbered[1] : null });
          listType = type;
          out.appendChild(list);
        }
        list.appendChild(el("li", {}, [inline(item)]));
        return;
      }
      list = null;
      if (line.trim()) out.appendChild(el("p", {}, [inline(line)]));
    });
    return out;
  }

  // ---- rendering bot payloads ------------------------------------------------------------------------

  var MARKS = { met: ["✓", "符合"], unmet: ["✗", "不符合"], unknown: ["?", "待确认"] };

  function badge(inForce) {
    return el("span", { className: "pbw-badge " + (inForce ? "pbw-badge-on" : "pbw-badge-off"),
                        text: inForce ? "执行中" : "已到期" });
  }

  function entryButtons(entries) {
    var links = (entries || []).filter(function (e) { return e && safeUrl(e.url || ""); }).map(function (e) {
      return link("办理入口：" + e.name, e.url, "pbw-entry");
    });
    return links.length ? el("div", { className: "pbw-entries" }, links) : null;
  }

  function footnote(sources) {
    var labels = (sources || []).map(function (s) { return s && s.label; }).filter(Boolean);
    return labels.length ? el("p", { className: "pbw-footnote", text: "依据：" + labels.join("；") }) : null;
  }

  // Lines of the text that the payload shows in its own form (citation, entry link, conditions).
  function shownByPayload(custom) {
    if (!custom) return function () { return false; };
    if (custom.measure) return function (line) { return /^(依据|办理入口)：/.test(line); };
    if (custom.eligibility) return function (line) { return /^([✓✗?] |办理入口：)/.test(line); };
    return function () { return false; };
  }

  function payloadParts(custom) {
    var parts = [];
    if (custom.measure) {
      parts.push(el("div", { className: "pbw-meta" }, [badge(!!custom.in_force)]));
      parts.push(entryButtons(custom.service_entries));
      parts.push(footnote(custom.sources));
    } else if (custom.eligibility) {
      var result = custom.eligibility;
      var conditions = (result.conditions || []).filter(function (c) { return c.id !== "applicant"; });
      if (conditions.length) {
        parts.push(el("ul", { className: "pbw-conditions", "aria-label": "逐项条件" }, conditions.map(function (c) {
          var mark = MARKS[c.status] || MARKS.unknown;
          return el("li", { className: "pbw-cond pbw-cond-" + (MARKS[c.status] ? c.status : "unknown") }, [
            el("span", { className: "pbw-mark", "aria-hidden": "true", text: mark[0] }),
            el("span", { className: "pbw-sr", text: mark[1] + "：" }),
            el("span", { text: c.text || "" }),
            c.source_label ? el("span", { className: "pbw-cond-source", text: "（" + c.source_label + "）" }) : null
          ]);
        })));
      }
      parts.push(el("div", { className: "pbw-meta" }, [badge(!!result.in_force)]));
      if (result.in_force && result.eligible !== false) parts.push(entryButtons((result.service_entries || []).slice(0, 1)));
    }
    return parts;
  }

  // ---- the widget ------------------------------------------------------------------------------------

  function Widget(root) {
    this.root = root;
    this.server = (root.getAttribute("data-server") || window.location.origin).replace(/\/+$/, "");
    this.asOf = /^\d{4}-\d{2}-\d{2}$/.test(root.getAttribute("data-as-of") || "") ? root.getAttribute("data-as-of") : null;
    this.state = load();
    this.pendingBot = null; // a bot text waiting briefly for its payload
    this.connected = false;
    this.everConnected = false;
    this.build();
    this.renderAll();
    this.setOpen(this.state.open, false);
    this.connect();
  }

  Widget.prototype.build = function () {
    var self = this;
    this.launcher = el("button", { type: "button", className: "pbw-launcher", "aria-expanded": "false",
                                   "aria-controls": "pbw-panel", text: "政策咨询" });
    this.title = el("h2", { className: "pbw-title", id: "pbw-title", text: "稳经济政策助手" });
    this.largeButton = el("button", { type: "button", className: "pbw-tool", "aria-pressed": "false", text: "大字模式" });
    this.resetButton = el("button", { type: "button", className: "pbw-tool", text: "新对话" });
    this.closeButton = el("button", { type: "button", className: "pbw-tool pbw-close", "aria-label": "关闭对话窗口",
                                      text: "×" });
    this.status = el("div", { className: "pbw-status", role: "status" });
    // 人工客服: shown while the conversation waits for, or is with, a human agent (payload "handoff").
    this.handoffText = el("span", { className: "pbw-handoff-text" });
    this.endHandoff = el("button", { type: "button", className: "pbw-tool pbw-handoff-end", text: "结束人工服务" });
    this.handoffBar = el("div", { className: "pbw-handoff", role: "status", hidden: "" },
                         [el("span", { className: "pbw-handoff-badge", text: "人工客服" }), this.handoffText, this.endHandoff]);
    this.log = el("div", { className: "pbw-log", role: "log", "aria-live": "polite", "aria-label": "对话记录",
                           tabindex: "0" });
    this.typing = el("div", { className: "pbw-typing", hidden: "" }, [
      el("span", { className: "pbw-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
      el("span", { text: "助手正在输入…" })
    ]);
    this.input = el("input", { type: "text", id: "pbw-input", className: "pbw-input", autocomplete: "off",
                               maxlength: "2000", placeholder: "请输入您的问题，例如：失业金怎么领" });
    var label = el("label", { for: "pbw-input", className: "pbw-sr", text: "输入您的问题" });
    var send = el("button", { type: "submit", className: "pbw-send", text: "发送" });
    this.form = el("form", { className: "pbw-form" }, [label, this.input, send]);
    var header = el("div", { className: "pbw-header" }, [
      el("div", { className: "pbw-heading" }, [this.title,
        this.asOf ? el("p", { className: "pbw-asof", text: "按" + chineseDate(this.asOf) + "的政策执行情况回答" }) : null]),
      el("div", { className: "pbw-tools" }, [this.largeButton, this.resetButton, this.closeButton])
    ]);
    this.panel = el("section", { id: "pbw-panel", className: "pbw-panel", role: "dialog", "aria-modal": "false",
                                 "aria-labelledby": "pbw-title", hidden: "" },
                    [header, this.status, this.handoffBar, this.log, this.typing, this.form]);
    this.root.classList.add("pbw-root");
    this.root.appendChild(this.launcher);
    this.root.appendChild(this.panel);

    this.launcher.addEventListener("click", function () { self.setOpen(true, true); });
    this.closeButton.addEventListener("click", function () { self.setOpen(false, true); });
    this.largeButton.addEventListener("click", function () { self.setLarge(!self.state.large); });
    this.resetButton.addEventListener("click", function () { self.reset(); });
    this.endHandoff.addEventListener("click", function () { self.send("结束人工服务", "结束人工服务"); });
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); self.setOpen(false, true); }
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (!text) return;
      self.input.value = "";
      self.send(text, text);
    });
    this.setLarge(!!this.state.large);
    this.setHandoff(this.state.handoff || null);
  };

  // The hand-off state from a bot message's payload: queued / taken (an agent's message means taken);
  // closed, none (no hand-off) and an answer of the bot's own end it.
  var HANDOFF_TEXT = { queued: "正在等待人工客服接入…", taken: "人工客服正在为您服务" };

  Widget.prototype.setHandoff = function (status) {
    this.state.handoff = HANDOFF_TEXT[status] ? status : null;
    this.handoffBar.hidden = !this.state.handoff;
    this.handoffText.textContent = this.state.handoff ? HANDOFF_TEXT[this.state.handoff] : "";
    this.root.classList.toggle("pbw-in-handoff", !!this.state.handoff);
    this.title.textContent = this.state.handoff === "taken" ? "人工客服" : "稳经济政策助手";
    save(this.state);
  };

  Widget.prototype.noteHandoff = function (message) {
    var handoff = message.custom && message.custom.handoff;
    if (handoff && typeof handoff.status === "string") {
      if (handoff.status === "agent") message.from = "agent";
      if (handoff.status !== "in_check") this.setHandoff(handoff.status === "agent" ? "taken" : handoff.status);
    } else if (message.custom && this.state.handoff) {
      this.setHandoff(null); // the bot answers again
    }
  };

  Widget.prototype.setOpen = function (open, moveFocus) {
    this.state.open = open;
    save(this.state);
    this.panel.hidden = !open;
    this.launcher.hidden = open;
    this.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    this.root.classList.toggle("pbw-is-open", open);
    if (open) {
      this.scrollDown();
      if (moveFocus) this.input.focus();
    } else if (moveFocus) {
      this.launcher.focus();
    }
  };

  Widget.prototype.setLarge = function (large) {
    this.state.large = large;
    save(this.state);
    this.root.classList.toggle("pbw-large", large);
    this.largeButton.setAttribute("aria-pressed", large ? "true" : "false");
  };

  Widget.prototype.setStatus = function (text) {
    this.status.textContent = text || "";
    this.status.hidden = !text;
  };

  Widget.prototype.scrollDown = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  // ---- history ---------------------------------------------------------------------------------------

  Widget.prototype.welcome = function () {
    return { id: newId(), from: "bot", local: true,
             text: "您好！我是包头市人社局稳经济政策助手，可以为您解答包人社办发〔2022〕78号中19项就业和社保政策，" +
                   "帮您初步判断能否申请，并告诉您在哪里办理。",
             buttons: [{ title: "失业金怎么领", payload: "失业金怎么领" },
                       { title: "稳岗返还的条件", payload: "稳岗返还的条件" },
                       { title: "政策体检", payload: "政策体检" }] };
  };

  Widget.prototype.renderAll = function () {
    var self = this;
    if (!this.state.messages.length) this.state.messages.push(this.welcome());
    this.log.textContent = "";
    // Rendering the kept history should not be read out again as if it were new.
    this.log.setAttribute("aria-live", "off");
    this.state.messages.forEach(function (m) { self.log.appendChild(self.render(m)); });
    window.setTimeout(function () { self.log.setAttribute("aria-live", "polite"); }, 0);
    save(this.state);
  };

  Widget.prototype.add = function (message) {
    if (message.from === "bot") this.noteHandoff(message);
    this.state.messages.push(message);
    save(this.state);
    var node = this.render(message);
    this.log.appendChild(node);
    this.scrollDown();
    return node;
  };

  Widget.prototype.render = function (m) {
    var self = this;
    var bubble = el("div", { className: "pbw-bubble" });
    var wrap = el("div", { className: "pbw-msg pbw-" + m.from, "data-id": m.id }, [
      el("span", { className: "pbw-sr", text: m.from === "user" ? "您说：" : m.from === "agent" ? "人工客服说：" : "助手说：" }),
      bubble]);
    if (m.from === "agent") bubble.appendChild(el("p", { className: "pbw-agent-label", text: "人工客服" }));
    if (m.from === "user") {
      bubble.appendChild(el("p", { text: m.text }));
      if (m.status === "pending") {
        wrap.appendChild(el("p", { className: "pbw-note", text: "未发送：连接恢复后将自动发送" }));
      } else if (m.status === "noreply") {
        var retry = el("button", { type: "button", className: "pbw-retry", text: "重新发送" });
        retry.addEventListener("click", function () { self.send(m.text, m.payload || m.text); });
        wrap.appendChild(el("p", { className: "pbw-note" }, [document.createTextNode("暂未收到回复。"), retry]));
      }
      return wrap;
    }
    var hide = shownByPayload(m.custom);
    var lines = (m.text || "").split("\n").filter(function (line) { return !hide(line); });
    // An eligibility result reads: verdict, the conditions one by one, then the notes.
    var head = m.custom && m.custom.eligibility ? lines.slice(0, 1) : lines;
    var tail = m.custom && m.custom.eligibility ? lines.slice(1) : [];
    if (head.join("").trim()) bubble.appendChild(markdown(head.join("\n")));
    if (m.custom) payloadParts(m.custom).forEach(function (part) { if (part) bubble.appendChild(part); });
    if (tail.join("").trim()) bubble.appendChild(markdown(tail.join("\n")));
    if (m.buttons && m.buttons.length) {
      var group = el("div", { className: "pbw-replies", role: "group", "aria-label": "可选回复" });
      m.buttons.forEach(function (b) {
        var button = el("button", { type: "button", className: "pbw-reply" + (m.chosen === b.title ? " pbw-chosen" : ""),
                                    text: b.title });
        button.addEventListener("click", function () {
          m.chosen = b.title;
          Array.prototype.forEach.call(group.children, function (c) { c.classList.remove("pbw-chosen"); });
          button.classList.add("pbw-chosen");
          self.send(b.title, b.payload);
          self.input.focus();
        });
        group.appendChild(button);
      });
      bubble.appendChild(group);
    }
    return wrap;
  };

  Widget.prototype.replaceNode = function (m) {
    var old = this.log.querySelector('[data-id="' + m.id + '"]');
    if (old) old.parentNode.replaceChild(this.render(m), old);
  };

  Widget.prototype.reset = function () {
    this.flushBot();
    this.state = { sessionId: newId(), messages: [], large: this.state.large, open: true, handoff: null };
    this.renderAll();
    this.setHandoff(null);
    this.setTyping(false);
    this.input.focus();
    if (this.socket) { this.socket.disconnect(); this.socket.connect(); }
  };

  // ---- talking to the server -------------------------------------------------------------------------

  Widget.prototype.connect = function () {
    var self = this;
    this.setStatus("正在连接…");
    loadScript(BASE + "vendor/socket.io.min.js", function (ok) {
      if (!ok || !window.io) { self.setStatus("聊天服务暂时无法使用，请稍后再试或拨打12333。"); return; }
      var socket = window.io(self.server, { path: "/socket.io", reconnectionDelay: 1000, reconnectionDelayMax: 5000,
                                            timeout: 10000 });
      self.socket = socket;
      socket.on("connect", function () {
        socket.emit("session_request", { session_id: self.state.sessionId });
      });
      socket.on("session_confirm", function () {
        self.connected = true;
        self.everConnected = true;
        self.setStatus("");
        self.sendPending();
      });
      socket.on("disconnect", function () { self.offline(); });
      socket.on("connect_error", function () { self.offline(); });
      socket.on("bot_uttered", function (data) { self.received(data); });
    });
  };

  Widget.prototype.offline = function () {
    this.connected = false;
    this.setTyping(false);
    this.setStatus(this.everConnected ? "正在重新连接…（网络或服务中断，恢复后可继续对话）" : "正在连接…");
    // A message sent but not yet answered may have been lost with the connection.
    var self = this;
    this.state.messages.forEach(function (m) {
      if (m.from === "user" && m.status === "awaiting") { m.status = "noreply"; self.replaceNode(m); }
    });
    save(this.state);
  };

  Widget.prototype.send = function (shown, payload) {
    var message = { id: newId(), from: "user", text: maskPersonal(shown), payload: payload === shown ? undefined : payload,
                    status: this.connected ? "awaiting" : "pending" };
    this.add(message);
    if (this.connected) this.emit(message, payload);
  };

  Widget.prototype.emit = function (message, payload) {
    var data = { message: payload, session_id: this.state.sessionId };
    if (this.asOf) data.metadata = { as_of: this.asOf };
    this.socket.emit("user_uttered", data);
    // With a human, no answer is due at once (the bot is paused): the message is simply sent.
    message.status = this.state.handoff ? "sent" : "awaiting";
    save(this.state);
    if (!this.state.handoff) this.setTyping(true);
  };

  Widget.prototype.sendPending = function () {
    var self = this;
    this.state.messages.forEach(function (m) {
      if (m.from === "user" && m.status === "pending") {
        self.emit(m, m.payload || m.text);
        self.replaceNode(m);
      }
    });
  };

  Widget.prototype.setTyping = function (on) {
    var self = this;
    window.clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) {
      this.scrollDown();
      this.typingTimer = window.setTimeout(function () { self.offlineReplyTimeout(); }, REPLY_TIMEOUT_MS);
    }
  };

  Widget.prototype.offlineReplyTimeout = function () {
    var self = this;
    this.typing.hidden = true;
    this.state.messages.forEach(function (m) {
      if (m.from === "user" && m.status === "awaiting") { m.status = "noreply"; self.replaceNode(m); }
    });
    save(this.state);
  };

  Widget.prototype.received = function (data) {
    if (!data || typeof data !== "object") return;
    var self = this, users = this.state.messages.filter(function (m) { return m.from === "user"; });
    users.forEach(function (m) { if (m.status === "awaiting") m.status = "sent"; });
    var latest = users[users.length - 1];
    if (latest && latest.status === "noreply") { latest.status = "sent"; this.replaceNode(latest); } // a slow reply
    this.setTyping(false);
    var custom = data.custom && typeof data.custom === "object" ? data.custom : null;
    if (custom && this.pendingBot && !this.pendingBot.custom) {
      this.pendingBot.custom = custom;
      this.flushBot();
      return;
    }
    this.flushBot();
    var message = { id: newId(), from: "bot",
                    text: typeof data.text === "string" ? data.text : "",
                    buttons: (data.quick_replies || data.buttons || []).filter(function (b) {
                      return b && typeof b.title === "string" && typeof b.payload === "string";
                    }).map(function (b) { return { title: b.title, payload: b.payload }; }),
                    custom: custom };
    if (!message.text && !message.buttons.length && !payloadParts(custom || {}).length) return; // nothing to show
    if (custom) { this.add(message); return; }
    this.pendingBot = message;
    this.pairTimer = window.setTimeout(function () { self.flushBot(); }, PAIR_WAIT_MS);
  };

  Widget.prototype.flushBot = function () {
    window.clearTimeout(this.pairTimer);
    if (this.pendingBot) {
      var message = this.pendingBot;
      this.pendingBot = null;
      this.add(message);
    }
  };

  function loadScript(src, done) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = function () { done(true); };
    script.onerror = function () { done(false); };
    document.head.appendChild(script);
  }

  function loadStyle(href) {
    var style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = href;
    document.head.appendChild(style);
  }

  function start() {
    var root = document.getElementById("policybot-webchat");
    if (!root || root.getAttribute("data-started")) return;
    root.setAttribute("data-started", "true");
    loadStyle(BASE + "widget.css");
    window.policybotWebchat = new Widget(root);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
