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

// One suggestion list for two fields: the film field of the new-thread form (an ARIA 1.2 combobox on the list htmx
// fills) and every Markdown box (textarea[data-mentions]: typing @na lists members named na…). Up/Down move through
// the suggestions, Enter picks one (the film's title and year; "@name " in place of what was typed), Escape closes.
// Without JavaScript the film field is a plain text field and a Markdown box has no list.
(function () {
  "use strict";

  var FILM = "input[data-film-combobox]";
  var MENTIONS = "textarea[data-mentions]";
  var SELECTOR = FILM + ", " + MENTIONS;
  var TYPED_NAME = /(^|[^\w@\/])@([A-Za-z0-9_-]{1,30})$/;  // an @name being typed, just before the caret
  var wait = null;

  function isMentions(input) { return input.matches(MENTIONS); }
  function listFor(input) { return document.getElementById(input.getAttribute("aria-controls")); }
  function inputFor(list) {
    if (!list.matches || !list.matches(".suggestions")) return null;
    var controls = "[aria-controls='" + list.id + "']";
    return document.querySelector(FILM + controls + ", " + MENTIONS + controls);
  }
  function options(list) { return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : []; }
  function isOpen(input) { var list = listFor(input); return !!list && !list.hidden; }

  function setOpen(input, open) {
    var list = listFor(input);
    open = open && options(list).length > 0;
    if (list) list.hidden = !open;
    if (input.getAttribute("role") === "combobox") input.setAttribute("aria-expanded", open ? "true" : "false");
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

  function typedName(input) {
    return TYPED_NAME.exec(input.value.slice(0, input.selectionStart));
  }

  function pick(input, option) {
    if (isMentions(input)) {
      var typed = typedName(input);
      if (typed) {
        var start = input.selectionStart - typed[2].length - 1;
        var inserted = "@" + option.dataset.title + " ";
        input.setRangeText(inserted, start, input.selectionStart, "end");
        input.dispatchEvent(new Event("input", { bubbles: true }));  // the character count follows
      }
    } else {
      input.value = option.dataset.title;
      var year = input.form && input.form.elements[input.dataset.filmCombobox];
      if (year) year.value = option.dataset.year;
    }
    setOpen(input, false);
    input.focus();
  }

  // A Markdown box gets its (empty) list and live region the first time it is focused.
  function prepareMentions(input) {
    if (input.getAttribute("aria-controls")) return;
    var list = document.createElement("ul");
    list.className = "suggestions";
    list.id = input.id + "-mentions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Members to mention");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.id = list.id + "-status";
    status.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    input.parentElement.classList.add("combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(MENTIONS) && event.target.id) prepareMentions(event.target);
  });

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(MENTIONS) || !input.getAttribute("aria-controls")) return;
    window.clearTimeout(wait);
    var typed = typedName(input);
    if (!typed) { setOpen(input, false); return; }
    wait = window.setTimeout(function () {
      var url = input.dataset.mentions + "?q=" + encodeURIComponent(typed[2]);
      window.htmx.ajax("GET", url, { target: "#" + input.getAttribute("aria-controls"),
                                     swap: "innerHTML", select: "[role=option]" });
    }, 250);
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(SELECTOR)) return;
    var list = listFor(input);
    var all = options(list);
    var open = isOpen(input);
    var current = document.getElementById(input.getAttribute("aria-activedescendant") || "");
    var index = all.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length || (isMentions(input) && !open)) return;  // a closed list leaves the arrows to the text
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

  // New suggestions arrived: open the list if it has any (a live region says how many).
  document.addEventListener("htmx:afterSettle", function (event) {
    var input = inputFor(event.target);
    if (!input) return;
    setOpen(input, document.activeElement === input);
    if (isMentions(input)) {
      var count = options(event.target).length;
      var status = document.getElementById(event.target.id + "-status");
      if (status) status.textContent = count ? count + " member" + (count === 1 ? "" : "s") + " found" : "";
    }
  });
})();
