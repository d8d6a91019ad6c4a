/* Tradeplane dashboard: draws the equity chart and keeps live parts of a page current.
 *
 * An element with data-live="<channel>" is re-read (its hx-trigger "live") when /api/stream/<channel>
 * reports one of the events named in data-live-events. The browser's EventSource reconnects by itself
 * and sends Last-Event-ID, so the gateway resumes right after the last event this page saw.
 */
(function () {
  "use strict";

  var sources = {};
  var timers = {};

  function drawCharts(root) {
    if (!window.LightweightCharts) return;
    drawCandles(root);
    root.querySelectorAll("[data-equity]").forEach(function (el) {
      if (el.getAttribute("data-drawn")) return;
      el.setAttribute("data-drawn", "1");
      var byTime = {};
      JSON.parse(el.getAttribute("data-equity") || "[]").forEach(function (p) {
        var t = Math.floor(Date.parse(p.time) / 1000);
        if (!isNaN(t)) byTime[t] = parseFloat(p.value);
      });
      var data = Object.keys(byTime).map(Number).sort(function (a, b) { return a - b; })
        .map(function (t) { return { time: t, value: byTime[t] }; });
      var chart = window.LightweightCharts.createChart(el, {
        autoSize: true,
        layout: { background: { color: "transparent" }, textColor: "#475569", fontFamily: "inherit" },
        grid: { vertLines: { color: "#eef2f7" }, horzLines: { color: "#eef2f7" } },
        rightPriceScale: { borderVisible: false },
        timeScale: { borderVisible: false, timeVisible: true, secondsVisible: false },
        handleScroll: false,
        handleScale: false
      });
      var series = chart.addAreaSeries({
        lineColor: "#2563eb", topColor: "rgba(37, 99, 235, 0.28)", bottomColor: "rgba(37, 99, 235, 0.02)",
        lineWidth: 2, priceLineVisible: false
      });
      series.setData(data);
      chart.timeScale().fitContent();
      el.classList.add("drawn");
    });
  }

  function seconds(text) {
    var t = Math.floor(Date.parse(text) / 1000);
    return isNaN(t) ? null : t;
  }

  /* A bot's market: one-minute candles, its fills marked (an arrow per buy or sell). */
  function drawCandles(root) {
    root.querySelectorAll("[data-candles]").forEach(function (el) {
      if (el.getAttribute("data-drawn")) return;
      el.setAttribute("data-drawn", "1");
      var bars = JSON.parse(el.getAttribute("data-candles") || "[]").map(function (c) {
        return { time: seconds(c.t), open: parseFloat(c.open), high: parseFloat(c.high),
                 low: parseFloat(c.low), close: parseFloat(c.close) };
      }).filter(function (c) { return c.time !== null; })
        .sort(function (a, b) { return a.time - b.time; });
      var chart = window.LightweightCharts.createChart(el, {
        autoSize: true,
        layout: { background: { color: "transparent" }, textColor: "#475569", fontFamily: "inherit" },
        grid: { vertLines: { color: "#eef2f7" }, horzLines: { color: "#eef2f7" } },
        rightPriceScale: { borderVisible: false },
        timeScale: { borderVisible: false, timeVisible: true, secondsVisible: false }
      });
      var series = chart.addCandlestickSeries({
        upColor: "#059669", downColor: "#dc2626", wickUpColor: "#059669", wickDownColor: "#dc2626",
        borderVisible: false
      });
      series.setData(bars);
      var first = bars.length ? bars[0].time : 0;
      var buy = el.getAttribute("data-buy") || "Buy", sell = el.getAttribute("data-sell") || "Sell";
      var marks = JSON.parse(el.getAttribute("data-marks") || "[]").map(function (m) {
        var t = seconds(m.time);
        if (t === null || t < first) return null;
        var up = m.side === "Buy";
        return { time: t - (t % 60), position: up ? "belowBar" : "aboveBar", color: up ? "#059669" : "#dc2626",
                 shape: up ? "arrowUp" : "arrowDown", text: (up ? buy : sell) + " " + m.quantity + " @ " + m.price };
      }).filter(Boolean).sort(function (a, b) { return a.time - b.time; });
      series.setMarkers(marks);
      chart.timeScale().fitContent();
      el.classList.add("drawn");
    });
  }

  /* A form the user sent is still on its way: re-reading a live part now could replace that form, and
   * htmx would then drop the form's answer (its notice). Re-read once the answer is in. */
  function busy() {
    return document.querySelector("form.htmx-request, .htmx-request form, button.htmx-request") !== null;
  }

  function refresh(channel) {
    if (!window.htmx) return;
    if (busy()) {
      clearTimeout(timers[channel + ":busy"]);
      timers[channel + ":busy"] = setTimeout(function () { refresh(channel); }, 100);
      return;
    }
    document.querySelectorAll('[data-live="' + channel + '"]').forEach(function (el) {
      window.htmx.trigger(el, "live");
    });
  }

  /* Re-read soon after an event, and once more a moment later: the gateway's own view of an order
   * may apply the event a little after the browser hears of it. */
  function schedule(channel) {
    clearTimeout(timers[channel + ":soon"]);
    timers[channel + ":soon"] = setTimeout(function () { refresh(channel); }, 30);
    clearTimeout(timers[channel + ":settle"]);
    timers[channel + ":settle"] = setTimeout(function () { refresh(channel); }, 1500);
  }

  function showState() {
    var dot = document.getElementById("live-dot");
    var open = Object.keys(sources).some(function (c) { return sources[c].readyState === 1; });
    if (dot) dot.classList.toggle("on", open);
  }

  function connectLive() {
    var wanted = {};
    document.querySelectorAll("[data-live]").forEach(function (el) {
      wanted[el.getAttribute("data-live")] = (el.getAttribute("data-live-events") || "").split(" ");
    });
    Object.keys(sources).forEach(function (channel) {
      if (!wanted[channel]) {
        sources[channel].close();
        delete sources[channel];
        document.documentElement.removeAttribute("data-live-" + channel);
      }
    });
    Object.keys(wanted).forEach(function (channel) {
      if (sources[channel] || !window.EventSource) return;
      var source = new EventSource("/api/stream/" + channel);
      sources[channel] = source;
      wanted[channel].forEach(function (type) {
        if (!type) return;
        source.addEventListener(type, function () {
          if (type === "ready") document.documentElement.setAttribute("data-live-" + channel, "ready");
          schedule(channel);
        });
      });
      source.onopen = showState;
      source.onerror = function () {
        showState();
        if (source.readyState !== 2) return;  /* reconnecting by itself, with Last-Event-ID */
        /* Closed for good (the stream answered an error): an ended session reloads the page, which
         * renews it (or asks to sign in); anything else tries again in a while. */
        delete sources[channel];
        fetch("/api/auth/session", { credentials: "same-origin" }).then(function (answer) {
          if (answer.status === 401) window.location.reload();
          else setTimeout(connectLive, 5000);
        }, function () { setTimeout(connectLive, 5000); });
      };
    });
    showState();
  }

  function init(root) {
    drawCharts(root || document);
    connectLive();
  }

  /* Every htmx request carries the session's CSRF token (plain forms carry it as a hidden field). */
  function csrf(ev) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) ev.detail.headers["X-CSRF-Token"] = meta.content;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.body.addEventListener("htmx:configRequest", csrf);
    init(document);
    document.body.addEventListener("htmx:afterSettle", function (ev) { init(ev.target); });
  });
  window.addEventListener("pagehide", function () {
    Object.keys(sources).forEach(function (c) { sources[c].close(); });
  });
})();
