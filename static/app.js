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

// A Markdown box's Write / Preview switch (templates/_macros.html preview_switch): htmx posts the form with
// `preview` and swaps the rendered text into the box's panel; here the panel takes the text's place until Write.
// Without JavaScript, Preview reloads the page with the text kept and the preview under it.
(function () {
  "use strict";

  function show(fieldId, previewing) {
    var field = document.getElementById(fieldId);
    var panel = document.getElementById(fieldId + "-preview");
    if (!field || !panel) return;
    field.hidden = previewing;
    panel.hidden = !previewing;
    document.querySelectorAll("[data-write='" + fieldId + "']").forEach(function (button) {
      button.hidden = false;
      button.setAttribute("aria-pressed", previewing ? "false" : "true");
    });
    document.querySelectorAll("[data-preview='" + fieldId + "']").forEach(function (button) {
      button.setAttribute("aria-pressed", previewing ? "true" : "false");
    });
  }
  window.reelboardShowWrite = function (fieldId) { show(fieldId, false); };

  // Write works only with JavaScript, so only now is it shown.
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    if (!root.querySelectorAll) return;
    root.querySelectorAll("[data-write]").forEach(function (button) { button.hidden = false; });
  });

  document.addEventListener("click", function (event) {
    var write = event.target.closest && event.target.closest("[data-write]");
    if (!write) return;
    show(write.dataset.write, false);
    var field = document.getElementById(write.dataset.write);
    if (field) field.focus();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail.target;
    if (panel.matches && panel.matches(".preview") && panel.id) show(panel.id.replace(/-preview$/, ""), true);
  });

  // The thread's own reply form, cleared once its reply is in, goes back to Write.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!event.detail.successful || !form.matches || !form.matches("form[data-reset-on-success]")) return;
    form.querySelectorAll("[data-write]").forEach(function (button) {
      show(button.dataset.write, false);
      var panel = document.getElementById(button.dataset.write + "-preview");
      if (panel) panel.textContent = "";
    });
  });
})();

// Quote: select words in a post and press the Quote button that appears by them (or the post's Quote link, which
// Tab reaches) to quote them into a reply to that post, under a line naming and linking the source. With nothing
// selected, Quote takes the whole post's Markdown from the server (the no-JavaScript reply form's, GET ?quote=1).
(function () {
  "use strict";

  var BLOCKS = /^(P|LI|BLOCKQUOTE|H[1-6]|UL|OL|DIV|DETAILS)$/;
  var button = null;

  // The same form as board/markup.py quote_markdown builds for a whole post.
  function quoteMarkdown(author, sourceUrl, text) {
    var quoted = text.replace(/^\n+|\n+$/g, "").split("\n").map(function (line) {
      return line.trim() ? "> " + line : ">";
    }).join("\n");
    return "> **@" + author.replace(/_/g, "\\_") + "** [wrote](" + sourceUrl + "):\n>\n" + quoted + "\n\n";
  }

  // Selected post HTML back to Markdown enough to quote: paragraphs, line breaks, code, and spoilers kept hidden
  // (||…|| and ```spoiler blocks; the screen-reader "Spoiler:" labels left out).
  function markdownOf(node) {
    if (node.nodeType === 3) return node.data;
    if (node.nodeType !== 1 && node.nodeType !== 11) return "";
    if (node.nodeType === 1 && (node.classList.contains("visually-hidden") || /^(SUMMARY|BUTTON)$/.test(node.tagName))) {
      return "";  // screen-reader labels, the spoiler block's "Spoiler", and the Quote button itself
    }
    if (node.nodeType === 1 && node.tagName === "BR") return "\n";
    var inner = Array.prototype.map.call(node.childNodes, markdownOf).join("");
    if (node.nodeType === 11) return inner;
    if (node.classList.contains("spoiler")) return "||" + inner + "||";
    if (node.classList.contains("spoiler-block")) return "\n\n```spoiler\n" + inner.trim() + "\n```\n\n";
    if (node.tagName === "PRE") return "\n\n```\n" + inner.replace(/\n$/, "") + "\n```\n\n";
    if (node.tagName === "LI") return "\n- " + inner.trim() + "\n";
    if (BLOCKS.test(node.tagName)) return "\n\n" + inner + "\n\n";
    return inner;
  }

  function elementOf(node) { return node.nodeType === 1 ? node : node.parentElement; }

  // The selection, if it lies within one post's text: {article, range}.
  function selectedIn() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    var range = selection.getRangeAt(0);
    var common = elementOf(range.commonAncestorContainer);
    var body = common && common.closest(".post__body");
    if (!body || body.closest(".preview")) return null;
    return { article: body.closest("article.post"), range: range, body: body };
  }

  function selectedMarkdown(article) {
    var selected = selectedIn();
    if (!selected || selected.article !== article) return "";
    var text = markdownOf(selected.range.cloneContents());
    // A selection inside a spoiler copies no spoiler element: wrap it as its spoiler is.
    for (var node = elementOf(selected.range.commonAncestorContainer); node && node !== selected.body; node = node.parentElement) {
      if (node.classList.contains("spoiler")) text = "||" + text + "||";
    }
    for (node = selected.body.parentElement; node && node !== article; node = node.parentElement) {
      if (node.classList.contains("spoiler-block")) text = "```spoiler\n" + text.trim() + "\n```";
    }
    return text.replace(/[ \t]+\n/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
  }

  function quoteLink(article) { return article && article.querySelector(":scope > .post__actions [data-quote]"); }

  // The reply form's text box for the post: open on the page already, or fetched into the post's reply slot.
  function replyBox(link) {
    var id = link.dataset.quote;
    var form = document.getElementById("reply-form-" + id);
    if (form) return Promise.resolve(form.querySelector("textarea"));
    return htmx.ajax("GET", link.pathname, { target: "#reply-slot-" + id, swap: "innerHTML" }).then(function () {
      var loaded = document.getElementById("reply-form-" + id);
      return loaded && loaded.querySelector("textarea");
    });
  }

  function wholePost(link) {
    return fetch(link.href, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html;
        var box = holder.content.querySelector("textarea");
        return box ? box.value : "";
      });
  }

  function insert(box, quote) {
    if (!box || !quote) return;
    window.reelboardShowWrite(box.id);
    var current = box.value.replace(/\s+$/, "");
    box.value = current ? current + "\n\n" + quote : quote;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    box.dispatchEvent(new Event("input", { bubbles: true }));  // the character count
  }

  function quote(link) {
    var article = link.closest("article.post");
    var text = selectedMarkdown(article);
    var source = new URL(link.dataset.quoteSource, window.location.href).href;
    var quoted = text ? Promise.resolve(quoteMarkdown(link.dataset.quoteAuthor, source, text)) : wholePost(link);
    Promise.all([quoted, replyBox(link)]).then(function (done) {
      var selection = window.getSelection();
      if (selection) selection.removeAllRanges();
      insert(done[1], done[0]);
    }, function () { window.location.href = link.href; });
  }

  function hideButton() { if (button) button.hidden = true; }

  // The block of the post's text (a paragraph, list, quote…) where the selection ends.
  function blockAtEnd(range, body) {
    var node = range.endContainer;
    if (node === body) node = body.childNodes[Math.max(0, range.endOffset - 1)] || body.firstChild;
    while (node && node.parentNode !== body) node = node.parentNode;
    return node;
  }

  // The Quote button by a selection: placed right after the block the selection ends in, so that Tab from the
  // selected words reaches it next (or after the links and spoilers that follow them in that block).
  function placeButton() {
    var selected = selectedIn();
    if (!selected) {
      if (button && document.activeElement !== button) hideButton();
      return;
    }
    var link = quoteLink(selected.article);
    if (!link) return hideButton();
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "quote-selection";
      button.textContent = "Quote";
    }
    button.setAttribute("aria-label", "Quote the selected words in a reply to " + link.dataset.quoteAuthor);
    var block = blockAtEnd(selected.range, selected.body);
    if (!block) return hideButton();
    if (button.previousSibling !== block) block.after(button);
    var place = selected.range.getBoundingClientRect();
    var post = selected.article.getBoundingClientRect();
    button.style.top = Math.round(place.bottom - post.top + 6) + "px";
    button.style.left = Math.round(Math.max(0, Math.min(place.left - post.left, post.width - 90))) + "px";
    button.hidden = false;
  }

  var pending = false;
  document.addEventListener("selectionchange", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; placeButton(); });
  });

  // Pressing a Quote control must not clear the selection it is about to quote.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(".quote-selection, [data-quote]")) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var control = event.target.closest && event.target.closest(".quote-selection, [data-quote]");
    if (!control) return;
    var link = control.matches("[data-quote]") ? control : quoteLink(control.closest("article.post"));
    if (!link) return;
    event.preventDefault();
    hideButton();
    quote(link);
  });
})();
