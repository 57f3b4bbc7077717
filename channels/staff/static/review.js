// The review inbox: pick a flagged message, read it in its conversation, confirm or correct what the bot
// understood (intent, measure, aspect) or mark it out of scope; export the reviews as NLU YAML or CSV.
"use strict";
(() => {
  const { $, el, clear, api, showError, initFilters, filterQuery, fillDates, fillChannels, start } = window.Staff;
  const PAGE = 25;
  const view = { offset: 0, item: null, options: null, intentOf: {} };

  function option(select, value, label) {
    select.appendChild(new Option(label, value));
  }

  async function loadOptions() {
    const options = await api("GET", "/api/review/options");
    view.options = options;
    for (const i of options.intents) option($("intent"), i.intent, i.intent === i.label ? i.intent : `${i.label}（${i.intent}）`);
    for (const m of options.measures) { option($("measure"), m.measure, m.name); view.intentOf[m.measure] = `ask_${m.measure}`; }
    for (const a of options.aspects) option($("aspect"), a.aspect, a.label);
    for (const f of options.flags) option($("flag"), f.flag, f.label);
    const summary = await api("GET", `/api/analytics?${filterQuery([])}`);
    fillDates(summary);
    fillChannels(summary.channels);
  }

  function query() {
    return filterQuery(["channel", "flag", "status"]);
  }

  async function loadList(event) {
    if (event) event.preventDefault();
    showError("");
    const q = query();
    const listing = await api("GET", `/api/analytics/messages?${q}&limit=${PAGE}&offset=${view.offset}`);
    $("total").textContent = `（共 ${listing.total} 条）`;
    $("page").textContent = `第 ${Math.floor(view.offset / PAGE) + 1} 页`;
    $("prev").disabled = view.offset === 0;
    $("next").disabled = view.offset + PAGE >= listing.total;
    const tbody = $("items").tBodies[0];
    clear(tbody);
    for (const m of listing.messages) {
      const tr = el("tr");
      tr.dataset.id = m.id;
      tr.tabIndex = 0;
      if (view.item && view.item.id === m.id) tr.classList.add("selected");
      for (const cell of [m.time, m.text, m.flag_label, m.intent || "", m.review ? m.review.verdict_label : "待审核"]) {
        tr.appendChild(el("td", null, cell));
      }
      tr.addEventListener("click", () => openItem(m.id));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") openItem(m.id); });
      tbody.appendChild(tr);
    }
  }

  async function openItem(id) {
    showError("");
    const found = await api("GET", `/api/review/items/${id}`).catch((e) => { showError(e.message); return null; });
    if (!found) return;
    view.item = found.message;
    for (const tr of $("items").tBodies[0].rows) tr.classList.toggle("selected", Number(tr.dataset.id) === id);
    $("empty").hidden = true;
    $("detail").hidden = false;
    $("saved").textContent = "";
    const list = $("context");
    clear(list);
    for (const e of found.context) {
      const li = el("li", e.type === "user" || e.type === "bot" ? e.type : "event");
      if (e.id === id) li.classList.add("focus");
      li.appendChild(el("span", "meta", e.type === "user"
        ? `用户 ${e.time}${e.intent ? ` · ${e.intent} ${e.confidence != null ? Number(e.confidence).toFixed(2) : ""}` : ""}`
        : e.type === "bot" ? `机器人 ${e.time}` : e.time));
      li.appendChild(document.createTextNode(e.text || (e.custom ? JSON.stringify(e.custom) : "")));
      list.appendChild(li);
    }
    const m = found.message;
    $("understood").textContent = `${m.intent || "（无）"}${m.confidence != null ? `，置信度 ${m.confidence.toFixed(2)}` : ""} · ${m.flag_label}`
      + (m.measure_name ? ` · 答复政策：${m.measure_name}` : "");
    const chosen = m.review || {};
    $("intent").value = chosen.intent || m.intent || "";
    $("measure").value = chosen.measure || m.measure || "";
    $("aspect").value = chosen.aspect || m.aspect || "";
    if (chosen.verdict) $("saved").textContent = `已审核：${chosen.verdict_label}（${chosen.reviewer}）`;
    const params = new URLSearchParams(window.location.search);
    params.set("item", id);
    window.history.replaceState(null, "", `?${params}`);
  }

  async function save(verdict) {
    if (!view.item) return;
    showError("");
    const body = { verdict, intent: $("intent").value || null, measure: $("measure").value || null, aspect: $("aspect").value || null };
    try {
      const result = await api("POST", `/api/review/items/${view.item.id}`, body);
      const label = { confirm: "识别正确", correct: "已更正", out_of_scope: "不在服务范围" }[verdict];
      $("saved").textContent = `已保存：${label}（意图 ${result.review.intent}）`;
      await loadList();
    } catch (e) {
      showError(e.message);
    }
  }

  start().then(async () => {
    initFilters([]);
    await loadOptions();
    initFilters(["channel", "flag", "status"]);
    $("filters").addEventListener("submit", (e) => { view.offset = 0; loadList(e).catch((x) => showError(x.message)); });
    $("prev").addEventListener("click", () => { view.offset = Math.max(0, view.offset - PAGE); loadList().catch((x) => showError(x.message)); });
    $("next").addEventListener("click", () => { view.offset += PAGE; loadList().catch((x) => showError(x.message)); });
    // Choosing a measure picks its intent; choosing a measure's intent picks the measure.
    $("measure").addEventListener("change", () => { if ($("measure").value) $("intent").value = view.intentOf[$("measure").value]; });
    $("intent").addEventListener("change", () => {
      const measure = $("intent").value.startsWith("ask_") ? $("intent").value.slice(4) : "";
      $("measure").value = view.intentOf[measure] ? measure : "";
    });
    $("confirm").addEventListener("click", () => save("confirm"));
    $("verdict").addEventListener("submit", (e) => { e.preventDefault(); save("correct"); });
    $("out-of-scope").addEventListener("click", () => save("out_of_scope"));
    await loadList();
    const item = new URLSearchParams(window.location.search).get("item");
    if (item) await openItem(Number(item));
    document.body.dataset.loaded = "true";
  }).catch((e) => showError(e.message));
})();
