"use strict";
// The assist panel. Every text from the server is put in the page with textContent (never as HTML).
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { csrf: "", measure: null, aspect: "overview", facts: {}, view: null, aspects: [], seq: 0, lastText: "" };
  const STATUS = {
    eligible: ["符合条件", "ok"], not_eligible: ["不符合条件", "bad"], undetermined: ["尚待确定", "unknown"],
    ended: ["已执行期满", "bad"], not_started: ["尚未开始执行", "bad"],
  };
  const MARK = { met: "✓", unmet: "✗", unknown: "？" };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function showError(text) {
    $("assist-error").textContent = text || "";
    $("assist-error").hidden = !text;
  }

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

  function asOf() {
    return $("as-of").value || null;
  }

  // ---- recognition ------------------------------------------------------------------------------

  async function analyse() {
    const text = $("caller-text").value.trim();
    // The same sentence again (typing pause, then Ctrl+Enter) would only undo the agent's clicks since.
    if (!text || text === state.lastText) return;
    state.lastText = text;
    const seq = ++state.seq;
    showError("");
    try {
      const data = await api("POST", "/api/assist", {
        text, as_of: asOf(), context_measure: state.measure, context_aspect: state.aspect,
      });
      if (seq !== state.seq) return; // a newer sentence was sent meanwhile
      $("timing").textContent = `用时 ${Math.round(data.timing_ms.total)} 毫秒`;
      $("notice").textContent = data.notice || "";
      $("notice").hidden = !data.notice;
      renderCandidates(data.candidates, data.selected);
      state.facts = Object.assign({}, data.facts);
      if (data.view) {
        state.aspect = data.aspect;
        showMeasure(data.view);
      }
    } catch (e) {
      state.lastText = "";
      showError(e.message);
    }
  }

  function renderCandidates(candidates, selected) {
    const list = $("candidates");
    clear(list);
    for (const c of candidates) {
      const item = el("li");
      const button = el("button", "candidate" + (c.measure === selected ? " selected" : ""));
      button.type = "button";
      button.dataset.measure = c.measure;
      button.appendChild(el("span", "name", `${c.number}. ${c.name}`));
      button.appendChild(el("span", "confidence", `置信度 ${Math.round(c.confidence * 100)}%`));
      if (c.named) button.appendChild(el("span", "badge", "原话提及"));
      button.addEventListener("click", () => selectMeasure(c.measure));
      item.appendChild(button);
      list.appendChild(item);
    }
    if (!candidates.length) list.appendChild(el("li", "muted", "未识别到具体政策，可直接选择或搜索。"));
  }

  async function selectMeasure(measure, aspect) {
    showError("");
    try {
      const view = await api("POST", "/api/measure", { measure, facts: state.facts, as_of: asOf() });
      if (aspect) state.aspect = aspect;
      showMeasure(view);
      for (const b of document.querySelectorAll(".candidate")) {
        b.classList.toggle("selected", b.dataset.measure === measure);
      }
    } catch (e) {
      showError(e.message);
    }
  }

  // ---- answers ----------------------------------------------------------------------------------

  function showMeasure(view) {
    state.view = view;
    state.measure = view.measure;
    $("measure-title").textContent = `${view.number}. ${view.name}`;
    $("measure-select").value = view.measure;
    renderTabs();
    renderAnswer();
    renderCheck(view.check);
  }

  function renderTabs() {
    const tabs = $("tabs");
    clear(tabs);
    state.aspects.forEach((a, i) => {
      const tab = el("button", "tab", a.label);
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.dataset.aspect = a.aspect;
      tab.title = `Alt+${i + 1}`;
      tab.setAttribute("aria-selected", String(a.aspect === state.aspect));
      tab.addEventListener("click", () => switchAspect(a.aspect));
      tabs.appendChild(tab);
    });
  }

  function switchAspect(aspect) {
    if (!state.view) return;
    state.aspect = aspect;
    for (const tab of document.querySelectorAll(".tab")) {
      tab.setAttribute("aria-selected", String(tab.dataset.aspect === aspect));
    }
    renderAnswer();
  }

  function renderAnswer() {
    const box = $("answer");
    clear(box);
    const reply = state.view && state.view.answers[state.aspect];
    if (!reply) return;
    box.appendChild(el("h3", "heading", reply.heading));
    for (const s of reply.statements) {
      const p = el("p", "statement " + s.kind, s.text);
      if (s.sources.length) p.appendChild(el("span", "source", "（" + s.sources.map((x) => x.label).join("；") + "）"));
      box.appendChild(p);
    }
    box.appendChild(el("p", "citation", reply.citation));
    box.appendChild(el("p", "validity " + (reply.in_force ? "in-force" : "ended"), reply.validity));
    if (reply.entry) box.appendChild(el("p", "entry-line", reply.entry));
  }

  // ---- checklist --------------------------------------------------------------------------------

  function control(field) {
    const id = "fact-" + field.key;
    const value = state.facts[field.key];
    let input;
    if (field.type === "bool" || field.type === "enum") {
      input = el("select");
      input.appendChild(new Option("（未知）", ""));
      const options = field.type === "bool" ? [["true", "是"], ["false", "否"]] : field.values.map((v) => [v.code, v.label]);
      for (const [code, label] of options) input.appendChild(new Option(label, code));
      input.value = value === undefined || value === null ? "" : String(value);
    } else {
      input = el("input");
      input.type = "number";
      input.step = field.type === "int" ? "1" : "any";
      if (field.min !== null && field.min !== undefined) input.min = String(field.min);
      input.value = value === undefined || value === null ? "" : String(value);
    }
    input.id = id;
    input.dataset.key = field.key;
    input.dataset.type = field.type;
    const row = el("div", "fact" + (value === undefined ? "" : " known"));
    const label = el("label", null, field.question);
    label.htmlFor = id;
    row.appendChild(label);
    const line = el("div", "fact-input");
    line.appendChild(input);
    if (field.unit) line.appendChild(el("span", "unit", field.unit));
    row.appendChild(line);
    return row;
  }

  function readControl(input) {
    const raw = input.value;
    if (raw === "") return null;
    if (input.dataset.type === "bool") return raw === "true";
    if (input.dataset.type === "int" || input.dataset.type === "number") return Number(raw);
    return raw;
  }

  function renderCheck(check) {
    const result = check.result;
    const form = $("checklist");
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
    clear(form);
    for (const field of check.fields) form.appendChild(control(field));
    if (focused && $("fact-" + focused)) $("fact-" + focused).focus();

    const verdict = $("verdict");
    clear(verdict);
    const [label, tone] = STATUS[result.status] || [result.status, "unknown"];
    verdict.appendChild(el("span", "status " + tone, label));
    verdict.dataset.status = result.status;
    const amount = result.amount_yuan !== null && result.amount_yuan !== undefined
      ? `金额：${result.amount_yuan.toLocaleString("zh-CN")}元` : "";
    verdict.appendChild(el("span", "amount", amount));
    verdict.appendChild(el("p", "summary", result.summary));

    const list = $("conditions");
    clear(list);
    for (const c of result.conditions) {
      const item = el("li", "condition " + c.status);
      item.appendChild(el("span", "mark", MARK[c.status] || "？"));
      item.appendChild(el("span", "text", c.text));
      item.appendChild(el("span", "source", c.source_label));
      list.appendChild(item);
    }

    const entry = $("entry");
    clear(entry);
    if (check.entry) {
      entry.appendChild(el("span", null, check.entry.name + " "));
      if (check.entry.url) {
        const link = el("a", null, check.entry.url);
        link.href = check.entry.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        entry.appendChild(link);
      }
    }
    $("sms").value = check.sms.text;
    $("sms-count").textContent = `${check.sms.length} 字，${check.sms.parts} 条短信`;
  }

  async function recheck(event) {
    const input = event.target;
    if (!input.dataset || !input.dataset.key || !state.measure) return;
    const value = readControl(input);
    if (value === null) delete state.facts[input.dataset.key];
    else state.facts[input.dataset.key] = value;
    const seq = ++state.seq;
    try {
      const check = await api("POST", "/api/check", { measure: state.measure, facts: state.facts, as_of: asOf() });
      if (seq !== state.seq) return;
      showError("");
      renderCheck(check);
    } catch (e) {
      showError(e.message);
    }
  }

  // ---- SMS, search, shortcuts --------------------------------------------------------------------

  async function copySms() {
    const text = $("sms").value;
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      $("sms").select();
      document.execCommand("copy");
    }
    $("copied").hidden = false;
    setTimeout(() => { $("copied").hidden = true; }, 2000);
  }

  async function search(event) {
    event.preventDefault();
    const q = $("search-input").value.trim();
    const list = $("search-results");
    clear(list);
    if (!q) return;
    try {
      const data = await api("GET", "/api/search?q=" + encodeURIComponent(q));
      for (const r of data.results) {
        const item = el("li");
        const button = el("button", "search-hit");
        button.type = "button";
        button.appendChild(el("span", "name", `${r.number}. ${r.name}·${r.aspect_label}`));
        button.appendChild(el("span", "snippet", r.snippet));
        button.addEventListener("click", () => selectMeasure(r.measure, r.aspect));
        item.appendChild(button);
        list.appendChild(item);
      }
      if (!data.results.length) list.appendChild(el("li", "muted", "没有找到相关内容。"));
    } catch (e) {
      showError(e.message);
    }
  }

  function shortcuts(event) {
    if (event.ctrlKey && event.key === "Enter" && event.target === $("caller-text")) {
      event.preventDefault();
      analyse();
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key.toLowerCase();
    const digit = /^Digit([1-8])$/.exec(event.code);
    if (digit && state.aspects[Number(digit[1]) - 1]) {
      event.preventDefault();
      switchAspect(state.aspects[Number(digit[1]) - 1].aspect);
    } else if (key === "i" || event.code === "KeyI") {
      event.preventDefault();
      $("caller-text").focus();
      $("caller-text").select();
    } else if (key === "c" || event.code === "KeyC") {
      event.preventDefault();
      copySms();
    } else if (key === "k" || event.code === "KeyK") {
      event.preventDefault();
      $("search-input").focus();
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
    const catalogue = await api("GET", "/api/measures");
    state.aspects = catalogue.aspects;
    for (const m of catalogue.measures) $("measure-select").appendChild(new Option(`${m.number}. ${m.name}`, m.measure));

    let timer = null;
    $("caller-text").addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(analyse, 600);
    });
    $("caller-text").addEventListener("paste", () => {
      clearTimeout(timer);
      setTimeout(analyse, 0);
    });
    $("analyse").addEventListener("click", analyse);
    $("measure-select").addEventListener("change", (e) => { if (e.target.value) selectMeasure(e.target.value); });
    $("as-of").addEventListener("change", () => { if (state.measure) selectMeasure(state.measure); });
    $("checklist").addEventListener("change", recheck);
    $("checklist").addEventListener("submit", (e) => e.preventDefault());
    $("copy-sms").addEventListener("click", copySms);
    $("search-form").addEventListener("submit", search);
    $("logout").addEventListener("click", async () => {
      await api("POST", "/api/logout").catch(() => null);
      window.location.assign("/login");
    });
    document.addEventListener("keydown", shortcuts);
    $("caller-text").focus();
  }

  start().catch((e) => showError(e.message));
})();
