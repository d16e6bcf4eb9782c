// Small progressive enhancements on top of htmx. Everything here has a no-JavaScript path.
(function () {
  "use strict";

  var toast = function () { return document.getElementById("toast"); };

  // An htmx request that failed (403, 404, 413, 429, 5xx, or no connection) is announced, never silent.
  function announce(message) {
    var region = toast();
    if (!region) return;
    region.textContent = message;
    region.hidden = false;
    window.clearTimeout(region._timer);
    region._timer = window.setTimeout(function () { region.hidden = true; }, 8000);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var holder = document.createElement("template");
    holder.innerHTML = xhr.responseText || "";
    var text = holder.content.textContent.trim();
    announce(text || "That didn't work (" + xhr.status + "). Please try again.");
  });

  document.addEventListener("htmx:sendError", function () {
    announce("Could not reach the board. Check your connection and try again.");
  });

  // The thread's own reply form stays on the page: clear it once its reply is in.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("form[data-reset-on-success]")) {
      form.reset();
    }
  });

  // Cancel on an in-place reply form closes it and returns focus to the post's Reply link.
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-cancel-reply]");
    if (!cancel) return;
    var slot = cancel.closest(".reply-slot");
    if (!slot) return;
    event.preventDefault();
    var post = slot.closest(".post");
    slot.innerHTML = "";
    var reply = post && post.querySelector(".post__actions a.action");
    if (reply) reply.focus();
  });
})();

// A field with a character limit shows its count as the member types (the server checks the same count and
// keeps the text when it is over; the field has no maxlength, which would cut a pasted essay silently).
(function () {
  "use strict";

  var ASTRAL = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
  var format = new Intl.NumberFormat("en");

  // Characters as the server counts them: code points (an emoji is one), a line break is one.
  function characters(text) {
    var pairs = text.match(ASTRAL);
    return text.length - (pairs ? pairs.length : 0);
  }

  function update(field) {
    var counter = document.querySelector("[data-character-count='" + field.id + "']");
    if (!counter) return;
    var limit = Number(counter.dataset.limit);
    var length = characters(field.value);
    var over = length - limit;
    counter.querySelector("[data-count]").textContent = format.format(length);
    counter.classList.toggle("character-count--over", over > 0);
    var status = counter.querySelector("[data-over]");
    var message = over > 0 ? ", " + format.format(over) + " over the limit" : "";
    if (status.textContent !== message) status.textContent = message;  // the live region speaks only on a change
  }

  var pending = null;
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.id || !field.matches || !field.matches("textarea, input")) return;
    if (pending === field) return;
    pending = field;
    window.requestAnimationFrame(function () { pending = null; update(field); });  // once a frame, however fast the typing
  });
})();

// The film field of the new-thread form: the ARIA 1.2 combobox keyboard on the list htmx fills
// (Up/Down move through the films, Enter picks one and fills title and year, Escape closes).
// Without JavaScript it is a plain text field.
(function () {
  "use strict";

  var SELECTOR = "input[data-film-combobox]";

  function listFor(input) { return document.getElementById(input.getAttribute("aria-controls")); }
  function inputFor(list) {
    if (!list.matches || !list.matches(".suggestions")) return null;
    return document.querySelector(SELECTOR + "[aria-controls='" + list.id + "']");
  }
  function options(list) { return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : []; }

  function setOpen(input, open) {
    var list = listFor(input);
    open = open && options(list).length > 0;
    if (list) list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) setActive(input, null);
  }

  function setActive(input, option) {
    options(listFor(input)).forEach(function (each) {
      each.setAttribute("aria-selected", each === option ? "true" : "false");
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function pick(input, option) {
    input.value = option.dataset.title;
    var year = input.form && input.form.elements[input.dataset.filmCombobox];
    if (year) year.value = option.dataset.year;
    setOpen(input, false);
    input.focus();
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(SELECTOR)) return;
    var list = listFor(input);
    var all = options(list);
    var open = input.getAttribute("aria-expanded") === "true";
    var current = document.getElementById(input.getAttribute("aria-activedescendant") || "");
    var index = all.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) return;
      event.preventDefault();
      if (!open) setOpen(input, true);
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : (index + step + all.length) % all.length;
      setActive(input, all[next]);
    } else if (event.key === "Enter" && open && current) {
      event.preventDefault();
      pick(input, current);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      setOpen(input, false);
    }
  });

  // A click picks too; mousedown is cancelled so the field keeps focus.
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".suggestions [role=option]");
    if (option) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".suggestions [role=option]");
    if (!option) return;
    var input = inputFor(option.parentElement);
    if (input) pick(input, option);
  });

  document.addEventListener("focusout", function (event) {
    if (event.target.matches && event.target.matches(SELECTOR)) setOpen(event.target, false);
  });

  // New suggestions arrived: open the list if it has any (the live region says how many).
  document.addEventListener("htmx:afterSettle", function (event) {
    var input = inputFor(event.target);
    if (input) setOpen(input, document.activeElement === input);
  });
})();

// Thread lines: the button in a reply's gutter collapses the reply with everything under it (aria-expanded says
// which), and the collapsed replies are remembered for this tab's session (sessionStorage). Without JavaScript the
// buttons stay hidden and every reply shows. A link to a post inside a collapsed reply opens the way to it.
(function () {
  "use strict";

  var KEY = "reelboard:collapsed";
  var KEEP = 500;  // the most recent collapsed replies remembered

  function remembered() {
    try {
      var ids = JSON.parse(window.sessionStorage.getItem(KEY) || "[]");
      return Array.isArray(ids) ? ids : [];
    } catch (error) {
      return [];
    }
  }

  function remember(id, collapsed) {
    var ids = remembered().filter(function (each) { return each !== id; });
    if (collapsed) ids.push(id);
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify(ids.slice(-KEEP)));
    } catch (error) { /* storage full or off: the page still folds, it just forgets */ }
  }

  function collapse(button, collapsed) {
    var reply = button.parentElement;
    var under = Number(button.dataset.replies) || 0;
    reply.classList.toggle("is-collapsed", collapsed);
    button.setAttribute("aria-expanded", collapsed ? "false" : "true");
    reply.dataset.note = under ? under + (under === 1 ? " reply" : " replies") + " folded" : "Folded";
  }

  // Every collapsed reply around the element, opened (and forgotten): a link or a "show" led the reader here.
  function reveal(element) {
    var reply = element && element.closest(".reply.is-collapsed");
    while (reply) {
      var button = reply.querySelector(":scope > button.thread-line");
      if (button) {
        collapse(button, false);
        remember(button.dataset.post, false);
      }
      reply = reply.parentElement.closest(".reply.is-collapsed");
    }
  }

  function revealTarget() {
    var id = window.location.hash.slice(1);
    if (!id) return;
    try { reveal(document.getElementById(decodeURIComponent(id))); } catch (error) { /* a malformed hash */ }
  }

  function enhance(root) {
    var collapsed = remembered();
    Array.prototype.forEach.call(root.querySelectorAll("button.thread-line[hidden]"), function (button) {
      button.hidden = false;
      if (collapsed.indexOf(button.dataset.post) >= 0) collapse(button, true);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.thread-line");
    if (!button) return;
    var collapsed = button.getAttribute("aria-expanded") === "true";
    collapse(button, collapsed);
    remember(button.dataset.post, collapsed);
  });

  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
  window.addEventListener("hashchange", revealTarget);
  enhance(document);
  revealTarget();
})();
