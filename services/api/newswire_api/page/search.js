// The search page: a small script over the JSON API, no build step. The search lives in the
// URL (?q=…&section=…&entity=…), so a search can be shared, reloaded and navigated back to.
// Only highlight fragments are inserted as HTML: Elasticsearch escapes them (encoder "html")
// before adding <mark>; every other value is set as text. No inline script or style anywhere:
// the Content-Security-Policy allows neither. When the API needs a key (401), the page asks for
// it once and keeps it in sessionStorage: for this tab only, sent as a bearer token.
// The Live toggle follows GET /articles/stream with the search's filters: new matching articles
// are put at the top of the list as they are indexed. It reads the stream with fetch (an
// EventSource cannot send the key) and reconnects with the last id received (events' and
// heartbeats'), missing nothing; when the API cannot replay that far back (a `resync` event, or
// the id refused), the results are searched again and the stream goes on from now.
"use strict";

const $ = (selector) => document.querySelector(selector);
const FILTERS = ["section", "entity", "language", "author", "from", "to"];
const LABEL_NAMES = { PERSON: "people", ORG: "organisations", GPE: "places", LOC: "places",
                      NORP: "groups", EVENT: "events" };
let nextCursor = null;
let latestSearch = 0; // a slow answer to an older search must not overwrite a newer one
let live = null; // the stream followed while Live is on: { controller, lastEventId, arrived }
const LIVE_RETRY_MS = 2000;
const NOT_STREAMED = ["sort", "cursor", "interval"];

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function currentParams() {
  return new URLSearchParams(location.search);
}

function navigate(params) {
  history.pushState(null, "", params.toString() ? `?${params}` : location.pathname);
  runSearch();
}

const KEY_STORAGE = "newswire-api-key";

function askForKey() {
  const dialog = $("#key-dialog");
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const key = $("#key").value.trim();
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      resolve(Boolean(key));
    }, { once: true });
    if (!dialog.open) dialog.showModal();
  });
}

async function getJson(url) {
  for (;;) {
    const headers = { Accept: "application/json" };
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) headers.Authorization = `Bearer ${key}`;
    const response = await fetch(url, { headers });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_STORAGE);
      if (await askForKey()) continue;
    }
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
    return body;
  }
}

async function runSearch(append = false, keepLive = false) {
  const params = currentParams();
  if (!append && !keepLive && $("#live").checked) startLive(); // follow the new filters
  $("#q").value = params.get("q") || "";
  $("#sort").value = params.get("sort") || "";
  $("#interval").value = params.get("interval") || "month";
  const query = new URLSearchParams(params);
  if (append && nextCursor) query.set("cursor", nextCursor);
  const thisSearch = ++latestSearch;
  $("#status").textContent = "Searching…";
  $("#results").setAttribute("aria-busy", "true");
  try {
    const page = await getJson(`/articles/search?${query}`);
    if (thisSearch !== latestSearch) return;
    nextCursor = page.next_cursor;
    renderResults(page, append);
    if (page.facets) renderFacets(page.facets, params);
  } catch (error) {
    if (thisSearch !== latestSearch) return;
    $("#status").textContent = `Search failed: ${error.message}`;
  }
  $("#results").setAttribute("aria-busy", "false");
}

function renderResults(page, append) {
  const list = $("#results");
  if (!append) list.replaceChildren();
  for (const hit of page.hits) list.append(resultItem(hit));
  const total = `${page.total.toLocaleString()}${page.total_is_exact ? "" : "+"}`;
  $("#status").textContent = page.total === 0
    ? "No articles match. Try fewer words or remove a filter."
    : `${total} article${page.total === 1 ? "" : "s"}, showing ${list.children.length}`;
  $("#more").hidden = !page.next_cursor;
}

function resultItem(hit) {
  const title = element("button", { type: "button" });
  if (hit.highlights.title) title.innerHTML = hit.highlights.title;
  else title.textContent = hit.title;
  title.addEventListener("click", () => openArticle(hit.id));
  const snippet = element("p", { className: "snippet" });
  if (hit.highlights.body.length) snippet.innerHTML = hit.highlights.body.join(" … ");
  else if (hit.highlights.standfirst) snippet.innerHTML = hit.highlights.standfirst;
  else snippet.textContent = hit.summary || "";
  const item = element("li", { className: "result" },
    element("h3", {}, title), element("div", { className: "meta" }, describe(hit)), snippet);
  item.dataset.id = hit.id;
  return item;
}

function stopLive() {
  if (live) live.controller.abort();
  live = null;
  $("#live-status").hidden = true;
}

function startLive() {
  stopLive();
  const state = { controller: new AbortController(), lastEventId: null, arrived: 0 };
  live = state;
  showLive(state, "Live: waiting for new matching articles…");
  followStream(state);
}

function showLive(state, text) {
  if (live !== state) return;
  $("#live-status").textContent = text;
  $("#live-status").hidden = false;
}

async function followStream(state) {
  while (live === state) {
    try {
      await readStream(state);
    } catch (error) {
      if (live !== state) return;
      showLive(state, `Live: ${error.message}; reconnecting…`);
    }
    await new Promise((resolve) => setTimeout(resolve, LIVE_RETRY_MS));
  }
}

async function readStream(state) {
  const query = currentParams();
  for (const name of NOT_STREAMED) query.delete(name);
  const headers = { Accept: "text/event-stream" };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers.Authorization = `Bearer ${key}`;
  if (state.lastEventId) headers["Last-Event-ID"] = state.lastEventId;
  const response = await fetch(`/articles/stream?${query}`,
    { headers, signal: state.controller.signal });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    if (response.status === 422 && state.lastEventId) {
      state.lastEventId = null; // not resumable any more (the index was rebuilt): from now on
      searchAgain(state);
      return;
    }
    throw new Error(body.detail || `HTTP ${response.status}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      liveEvent(state, buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

function liveEvent(state, block) {
  const fields = { data: [] };
  for (const line of block.split("\n")) {
    const at = line.indexOf(":");
    if (at <= 0) continue; // a comment (a heartbeat) or nothing
    const name = line.slice(0, at);
    const value = line.slice(at + 1).replace(/^ /, "");
    if (name === "data") fields.data.push(value); else fields[name] = value;
  }
  if (fields.id) state.lastEventId = fields.id; // a heartbeat's too: the position reached
  if (fields.event === "resync") {
    searchAgain(state);
  } else if (fields.event === "dropped") {
    showLive(state, `Live: ${JSON.parse(fields.data.join("\n")).reason}`);
  } else if (fields.event === "article" && live === state) {
    const hit = JSON.parse(fields.data.join("\n"));
    const list = $("#results");
    for (const shown of list.querySelectorAll(".result")) {
      if (shown.dataset.id === hit.id) shown.remove(); // a new version replaces the old one
    }
    const item = resultItem(hit);
    item.classList.add("live-new");
    list.prepend(item);
    state.arrived += 1;
    showLive(state, `Live: ${state.arrived} new article${state.arrived === 1 ? "" : "s"} at the top`);
  }
}

// The stream could not replay what was missed: the list is searched again, the stream goes on.
function searchAgain(state) {
  if (live !== state) return;
  state.arrived = 0;
  showLive(state, "Live: reconnected after a long gap; the results were searched again");
  runSearch(false, true);
}

function describe(article) {
  const parts = [article.section, article.publication_date, ...(article.authors || [])];
  if (article.reading_time_minutes) parts.push(`${article.reading_time_minutes} min read`);
  // A story whose current version replaced an earlier one (an update, a correction).
  if (article.updated) parts.push(`updated ${utcTime(article.updated)}`);
  return parts.filter(Boolean).join(" · ");
}

function utcTime(iso) {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function addFilter(name, value) {
  const params = currentParams();
  if (!params.getAll(name).includes(value)) params.append(name, value);
  navigate(params);
}

function removeFilter(name, value) {
  const params = currentParams();
  const kept = params.getAll(name).filter((v) => v !== value);
  params.delete(name);
  for (const v of kept) params.append(name, v);
  navigate(params);
}

function facetButton(text, count, onClick) {
  const button = element("button", { type: "button" },
    element("span", { className: "name", textContent: text }),
    element("span", { className: "count", textContent: count.toLocaleString() }));
  button.addEventListener("click", onClick);
  return element("li", {}, button);
}

function renderFacets(facets, params) {
  const lists = {
    sections: facets.sections.map((s) =>
      facetButton(s.value, s.count, () => addFilter("section", s.value))),
  };
  for (const group of ["people", "organisations", "places"]) {
    lists[group] = facets[group].map((e) =>
      facetButton(e.name, e.count, () => addFilter("entity", `${e.label}:${e.name}`)));
  }
  for (const [group, items] of Object.entries(lists)) {
    const section = $(`.facet[data-facet="${group}"]`);
    section.querySelector("ul").replaceChildren(...items);
    section.hidden = items.length === 0;
  }
  const active = [];
  for (const name of FILTERS) {
    for (const value of params.getAll(name)) {
      const text = name === "entity" ? value.replace(/^[A-Z]+:/, "") : `${name}: ${value}`;
      active.push(facetButton(text, "×", () => removeFilter(name, value)));
    }
  }
  const sample = $("#facets-sample");
  sample.hidden = facets.sample === null || facets.sample === undefined;
  if (!sample.hidden) sample.textContent = `Counted in the ${facets.sample} best matches`;
  $("#active-filters ul").replaceChildren(...active);
  $("#active-filters").hidden = active.length === 0;
  renderTimeline(facets.timeline, params.get("interval") || "month");
}

function periodEnd(start, interval) {
  const end = new Date(`${start}T00:00:00Z`);
  if (interval === "day") end.setUTCDate(end.getUTCDate() + 1);
  else if (interval === "week") end.setUTCDate(end.getUTCDate() + 7);
  else end.setUTCMonth(end.getUTCMonth() + 1);
  end.setUTCDate(end.getUTCDate() - 1);
  return end.toISOString().slice(0, 10);
}

function renderTimeline(buckets, interval) {
  const svg = $("#timeline");
  const figure = $("#timeline-figure");
  figure.hidden = buckets.length === 0;
  if (!buckets.length) return;
  const width = svg.clientWidth || 600, height = 90, axis = 14;
  const times = buckets.map((b) => Date.parse(b.start));
  const first = times[0], last = times[times.length - 1];
  const span = Math.max(last - first, 1);
  const max = Math.max(...buckets.map((b) => b.count));
  const barWidth = Math.max(2, Math.min(40, (width / (buckets.length + 1)) * 0.8));
  const ns = "http://www.w3.org/2000/svg";
  const nodes = buckets.map((bucket, i) => {
    const x = buckets.length === 1 ? width / 2 - barWidth / 2
      : ((times[i] - first) / span) * (width - barWidth);
    const h = Math.max(1, (bucket.count / max) * (height - axis - 4));
    const rect = document.createElementNS(ns, "rect");
    for (const [k, v] of Object.entries({ x, y: height - axis - h, width: barWidth, height: h })) {
      rect.setAttribute(k, v);
    }
    const tip = document.createElementNS(ns, "title");
    tip.textContent = `${bucket.start}: ${bucket.count} article${bucket.count === 1 ? "" : "s"}`;
    rect.append(tip);
    rect.addEventListener("click", () => {
      const params = currentParams();
      params.set("from", bucket.start);
      params.set("to", periodEnd(bucket.start, interval));
      navigate(params);
    });
    return rect;
  });
  const label = (text, x, anchor) => {
    const node = document.createElementNS(ns, "text");
    Object.entries({ x, y: height - 2, "text-anchor": anchor }).forEach(([k, v]) =>
      node.setAttribute(k, v));
    node.textContent = text;
    return node;
  };
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren(...nodes, label(buckets[0].start, 0, "start"),
    label(buckets[buckets.length - 1].start, width, "end"));
}

async function openArticle(id) {
  const panel = $("#article");
  const content = $("#article-content");
  content.replaceChildren(element("p", { textContent: "Loading…" }));
  panel.hidden = false;
  try {
    const [article, related, history] = await Promise.all([
      getJson(`/articles/${encodeURIComponent(id)}`),
      getJson(`/articles/${encodeURIComponent(id)}/similar`),
      getJson(`/articles/${encodeURIComponent(id)}/versions`),
    ]);
    const updated = history.versions.length > 1 ? history.versions[0].time : null;
    content.replaceChildren(...articleView({ ...article, updated }, related.similar));
  } catch (error) {
    content.replaceChildren(element("p", { textContent: `Could not open: ${error.message}` }));
  }
}

function articleView(article, similar) {
  const nodes = [element("h2", { textContent: article.title }),
                 element("div", { className: "meta", textContent: describe(article) })];
  if (article.standfirst) {
    nodes.push(element("p", { className: "standfirst", textContent: article.standfirst }));
  }
  if (article.entities.length) {
    const chips = article.entities.map((entity) => {
      const chip = element("button", { type: "button", title: `Articles mentioning ${entity.name}` },
        entity.name, element("span", { className: "label", textContent: LABEL_NAMES[entity.label] }));
      chip.addEventListener("click", () => {
        $("#article").hidden = true;
        addFilter("entity", `${entity.label}:${entity.name}`);
      });
      return element("li", {}, chip);
    });
    nodes.push(element("h3", { textContent: "Who and what it mentions" }),
               element("ul", { className: "entities" }, ...chips));
  }
  for (const paragraph of article.body) nodes.push(element("p", { textContent: paragraph }));
  if (similar.length) {
    const links = similar.map((hit) => {
      const link = element("button", { type: "button", textContent: hit.title });
      link.addEventListener("click", () => openArticle(hit.id));
      return element("li", {}, link, " ", element("span", { className: "meta", textContent: describe(hit) }));
    });
    nodes.push(element("h3", { textContent: "Related articles" }), element("ul", {}, ...links));
  }
  return nodes;
}

document.addEventListener("DOMContentLoaded", () => {
  $("#search").addEventListener("submit", (event) => {
    event.preventDefault();
    const params = currentParams();
    const q = $("#q").value.trim();
    if (q) params.set("q", q); else params.delete("q");
    const sort = $("#sort").value;
    if (sort) params.set("sort", sort); else params.delete("sort");
    navigate(params);
  });
  $("#interval").addEventListener("change", () => {
    const params = currentParams();
    params.set("interval", $("#interval").value);
    navigate(params);
  });
  $("#more").addEventListener("click", () => runSearch(true));
  $("#live").addEventListener("change", () => {
    if ($("#live").checked) startLive(); else stopLive();
  });
  $("#close-article").addEventListener("click", () => { $("#article").hidden = true; });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") $("#article").hidden = true;
  });
  window.addEventListener("popstate", () => runSearch());
  runSearch();
});
