/* Webinar pages: the times also in the visitor's own zone, as the browser knows it.
   Without JavaScript the page already names the times in the webinar's zone (and, for a
   signed-in member, in theirs); this only adds a line, so nothing is lost without it. */
(function () {
  "use strict";

  // "Tuesday 3 June 2031, 14:00", or "14:00" alone: as the page writes the webinar's own times.
  function parts(date, zone) {
    var found = {};
    new Intl.DateTimeFormat("en-GB", {
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: zone
    }).formatToParts(date).forEach(function (part) {
      found[part.type] = part.value;
    });
    return found;
  }

  function day(date, zone) {
    var p = parts(date, zone);
    return p.weekday + " " + p.day + " " + p.month + " " + p.year;
  }

  function format(date, zone, withDay) {
    var p = parts(date, zone);
    var time = p.hour + ":" + p.minute;
    return withDay ? day(date, zone) + ", " + time : time;
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
    var sameDay = day(start, zone) === day(end, zone);
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
