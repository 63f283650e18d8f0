/* Webinar pages: the times also in the visitor's own zone, as the browser knows it.
   Without JavaScript the page already names the times in the webinar's zone (and, for a
   signed-in member, in theirs); this only adds a line, so nothing is lost without it. */
(function () {
  "use strict";

  function format(date, zone, withDay) {
    var options = { hour: "2-digit", minute: "2-digit", timeZone: zone, hourCycle: "h23" };
    if (withDay) {
      options.weekday = "long";
      options.day = "numeric";
      options.month = "long";
      options.year = "numeric";
    }
    return new Intl.DateTimeFormat("en-GB", options).format(date);
  }

  function show(element) {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return;
    }
    if (!zone || zone === element.getAttribute("data-event-zone")) {
      return;
    }
    var start = new Date(element.getAttribute("data-start"));
    var end = new Date(element.getAttribute("data-end"));
    if (isNaN(start.getTime()) || isNaN(end.getTime())) {
      return;
    }
    var sameDay = format(start, zone, true).split(",")[0] === format(end, zone, true).split(",")[0];
    var text = "In your time zone (" + zone + "): ";
    var first = document.createElement("time");
    first.setAttribute("datetime", start.toISOString());
    first.textContent = format(start, zone, true);
    var second = document.createElement("time");
    second.setAttribute("datetime", end.toISOString());
    second.textContent = format(end, zone, !sameDay);
    element.textContent = text;
    element.appendChild(first);
    element.appendChild(document.createTextNode("–"));
    element.appendChild(second);
    element.hidden = false;
  }

  function start() {
    var elements = document.querySelectorAll("[data-visitor-time]");
    for (var i = 0; i < elements.length; i += 1) {
      show(elements[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
