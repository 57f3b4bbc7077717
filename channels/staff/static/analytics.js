// The analytics page: the numbers of /api/analytics as ECharts charts and tables, and the messages to review.
"use strict";
(() => {
  const { $, el, clear, api, showError, initFilters, filterQuery, fillDates, fillChannels, start, percent } = window.Staff;
  const RATE_LABELS = { out_of_scope: "超出范围", unclear: "未能理解", clarify: "需要澄清", low_confidence: "置信度低", answered: "已解答" };
  const charts = {};

  function chart(id) {
    if (!charts[id]) charts[id] = window.echarts.init($(id), null, { renderer: "canvas" });
    return charts[id];
  }

  // Tooltips drawn on the canvas (richText): the HTML tooltip would need inline styles, which the CSP forbids.
  const tooltip = { trigger: "axis", renderMode: "richText" };

  function rows(tbody, data) {
    clear(tbody);
    for (const cells of data) {
      const tr = el("tr");
      for (const cell of cells) tr.appendChild(el("td", null, cell));
      tbody.appendChild(tr);
    }
  }

  function draw(summary) {
    const days = summary.days.map((d) => d.day.slice(5));
    chart("chart-daily").setOption({
      animation: false, tooltip, legend: { top: 0, data: ["对话数", "消息数"] },
      grid: { left: 40, right: 16, bottom: 28, top: 40 },
      xAxis: { type: "category", data: days }, yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "对话数", type: "bar", data: summary.days.map((d) => d.conversations) },
               { name: "消息数", type: "line", data: summary.days.map((d) => d.messages) }],
    }, true);
    const top = summary.measures.slice(0, 10).reverse();
    chart("chart-measures").setOption({
      animation: false, tooltip,
      grid: { left: 150, right: 24, bottom: 24, top: 8 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: top.map((m) => m.name), axisLabel: { width: 140, overflow: "truncate" } },
      series: [{ name: "消息数", type: "bar", data: top.map((m) => m.messages) }],
    }, true);
    chart("chart-aspects").setOption({
      animation: false, tooltip: { trigger: "item", renderMode: "richText" },
      series: [{ name: "问题方面", type: "pie", radius: ["35%", "65%"],
                 data: summary.aspects.map((a) => ({ name: a.label, value: a.messages })) }],
    }, true);
    const drop = summary.checks.dropoff.slice(0, 10).reverse();
    chart("chart-dropoff").setOption({
      animation: false, tooltip,
      grid: { left: 150, right: 24, bottom: 24, top: 8 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: drop.map((d) => d.label), axisLabel: { width: 140, overflow: "truncate" } },
      series: [{ name: "中断的对话", type: "bar", data: drop.map((d) => d.conversations) }],
    }, true);
  }

  function fill(summary) {
    $("kpi-conversations").textContent = summary.totals.conversations;
    $("kpi-messages").textContent = summary.totals.messages;
    for (const key of ["out_of_scope", "unclear", "clarify", "low_confidence"]) {
      $(`kpi-${key}`).textContent = percent(summary.rates[key].rate);
    }
    $("kpi-checks").textContent = `${summary.checks.started} / ${summary.checks.finished}`;
    $("kpi-handoffs").textContent = `${summary.handoffs.paused} / ${summary.handoffs.requested}`;
    rows($("table-days").tBodies[0], summary.days.map((d) => [d.day, d.conversations, d.messages]));
    rows($("table-measures").tBodies[0], summary.measures.map((m) => [m.name, m.messages]));
    rows($("table-aspects").tBodies[0], summary.aspects.map((a) => [a.label, a.messages]));
    rows($("table-rates").tBodies[0], Object.entries(summary.rates).map(([k, v]) => [RATE_LABELS[k], v.messages, percent(v.rate)]));
    const checks = [["资格问答开始", summary.checks.started], ["资格问答完成", summary.checks.finished],
                    ["用户主动结束", summary.checks.stopped]];
    for (const d of summary.checks.dropoff) checks.push([`中断于：${d.label}`, d.conversations]);
    checks.push(["转人工（机器人暂停）", summary.handoffs.paused], ["要求人工服务的消息", summary.handoffs.requested]);
    rows($("table-checks").tBodies[0], checks);
  }

  function fillFlagged(listing, query) {
    $("flagged-total").textContent = `（共 ${listing.total} 条，显示最新 ${listing.messages.length} 条）`;
    const tbody = $("table-flagged").tBodies[0];
    clear(tbody);
    for (const m of listing.messages) {
      const tr = el("tr");
      for (const cell of [m.time, m.channel_label, m.text, m.flag_label, m.intent || "",
                          m.confidence === null ? "" : m.confidence.toFixed(2)]) tr.appendChild(el("td", null, cell));
      const action = el("td");
      const link = el("a", null, m.review ? `已审核：${m.review.verdict_label}` : "去审核");
      link.href = `/review?${query}&item=${m.id}`;
      action.appendChild(link);
      tr.appendChild(action);
      tbody.appendChild(tr);
    }
  }

  async function load(event) {
    if (event) event.preventDefault();
    showError("");
    const query = filterQuery(["channel"]);
    window.history.replaceState(null, "", `?${query}`);
    $("csv-summary").href = `/api/analytics.csv?${query}`;
    $("csv-messages").href = `/api/analytics/messages.csv?${query}`;
    const started = performance.now();
    try {
      const [summary, listing] = await Promise.all([api("GET", `/api/analytics?${query}`),
                                                   api("GET", `/api/analytics/messages?${query}&limit=50`)]);
      fillDates(summary);
      fillChannels(summary.channels);
      fill(summary);
      draw(summary);
      fillFlagged(listing, query);
      $("timing").textContent = `用时 ${Math.round(performance.now() - started)} 毫秒`;
      document.body.dataset.loaded = "true";
    } catch (e) {
      showError(e.message);
    }
  }

  start().then(() => {
    initFilters(["channel"]);
    $("filters").addEventListener("submit", load);
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
    return load();
  }).catch((e) => showError(e.message));
})();
