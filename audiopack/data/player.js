(function () {
  "use strict";
  // Data comes from the JSON block; text never reaches innerHTML (textContent only).
  var data = JSON.parse(document.getElementById("pack-data").textContent);
  var chapters = data.chapters;
  var audio = document.getElementById("player");
  var nowEl = document.getElementById("now");
  var modeBtn = document.getElementById("mode");
  var loopBtn = document.getElementById("loop");
  var followBtn = document.getElementById("follow");
  var hasChapterFiles = chapters.some(function (ch) { return !!ch.url; });
  var storeKey = "audiopack:" + data.key;

  var state = {
    mode: hasChapterFiles ? "chapters" : (data.book ? "book" : "none"),
    url: null,      // the relative URL currently in audio.src
    chapter: -1,    // chapter whose own file is loaded; -1 when the book is loaded
    pendingSeek: null,
    cur: null,      // {c, i} of the highlighted sentence
    loop: false,
    follow: true,
    lastSave: 0
  };

  var chapterStarts = chapters.map(function (ch) { return ch.start; });
  var sentenceStarts = chapters.map(function (ch) {
    return ch.sentences.map(function (s) { return s[0]; });
  });

  // Index of the last element of the sorted array `a` that is <= x, or -1.
  function lastAtOrBefore(a, x) {
    var lo = 0, hi = a.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (a[mid] <= x + 1e-3) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function fmt(t) {
    t = Math.max(0, Math.floor(t));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    var mm = (m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  // Where chapter c can be heard in the current mode: its own file or the book at an offset.
  function sourceFor(c) {
    var ch = chapters[c];
    if (!ch) { return null; }
    if (state.mode === "chapters" && ch.url) { return { url: ch.url, offset: 0, chapter: c }; }
    if (data.book) { return { url: data.book, offset: ch.start, chapter: -1 }; }
    if (ch.url) { return { url: ch.url, offset: 0, chapter: c }; }
    return null;
  }

  function currentTime() {
    return state.pendingSeek !== null ? state.pendingSeek : audio.currentTime;
  }

  // {c, t}: chapter and time inside that chapter for the loaded source at time `t`.
  function locate(t) {
    if (state.url === null) { return null; }
    if (state.chapter >= 0) { return { c: state.chapter, t: t }; }
    var c = lastAtOrBefore(chapterStarts, t);
    if (c < 0) { c = 0; }
    return { c: c, t: t - chapters[c].start };
  }

  function sentenceEl(c, i) { return document.getElementById("s-" + c + "-" + i); }

  function inView(el) {
    var r = el.getBoundingClientRect();
    var bar = document.getElementById("bar").getBoundingClientRect();
    return r.top >= 0 && r.bottom <= bar.top;
  }

  function highlight(c, i, scroll) {
    var prev = state.cur;
    if (prev && prev.c === c && prev.i === i) { return; }
    if (prev) {
      var old = sentenceEl(prev.c, prev.i);
      if (old) { old.classList.remove("cur"); old.removeAttribute("aria-current"); }
    }
    state.cur = i >= 0 ? { c: c, i: i } : null;
    if (i < 0) { return; }
    var el = sentenceEl(c, i);
    if (!el) { return; }
    el.classList.add("cur");
    el.setAttribute("aria-current", "true");
    if (scroll && state.follow && !inView(el)) {
      var smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      el.scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
    }
  }

  function showNow(c) {
    var ch = chapters[c];
    var label = ch ? ch.title : "";
    if (state.mode === "book" && data.book) { label = "全书 · " + label; }
    nowEl.textContent = label;
  }

  function setMediaSession(c) {
    if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") { return; }
    try {
      var meta = { title: chapters[c] ? chapters[c].title : data.title, album: data.title };
      var cover = data.cover ? new URL(data.cover, document.baseURI) : null;
      if (cover && cover.protocol.slice(0, 4) === "http") { meta.artwork = [{ src: cover.href }]; }
      navigator.mediaSession.metadata = new MediaMetadata(meta);
    } catch (e) { /* not supported */ }
  }

  function load(src) {
    if (state.url === src.url) { return; }
    state.url = src.url;
    state.chapter = src.chapter;
    state.pendingSeek = null;
    audio.src = src.url;
    audio.load();
  }

  function seek(t) {
    if (audio.readyState >= 1) {
      state.pendingSeek = null;
      audio.currentTime = t;
    } else {
      state.pendingSeek = t;
      try { audio.currentTime = t; } catch (e) { /* applied on loadedmetadata */ }
    }
  }

  // Play (or just cue) chapter c from time t inside that chapter.
  function cue(c, t, play) {
    var src = sourceFor(c);
    if (!src) { return false; }
    load(src);
    seek(src.offset + t);
    showNow(c);
    setMediaSession(c);
    if (play) {
      var p = audio.play();
      if (p && p.catch) { p.catch(function () { /* blocked or interrupted */ }); }
    }
    save(true);
    return true;
  }

  function playSentence(c, i) {
    var s = chapters[c] && chapters[c].sentences[i];
    if (!s) { return; }
    if (cue(c, s[0], true)) { highlight(c, i, true); }
  }

  function sync() {
    var loc = locate(currentTime());
    if (!loc) { return; }
    var cur = state.cur;
    if (state.loop && cur && cur.c === loc.c) {
      var s = chapters[cur.c].sentences[cur.i];
      if (loc.t >= s[1] && loc.t < s[1] + 2) {
        var src = sourceFor(cur.c);
        if (src && src.url === state.url) { seek(src.offset + s[0]); return; }
      }
    }
    var i = lastAtOrBefore(sentenceStarts[loc.c], loc.t);
    highlight(loc.c, i, true);
    showNow(loc.c);
  }

  function save(force) {
    var now = Date.now();
    if (!force && now - state.lastSave < 2000) { return; }
    state.lastSave = now;
    var loc = locate(currentTime());
    var rec = { mode: state.mode, rate: audio.defaultPlaybackRate, loop: state.loop,
      follow: state.follow };
    if (loc) { rec.c = loc.c; rec.t = loc.t; }
    try { localStorage.setItem(storeKey, JSON.stringify(rec)); } catch (e) { /* private mode */ }
  }

  function restore() {
    var rec = null;
    try { rec = JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { rec = null; }
    if (!rec || typeof rec !== "object") { return; }
    if (rec.mode === "book" && data.book) { state.mode = "book"; }
    if (rec.mode === "chapters" && hasChapterFiles) { state.mode = "chapters"; }
    if (typeof rec.rate === "number") { setRate(rec.rate); }
    if (rec.loop === true) { setLoop(true); }
    if (rec.follow === false) { setFollow(false); }
    if (typeof rec.c === "number" && typeof rec.t === "number" && chapters[rec.c]) {
      cue(rec.c, Math.max(0, rec.t), false);
      var i = lastAtOrBefore(sentenceStarts[rec.c], rec.t);
      highlight(rec.c, i, true);
    }
  }

  function setRate(r) {
    if (!(r > 0.2 && r < 4)) { return; }
    audio.defaultPlaybackRate = r;
    audio.playbackRate = r;
    var btns = document.querySelectorAll("button[data-rate]");
    for (var k = 0; k < btns.length; k++) {
      btns[k].setAttribute("aria-pressed", String(Number(btns[k].dataset.rate) === r));
    }
  }

  function setLoop(on) {
    state.loop = on;
    loopBtn.setAttribute("aria-pressed", String(on));
  }

  function setFollow(on) {
    state.follow = on;
    followBtn.setAttribute("aria-pressed", String(on));
  }

  function updateTimestamps() {
    var list = document.querySelectorAll("button.ts");
    for (var k = 0; k < list.length; k++) {
      var b = list[k], c = Number(b.dataset.c), t = Number(b.dataset.t);
      var src = sourceFor(c);
      b.textContent = fmt((src ? src.offset : 0) + t);
    }
    if (modeBtn) {
      modeBtn.textContent = state.mode === "book" ? "分章" : "全书";
      modeBtn.setAttribute("aria-label", state.mode === "book" ? "改为分章播放" : "改为全书播放");
    }
  }

  function switchMode() {
    if (!(data.book && hasChapterFiles)) { return; }
    var playing = !audio.paused;
    var loc = locate(currentTime());
    state.mode = state.mode === "book" ? "chapters" : "book";
    updateTimestamps();
    if (loc) { cue(loc.c, loc.t, playing); } else { save(true); }
  }

  function step(delta) {
    var cur = state.cur;
    var c = cur ? cur.c : 0, i = cur ? cur.i + delta : 0;
    while (chapters[c] && (i < 0 || i >= chapters[c].sentences.length)) {
      if (i < 0) {
        c -= 1;
        if (!chapters[c]) { return; }
        i = chapters[c].sentences.length - 1;
      } else { c += 1; i = 0; }
    }
    if (chapters[c]) { playSentence(c, i); }
  }

  // Tapping (or Enter/Space on) a sentence plays from its start.
  var text = document.getElementById("text");
  function activate(target) {
    var el = target.closest ? target.closest(".s, button.ts") : null;
    if (!el || !text.contains(el)) { return false; }
    var c = Number(el.dataset.c);
    if (el.classList.contains("ts")) {
      var t = Number(el.dataset.t);
      if (cue(c, t, true)) { highlight(c, lastAtOrBefore(sentenceStarts[c], t), true); }
    } else {
      playSentence(c, Number(el.dataset.i));
    }
    return true;
  }
  text.addEventListener("click", function (ev) {
    var sel = window.getSelection ? String(window.getSelection()) : "";
    if (sel.length > 0) { return; }  // let people select text to copy it
    activate(ev.target);
  });
  text.addEventListener("keydown", function (ev) {
    if ((ev.key === "Enter" || ev.key === " ") && ev.target.classList &&
        ev.target.classList.contains("s")) {
      ev.preventDefault();
      activate(ev.target);
    }
  });

  audio.addEventListener("loadedmetadata", function () {
    if (state.pendingSeek !== null) {
      var t = state.pendingSeek;
      state.pendingSeek = null;
      audio.currentTime = t;
    }
    audio.playbackRate = audio.defaultPlaybackRate;
  });
  audio.addEventListener("timeupdate", function () { sync(); save(false); });
  audio.addEventListener("seeked", sync);
  audio.addEventListener("pause", function () { save(true); });
  audio.addEventListener("ended", function () {
    if (state.chapter < 0) { return; }
    for (var c = state.chapter + 1; c < chapters.length; c++) {
      if (cue(c, 0, true)) { return; }
    }
  });
  window.addEventListener("pagehide", function () { save(true); });

  var rateBtns = document.querySelectorAll("button[data-rate]");
  for (var k = 0; k < rateBtns.length; k++) {
    rateBtns[k].addEventListener("click", function (ev) {
      setRate(Number(ev.currentTarget.dataset.rate));
      save(true);
    });
  }
  loopBtn.addEventListener("click", function () { setLoop(!state.loop); save(true); });
  followBtn.addEventListener("click", function () { setFollow(!state.follow); save(true); });
  document.getElementById("prev").addEventListener("click", function () { step(-1); });
  document.getElementById("next").addEventListener("click", function () { step(1); });
  if (modeBtn && data.book && hasChapterFiles) {
    modeBtn.hidden = false;
    modeBtn.addEventListener("click", switchMode);
  }

  if ("mediaSession" in navigator) {
    var handlers = {
      seekbackward: function () { seek(Math.max(0, audio.currentTime - 10)); },
      seekforward: function () { seek(audio.currentTime + 10); },
      previoustrack: function () { step(-1); },
      nexttrack: function () { step(1); }
    };
    Object.keys(handlers).forEach(function (name) {
      try { navigator.mediaSession.setActionHandler(name, handlers[name]); } catch (e) { /* */ }
    });
  }

  // Chapters that cannot be heard in any mode are shown as plain text.
  chapters.forEach(function (ch, c) {
    if (!ch.url && !data.book) {
      var list = document.querySelectorAll('.s[data-c="' + c + '"]');
      for (var k = 0; k < list.length; k++) { list[k].classList.add("nosrc"); }
    }
  });

  // Keep the end of the text scrollable above the fixed player bar, whatever its height.
  var bar = document.getElementById("bar");
  function padForBar() { document.body.style.paddingBottom = (bar.offsetHeight + 24) + "px"; }
  padForBar();
  if (typeof ResizeObserver !== "undefined") { new ResizeObserver(padForBar).observe(bar); }
  window.addEventListener("resize", padForBar);

  setRate(1);
  restore();
  updateTimestamps();
  if (state.url === null) {
    for (var c = 0; c < chapters.length; c++) {
      var src = sourceFor(c);
      if (src) { load(src); showNow(c); setMediaSession(c); break; }
    }
  }
  // For tests and debugging: what the player is doing.
  window.audiopackPlayer = {
    state: function () {
      return { mode: state.mode, url: state.url, chapter: state.chapter, cur: state.cur };
    },
    playSentence: playSentence,
    switchMode: switchMode
  };
}());
