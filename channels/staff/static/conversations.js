// The conversations browser: search by date, channel, measure and outcome; open one and read it (redacted).
"use strict";
(() => {
  const { $, el, clear, api, showError, initFilters, filterQuery, fillDates, fillChannels, start } = window.Staff;
  const PAGE = 25;
  const OUTCOME_LABELS = { out_of_scope: "超出范围", unclear: "未能理解", clarify: "澄清", eligibility: "资格判断",
                           checkup: "政策体检", asking: "资格问答", handoff: "转人工" };
  const view = { offset: 0, outcomesLoaded: false };

  async function loadList(event) {
    if (event) event.preventDefault();
    showError("");
    const q = filterQuery(["channel", "measure", "outcome"]);
    window.history.replaceState(null, "", `?${q}`);
    const listing = await api("GET", `/api/conversations?${q}&limit=${PAGE}&offset=${view.offset}`);
    if (!view.outcomesLoaded) {
      for (const o of listing.outcomes) $("outcome").appendChild(new Option(o.label, o.outcome));
      view.outcomesLoaded = true;
      initFilters(["outcome"]);
    }
    $("total").textContent = `（共 ${listing.total} 段）`;
    $("page").textContent = `第 ${Math.floor(view.offset / PAGE) + 1} 页`;
    $("prev").disabled = view.offset === 0;
    $("next").disabled = view.offset + PAGE >= listing.total;
    const tbody = $("list").tBodies[0];
    clear(tbody);
    for (const c of listing.conversations) {
      const tr = el("tr");
      tr.tabIndex = 0;
      tr.dataset.id = c.id;
      for (const cell of [c.started, c.channel_label || "", c.messages, c.measure_names.join("、"),
                          c.outcomes.map((o) => OUTCOME_LABELS[o] || o).join("、")]) tr.appendChild(el("td", null, cell));
      tr.addEventListener("click", () => openConversation(c.id));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") openConversation(c.id); });
      tbody.appendChild(tr);
    }
  }

  async function openConversation(id) {
    showError("");
    const found = await api("GET", `/api/conversations/${id}`).catch((e) => { showError(e.message); return null; });
    if (!found) return;
    for (const tr of $("list").tBodies[0].rows) tr.classList.toggle("selected", Number(tr.dataset.id) === id);
    $("empty").hidden = true;
    $("transcript-title").textContent = `对话内容（已脱敏）· ${found.sender}`;
    const list = $("transcript");
    clear(list);
    for (const e of found.events) {
      const li = el("li", e.type === "user" || e.type === "bot" ? e.type : "event");
      li.appendChild(el("span", "meta", e.type === "user"
        ? `用户 ${e.time}${e.intent ? ` · ${e.intent}` : ""}` : e.type === "bot" ? `机器人 ${e.time}` : e.time));
      let text = e.text || "";
      if (e.buttons && e.buttons.length) text += `\n［按钮］${e.buttons.join(" / ")}`;
      if (!text && e.custom) text = JSON.stringify(e.custom);
      li.appendChild(document.createTextNode(text));
      list.appendChild(li);
    }
  }

  start().then(async () => {
    initFilters([]);
    const catalogue = await api("GET", "/api/measures");
    for (const m of catalogue.measures) $("measure").appendChild(new Option(`${m.number}. ${m.name}`, m.measure));
    const summary = await api("GET", `/api/analytics?${filterQuery([])}`);
    fillDates(summary);
    fillChannels(summary.channels);
    initFilters(["channel", "measure"]);
    $("filters").addEventListener("submit", (e) => { view.offset = 0; loadList(e).catch((x) => showError(x.message)); });
    $("prev").addEventListener("click", () => { view.offset = Math.max(0, view.offset - PAGE); loadList().catch((x) => showError(x.message)); });
    $("next").addEventListener("click", () => { view.offset += PAGE; loadList().catch((x) => showError(x.message)); });
    await loadList();
    document.body.dataset.loaded = "true";
  }).catch((e) => showError(e.message));
})();
