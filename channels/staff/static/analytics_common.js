// Shared by the analytics, review and conversations pages: the session (header, navigation, logout),
// the JSON API with the CSRF header, DOM helpers and the filter form. No inline script or style (CSP).
"use strict";
window.Staff = (() => {
  const state = { csrf: "", role: "" };
  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
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

  function showError(text) {
    const box = $("page-error");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  // The filter form (#from, #to, #channel …) from and to the address bar, so a view can be bookmarked.
  // Without dates the server chooses (the last 7 days in China time, whatever the browser's time zone).
  function initFilters(names) {
    const params = new URLSearchParams(window.location.search);
    if ($("from") && params.get("from")) $("from").value = params.get("from");
    if ($("to") && params.get("to")) $("to").value = params.get("to");
    for (const name of names) {
      if ($(name) && params.get(name)) {
        const value = params.get(name);
        if ($(name).tagName === "SELECT" && ![...$(name).options].some((o) => o.value === value)) {
          $(name).appendChild(new Option(value, value));
        }
        $(name).value = value;
      }
    }
  }

  function filterQuery(names) {
    const params = new URLSearchParams();
    for (const name of ["from", "to", ...names]) {
      if ($(name) && $(name).value) params.set(name, $(name).value);
    }
    return params;
  }

  // The period the server answered for, shown in the date inputs left empty.
  function fillDates(summary) {
    if ($("from") && !$("from").value) $("from").value = summary.from;
    if ($("to") && !$("to").value) $("to").value = summary.to;
  }

  function fillChannels(channels) {
    const select = $("channel");
    if (!select) return;
    const chosen = select.value;
    clear(select);
    select.appendChild(new Option("全部渠道", ""));
    for (const c of channels) select.appendChild(new Option(c.label, c.channel));
    select.value = chosen;
  }

  async function start() {
    const session = await api("GET", "/api/session");
    state.csrf = session.csrf;
    state.role = session.role;
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
    return session;
  }

  function percent(rate) {
    return `${(rate * 100).toFixed(1)}%`;
  }

  return { $, el, clear, api, showError, initFilters, filterQuery, fillDates, fillChannels, start, percent, state };
})();
