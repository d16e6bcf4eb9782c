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
