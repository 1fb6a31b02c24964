/// The page served at `GET /`: one HTML document with its CSS and JavaScript inline (no build step, no CDN,
/// works offline). It searches films by title, rates them with stars, and shows recommendations with their
/// reasons after each rating, people with similar taste and a comparison of two users. The user is either a
/// user id of the database (ratings stored with PUT) or "me", an anonymous user whose ratings stay in the
/// browser's localStorage and are sent to `POST /api/v1/recommendations`.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>movierec</title>
<style>
:root { --bg:#f6f5f2; --card:#fff; --ink:#1d1d1f; --muted:#6b6b70; --line:#e3e1dc; --accent:#b4461e; --star:#e0a100; --focus:#1f6feb; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
header { background:#20232a; color:#fff; padding:12px 20px; display:flex; flex-wrap:wrap; gap:12px 20px; align-items:center; }
header h1 { font-size:20px; margin:0; letter-spacing:.5px; }
header h1 span { color:#f29a6e; }
.who { display:flex; flex-wrap:wrap; gap:8px; align-items:center; margin-left:auto; }
.who label { font-size:13px; color:#cfd2d8; }
.who input { width:7em; }
.seg { display:inline-flex; border:1px solid #555; border-radius:8px; overflow:hidden; }
.seg button { background:transparent; color:#ddd; border:0; padding:6px 12px; cursor:pointer; font:inherit; }
.seg button[aria-pressed="true"] { background:#f29a6e; color:#20232a; font-weight:600; }
main { max-width:1180px; margin:0 auto; padding:16px; display:grid; gap:16px; grid-template-columns: minmax(0,1fr) minmax(0,1.25fr); }
section { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:14px 16px; min-width:0; }
section h2 { font-size:16px; margin:0 0 10px; display:flex; justify-content:space-between; gap:8px; align-items:baseline; }
section h2 small { font-weight:400; color:var(--muted); font-size:13px; }
input, button { font:inherit; }
input[type=search], input[type=text], input[type=password] { padding:8px 10px; border:1px solid var(--line); border-radius:8px; background:#fff; color:var(--ink); }
#search { width:100%; }
:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
ul { list-style:none; margin:0; padding:0; }
.movies li, .recs li, .people li, .mine li { padding:9px 0; border-top:1px solid var(--line); }
.movies li:first-child, .recs li:first-child, .people li:first-child, .mine li:first-child { border-top:0; }
.row { display:flex; gap:10px; align-items:center; justify-content:space-between; flex-wrap:wrap; }
.title { font-weight:600; overflow-wrap:anywhere; }
.meta { color:var(--muted); font-size:13px; }
.stars { display:inline-flex; gap:2px; white-space:nowrap; }
.stars button { border:0; background:none; padding:2px 3px; font-size:20px; line-height:1; cursor:pointer; color:#c9c6bf; border-radius:4px; }
.stars button.on { color:var(--star); }
.stars button.clear { font-size:13px; color:var(--muted); padding:4px 6px; }
.recs li .rank { display:inline-block; min-width:2em; color:var(--muted); }
.pred { color:var(--accent); font-weight:600; white-space:nowrap; }
.reasons { margin:4px 0 0 2em; color:var(--muted); font-size:13px; }
.reasons li { border:0; padding:0; }
.recs li.fresh { animation: flash 1.2s ease-out; }
@keyframes flash { from { background:#fff3c4; } to { background:transparent; } }
.people button.link { background:none; border:0; padding:0; color:var(--focus); cursor:pointer; text-decoration:underline; font:inherit; }
.bar { height:6px; background:#eee; border-radius:3px; overflow:hidden; width:90px; display:inline-block; vertical-align:middle; }
.bar i { display:block; height:100%; background:var(--accent); }
.compare form { display:flex; gap:8px; flex-wrap:wrap; margin-bottom:8px; }
.compare input { width:7em; }
.compare button, .small { padding:7px 12px; border:1px solid var(--line); border-radius:8px; background:#fff; cursor:pointer; }
.compare table { border-collapse:collapse; width:100%; font-size:13px; }
.compare td, .compare th { text-align:left; padding:3px 6px; border-top:1px solid var(--line); }
.compare td.n, .compare th.n { text-align:right; }
.figures { display:grid; grid-template-columns: repeat(auto-fit, minmax(120px,1fr)); gap:8px; margin-bottom:8px; }
.figures div { background:#faf9f6; border:1px solid var(--line); border-radius:8px; padding:6px 8px; }
.figures b { display:block; font-size:18px; }
.status { min-height:1.4em; color:var(--muted); font-size:13px; }
.status.error { color:#b00020; }
.empty { color:var(--muted); font-style:italic; }
.col { display:grid; gap:16px; align-content:start; min-width:0; }
@media (max-width: 760px) {
  main { grid-template-columns: 1fr; padding:10px; }
  header { padding:10px 12px; }
  .who { margin-left:0; }
}
</style>
</head>
<body>
<header>
  <h1>movie<span>rec</span></h1>
  <div class="who" role="group" aria-label="Who is rating">
    <div class="seg">
      <button type="button" id="mode-me" aria-pressed="true">me</button>
      <button type="button" id="mode-user" aria-pressed="false">user id</button>
    </div>
    <label for="user-id">user</label>
    <input type="text" id="user-id" inputmode="text" autocomplete="off" placeholder="e.g. 1" disabled>
    <label for="token">token</label>
    <input type="password" id="token" autocomplete="off" placeholder="optional" disabled>
  </div>
</header>
<main>
  <div class="col">
    <section aria-labelledby="h-search">
      <h2 id="h-search">Find films <small id="health"></small></h2>
      <input type="search" id="search" placeholder="Search titles, e.g. summer" aria-label="Search films by title" autocomplete="off">
      <div class="status" id="search-status" role="status"></div>
      <ul class="movies" id="search-results" aria-label="Search results"></ul>
    </section>
    <section aria-labelledby="h-mine">
      <h2 id="h-mine">Your ratings <small id="mine-count"></small></h2>
      <ul class="mine" id="my-ratings" aria-label="Your ratings"></ul>
    </section>
  </div>
  <div class="col">
    <section aria-labelledby="h-recs">
      <h2 id="h-recs">Recommended for you <small id="recs-who"></small></h2>
      <div class="status" id="recs-status" role="status" aria-live="polite"></div>
      <ul class="recs" id="recommendations" aria-label="Recommendations"></ul>
    </section>
    <section aria-labelledby="h-people">
      <h2 id="h-people">People like you</h2>
      <ul class="people" id="similar" aria-label="Similar users"></ul>
    </section>
    <section class="compare" aria-labelledby="h-compare">
      <h2 id="h-compare">Compare two users</h2>
      <form id="compare-form">
        <label for="cmp-a" class="meta">A</label><input type="text" id="cmp-a" placeholder="user id" required>
        <label for="cmp-b" class="meta">B</label><input type="text" id="cmp-b" placeholder="user id" required>
        <button type="submit">Compare</button>
      </form>
      <div class="status" id="compare-status" role="status"></div>
      <div id="compare-view"></div>
    </section>
  </div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const state = {
  mode: localStorage.getItem("movierec.mode") || "me",
  userId: localStorage.getItem("movierec.user") || "",
  token: localStorage.getItem("movierec.token") || "",
  me: JSON.parse(localStorage.getItem("movierec.me") || "{}"),   // movie id -> {rating, title}
  userRatings: {},                                                 // for a database user: movie id -> {rating, title}
  lastRecs: [],
};
function esc(text) { return String(text).replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"}[c])); }
async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token && method !== "GET") headers["Authorization"] = "Bearer " + state.token;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({ error: "badResponse", message: "the server did not answer JSON" }));
  if (!response.ok) { const e = new Error(data.message || response.statusText); e.status = response.status; throw e; }
  return data;
}
function setStatus(id, text, isError) { const el = $(id); el.textContent = text || ""; el.classList.toggle("error", !!isError); }
function ratings() { return state.mode === "me" ? state.me : state.userRatings; }
function who() { return state.mode === "me" ? "me (kept in this browser)" : "user " + state.userId; }

function stars(movie, title, current) {
  const wrap = document.createElement("span");
  wrap.className = "stars";
  wrap.setAttribute("role", "group");
  wrap.setAttribute("aria-label", "Rate " + title);
  for (let v = 1; v <= 5; v++) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "★";
    b.dataset.value = v;
    b.dataset.movie = movie;
    b.className = "star" + (current && current >= v ? " on" : "");
    b.setAttribute("aria-label", v + " star" + (v > 1 ? "s" : "") + " for " + title);
    b.setAttribute("aria-pressed", current === v ? "true" : "false");
    b.addEventListener("click", () => rate(movie, title, v));
    wrap.appendChild(b);
  }
  if (current) {
    const c = document.createElement("button");
    c.type = "button"; c.className = "clear"; c.textContent = "remove";
    c.setAttribute("aria-label", "Remove rating of " + title);
    c.addEventListener("click", () => unrate(movie));
    wrap.appendChild(c);
  }
  return wrap;
}

function movieItem(m) {
  const li = document.createElement("li");
  const current = ratings()[m.movie] ? ratings()[m.movie].rating : 0;
  li.innerHTML = '<div class="row"><div><div class="title"></div><div class="meta"></div></div></div>';
  li.querySelector(".title").textContent = m.title;
  li.querySelector(".meta").textContent = (m.genres || []).join(", ") + (m.ratings !== undefined ? " · " + m.ratings + " ratings" : "")
    + (m.meanRating ? " · mean " + m.meanRating.toFixed(1) : "");
  li.querySelector(".row").appendChild(stars(m.movie, m.title, current));
  return li;
}

let searchTimer = null, lastResults = [];
async function search() {
  const q = $("search").value.trim();
  if (!q) { $("search-results").innerHTML = ""; setStatus("search-status", ""); return; }
  try {
    const data = await api("GET", "/api/v1/movies?limit=12&search=" + encodeURIComponent(q));
    if ($("search").value.trim() !== q) return;   // a later search is under way
    const list = $("search-results"), ids = data.movies.map((m) => m.movie).join(",");
    if (list.dataset.query === q && list.dataset.ids === ids) return;   // the same answer is shown already
    lastResults = data.movies;
    renderSearch();
    list.dataset.query = q; list.dataset.ids = ids;
    setStatus("search-status", data.movies.length ? data.movies.length + " film" + (data.movies.length > 1 ? "s" : "") : "no film matches “" + q + "”");
  } catch (e) { setStatus("search-status", e.message, true); }
}
function renderSearch() {
  const list = $("search-results"); list.innerHTML = "";
  lastResults.forEach((m) => list.appendChild(movieItem(m)));
}
function renderMine() {
  const list = $("my-ratings"); list.innerHTML = "";
  const entries = Object.entries(ratings());
  $("mine-count").textContent = entries.length ? entries.length + " rated" : "";
  if (!entries.length) { list.innerHTML = '<li class="empty">Search for films you know and rate them.</li>'; return; }
  entries.forEach(([movie, r]) => list.appendChild(movieItem({ movie, title: r.title })));
}

async function rate(movie, title, value) {
  try {
    if (state.mode === "me") {
      state.me[movie] = { rating: value, title };
      localStorage.setItem("movierec.me", JSON.stringify(state.me));
    } else {
      await api("PUT", "/api/v1/users/" + encodeURIComponent(state.userId) + "/ratings/" + encodeURIComponent(movie), { rating: value });
      state.userRatings[movie] = { rating: value, title };
    }
    setStatus("recs-status", "Rated " + title + " " + value + "★ — updating…");
    renderSearch(); renderMine();
    await refresh();
  } catch (e) { setStatus("recs-status", e.message, true); }
}
async function unrate(movie) {
  try {
    if (state.mode === "me") { delete state.me[movie]; localStorage.setItem("movierec.me", JSON.stringify(state.me)); }
    else {
      await api("DELETE", "/api/v1/users/" + encodeURIComponent(state.userId) + "/ratings/" + encodeURIComponent(movie));
      delete state.userRatings[movie];
    }
    renderSearch(); renderMine(); await refresh();
  } catch (e) { setStatus("recs-status", e.message, true); }
}

function renderRecs(list) {
  const ul = $("recommendations"); ul.innerHTML = "";
  const before = new Set(state.lastRecs);
  list.forEach((r, i) => {
    const li = document.createElement("li");
    if (state.lastRecs.length && !before.has(r.movie)) li.classList.add("fresh");
    li.innerHTML = '<div class="row"><div><span class="rank"></span><span class="title"></span></div><span class="pred"></span></div><ul class="reasons"></ul>';
    li.querySelector(".rank").textContent = (i + 1) + ".";
    li.querySelector(".title").textContent = r.title;
    li.querySelector(".pred").textContent = "predicted " + r.predictedRating.toFixed(1) + "★";
    const reasons = li.querySelector(".reasons");
    (r.because || []).slice(0, 3).forEach((b) => {
      const item = document.createElement("li");
      item.textContent = b.text;
      item.title = "user " + b.user + ", attention weight " + b.weight.toFixed(2);
      reasons.appendChild(item);
    });
    ul.appendChild(li);
  });
  state.lastRecs = list.map((r) => r.movie);
  ul.dataset.updates = String(Number(ul.dataset.updates || 0) + 1);
}
function renderPeople(list) {
  const ul = $("similar"); ul.innerHTML = "";
  if (!list.length) { ul.innerHTML = '<li class="empty">Rate a few films to meet people with your taste.</li>'; return; }
  list.forEach((p) => {
    const li = document.createElement("li");
    li.innerHTML = '<div class="row"><span>user <button type="button" class="link"></button></span><span class="meta"><span class="bar"><i></i></span> cosine <b></b> · <span class="common"></span> in common</span></div>';
    const b = li.querySelector("button"); b.textContent = p.user;
    b.setAttribute("aria-label", "Compare with user " + p.user);
    b.addEventListener("click", () => {
      // A database user is compared with the clicked one; "me" is not stored, so the two closest people are.
      const other = list.find((q) => q.user !== p.user);
      $("cmp-a").value = state.mode === "user" ? state.userId : (other ? other.user : p.user);
      $("cmp-b").value = p.user; compare();
    });
    li.querySelector("i").style.width = Math.max(0, Math.min(1, p.cosine)) * 100 + "%";
    li.querySelector("b").textContent = p.cosine.toFixed(2);
    li.querySelector(".common").textContent = p.commonMovies + " film" + (p.commonMovies === 1 ? "" : "s");
    ul.appendChild(li);
  });
}

async function refresh() {
  $("recs-who").textContent = who();
  try {
    let recs, people;
    if (state.mode === "me") {
      const list = Object.entries(state.me).map(([movie, r]) => ({ movie, rating: r.rating }));
      if (!list.length) {
        $("recommendations").innerHTML = '<li class="empty">Rate a film to get recommendations.</li>';
        renderPeople([]); state.lastRecs = []; setStatus("recs-status", ""); return;
      }
      [recs, people] = await Promise.all([
        api("POST", "/api/v1/recommendations", { ratings: list, count: 10, explain: true }),
        api("POST", "/api/v1/similar", { ratings: list, count: 5 })]);
    } else {
      if (!state.userId) { setStatus("recs-status", "Type a user id above."); return; }
      const id = encodeURIComponent(state.userId);
      [recs, people] = await Promise.all([
        api("GET", "/api/v1/users/" + id + "/recommendations?count=10&explain=true"),
        api("GET", "/api/v1/users/" + id + "/similar?count=5")]);
    }
    renderRecs(recs.recommendations); renderPeople(people.similar);
    setStatus("recs-status", recs.recommendations.length + " films, best first");
  } catch (e) { setStatus("recs-status", e.message, true); }
}

async function loadUser() {
  state.userRatings = {};
  if (state.mode === "user" && state.userId) {
    try {
      const data = await api("GET", "/api/v1/users/" + encodeURIComponent(state.userId) + "/ratings");
      data.ratings.forEach((r) => { state.userRatings[r.movie] = { rating: r.rating, title: r.title }; });
    } catch (e) { setStatus("recs-status", e.message, true); }
  }
  renderSearch(); renderMine(); state.lastRecs = []; await refresh();
}
function setMode(mode) {
  state.mode = mode; localStorage.setItem("movierec.mode", mode);
  $("mode-me").setAttribute("aria-pressed", mode === "me"); $("mode-user").setAttribute("aria-pressed", mode === "user");
  $("user-id").disabled = mode !== "user"; $("token").disabled = mode !== "user";
  if (mode === "user") $("user-id").focus();
  loadUser();
}

async function compare() {
  const a = $("cmp-a").value.trim(), b = $("cmp-b").value.trim();
  if (!a || !b) return;
  try {
    const c = await api("GET", "/api/v1/compare?count=5&a=" + encodeURIComponent(a) + "&b=" + encodeURIComponent(b));
    const table = (rows) => rows.length ? '<table><tr><th>film</th><th class="n">' + esc(c.a) + '</th><th class="n">' + esc(c.b) + '</th></tr>'
      + rows.map((r) => "<tr><td>" + esc(r.title) + '</td><td class="n">' + r.ratingA.toFixed(1) + '</td><td class="n">' + r.ratingB.toFixed(1) + "</td></tr>").join("") + "</table>"
      : '<p class="empty">none</p>';
    $("compare-view").innerHTML = '<div class="figures"><div>latent cosine<b>' + c.latentCosine.toFixed(3) + '</b></div><div>raw cosine<b>'
      + c.rawCosine.toFixed(3) + '</b></div><div>films in common<b>' + c.commonMovies + "</b></div></div>"
      + "<h3 class=meta>Both loved (≥ " + c.lovedRating.toFixed(1) + ")</h3>" + table(c.bothLoved)
      + "<h3 class=meta>Biggest disagreements</h3>" + table(c.biggestDisagreements);
    setStatus("compare-status", "user " + a + " and user " + b);
  } catch (e) { setStatus("compare-status", e.message, true); $("compare-view").innerHTML = ""; }
}

$("search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 150); });
$("search").addEventListener("keydown", (e) => { if (e.key === "Enter") { clearTimeout(searchTimer); search(); } });
$("mode-me").addEventListener("click", () => setMode("me"));
$("mode-user").addEventListener("click", () => setMode("user"));
$("user-id").addEventListener("change", () => { state.userId = $("user-id").value.trim(); localStorage.setItem("movierec.user", state.userId); loadUser(); });
$("token").addEventListener("change", () => { state.token = $("token").value; localStorage.setItem("movierec.token", state.token); });
$("compare-form").addEventListener("submit", (e) => { e.preventDefault(); compare(); });
$("user-id").value = state.userId; $("token").value = state.token;

(async function start() {
  for (let attempt = 0; attempt < 60; attempt++) {
    try {
      const h = await api("GET", "/api/v1/health");
      $("health").textContent = h.status === "ok" ? h.ratings.toLocaleString() + " ratings" : h.status;
      if (h.status !== "loading") break;
    } catch (e) { $("health").textContent = "server unreachable"; }
    await new Promise((r) => setTimeout(r, 500));
  }
  setMode(state.mode);
})();
</script>
</body>
</html>
"""#
}
