/* /enrol/: the hospital search box becomes a combobox (the WAI-ARIA 1.2 pattern, list
   autocomplete) fed by /enrol/hospitals/; the hospital chosen becomes the checked radio button
   the form posts. Without JavaScript the same form works in two steps ("Find my hospital").
   Served by the site itself: no library, nothing fetched from elsewhere. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 200;

  function labelOf(hospital) {
    return hospital.city ? hospital.name + ", " + hospital.city : hospital.name;
  }

  function foundMessage(total, shown) {
    if (total === 0) {
      return "No hospital found. Check the spelling or type less; if your hospital is not in the list, propose it below.";
    }
    if (total === 1) {
      return "1 hospital found.";
    }
    if (total > shown) {
      return total + " hospitals found; the first " + shown + " are shown. Type more of the name or the city to narrow the list.";
    }
    return total + " hospitals found.";
  }

  function HospitalCombobox(finder) {
    this.country = finder.querySelector("#id_country");
    this.input = finder.querySelector("#id_hospital_query");
    this.findButton = finder.querySelector("[data-find-button]");
    this.matches = finder.querySelector("[data-hospital-matches]");
    this.summary = finder.querySelector("[data-results-summary]");
    this.url = finder.getAttribute("data-search-url");
    this.results = [];
    this.active = -1;
    this.timer = null;
    this.controller = null;
    this.pending = null;
    this.shownKey = null;
    this.build();
    this.bind();
  }

  HospitalCombobox.prototype.build = function () {
    var input = this.input;
    this.listbox = document.createElement("ul");
    this.listbox.id = "hospital-listbox";
    this.listbox.className = "combobox-listbox";
    this.listbox.setAttribute("role", "listbox");
    this.listbox.setAttribute("aria-label", "Hospitals found");
    this.listbox.hidden = true;
    // A polite live region, in the page before anything is written into it.
    this.status = document.createElement("p");
    this.status.id = "hospital-search-status";
    this.status.className = "form-hint combobox-status";
    this.status.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", this.listbox);
    this.listbox.insertAdjacentElement("afterend", this.status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.listbox.id);
    input.setAttribute("autocomplete", "off");
    if (this.findButton) {
      this.findButton.hidden = true;
    }
    if (this.summary && !this.matches.querySelector("input")) {
      this.summary.textContent =
        "Type in the search box above and choose your hospital from the list that opens; your choice shows here.";
    }
  };

  HospitalCombobox.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("input", function () {
      self.forgetChoice();
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.search(false); }, DEBOUNCE_MS);
    });
    this.input.addEventListener("keydown", function (event) { self.onKey(event); });
    this.input.addEventListener("blur", function () { self.close(); });
    this.country.addEventListener("change", function () {
      self.shownKey = null;
      self.results = [];
      self.listbox.textContent = "";
      self.close();
      self.forgetChoice();
      if (self.input.value.trim()) {
        self.search(false);
      }
    });
    // Keep focus in the input while an option is clicked.
    this.listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    this.listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) {
        self.choose(Number(option.getAttribute("data-index")));
      }
    });
  };

  HospitalCombobox.prototype.isOpen = function () {
    return this.input.getAttribute("aria-expanded") === "true";
  };

  HospitalCombobox.prototype.open = function () {
    if (this.results.length) {
      this.listbox.hidden = false;
      this.input.setAttribute("aria-expanded", "true");
    }
  };

  HospitalCombobox.prototype.close = function () {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.setActive(-1);
  };

  HospitalCombobox.prototype.setActive = function (index) {
    var options = this.listbox.children;
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    this.active = index;
    if (index >= 0 && options[index]) {
      this.input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  HospitalCombobox.prototype.onKey = function (event) {
    var count = this.results.length;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!this.isOpen()) {
          this.search(true).then(function (self) {
            if (self && !event.altKey) { self.setActive(0); }
          });
        } else if (count) {
          this.setActive((this.active + 1) % count);
        }
        break;
      case "ArrowUp":
        event.preventDefault();
        if (!this.isOpen()) {
          this.search(true).then(function (self) {
            if (self) { self.setActive(self.results.length - 1); }
          });
        } else if (count) {
          this.setActive(this.active <= 0 ? count - 1 : this.active - 1);
        }
        break;
      case "Enter":
        // Enter chooses, or searches at once; it never sends the form from this box.
        event.preventDefault();
        if (this.isOpen() && this.active >= 0) {
          this.choose(this.active);
        } else {
          clearTimeout(this.timer);
          this.search(true);
        }
        break;
      case "Escape":
        if (this.isOpen()) {
          event.preventDefault();
          this.close();
        } else if (this.input.value) {
          event.preventDefault();
          this.input.value = "";
          this.forgetChoice();
        }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  };

  /* Fetch the hospitals for the country and text typed; resolves to this combobox once the
     list is shown (null if nothing could be shown). */
  HospitalCombobox.prototype.search = function (openNow) {
    var self = this;
    var code = this.country.value;
    var query = this.input.value.trim();
    if (!code) {
      this.close();
      this.status.textContent = "Choose the country of your hospital first.";
      return Promise.resolve(null);
    }
    var key = code + "\n" + query;
    if (key === this.shownKey) {
      this.open();
      return Promise.resolve(this.results.length ? this : null);
    }
    if (this.controller) {
      this.controller.abort();
    }
    this.controller = new AbortController();
    var params = new URLSearchParams({ country: code, q: query });
    this.pending = key;
    return fetch(this.url + "?" + params.toString(), {
      signal: this.controller.signal,
      credentials: "omit",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (self.pending !== key) { return null; }
        self.show(data, key);
        if (openNow || document.activeElement === self.input) { self.open(); }
        return self.results.length ? self : null;
      })
      .catch(function (error) {
        if (error.name === "AbortError") { return null; }
        self.close();
        self.status.textContent = "The search is not answering. Press “Find my hospital” to search without it.";
        if (self.findButton) { self.findButton.hidden = false; }
        return null;
      });
  };

  HospitalCombobox.prototype.show = function (data, key) {
    this.shownKey = key;
    this.results = data.hospitals || [];
    this.listbox.textContent = "";
    for (var i = 0; i < this.results.length; i++) {
      var option = document.createElement("li");
      option.id = "hospital-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(i));
      option.textContent = labelOf(this.results[i]);
      this.listbox.appendChild(option);
    }
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    this.status.textContent = foundMessage(data.total || 0, this.results.length);
    if (!this.results.length) { this.close(); }
  };

  HospitalCombobox.prototype.choose = function (index) {
    var hospital = this.results[index];
    if (!hospital) { return; }
    var label = labelOf(hospital);
    this.input.value = label;
    this.close();
    this.shownKey = null;
    this.matches.textContent = "";
    var choice = document.createElement("div");
    choice.className = "form-choice";
    var radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "hospital";
    radio.id = "id_hospital_0";
    radio.value = String(hospital.id);
    radio.checked = true;
    var radioLabel = document.createElement("label");
    radioLabel.htmlFor = radio.id;
    radioLabel.textContent = label;
    choice.appendChild(radio);
    choice.appendChild(document.createTextNode(" "));
    choice.appendChild(radioLabel);
    this.matches.appendChild(choice);
    if (this.summary) {
      this.summary.textContent = "You chose " + label + ". To change it, search again above.";
    }
    this.status.textContent = "You chose " + label + ".";
  };

  /* Typing again, or another country, undoes the choice and the hospitals found before. */
  HospitalCombobox.prototype.forgetChoice = function () {
    if (this.matches.querySelector("input")) {
      this.matches.textContent = "";
      if (this.summary) {
        this.summary.textContent = "Choose your hospital from the list that opens under the search box.";
      }
    }
  };

  function start() {
    if (!window.fetch || !window.URLSearchParams || !window.AbortController) { return; }
    var finders = document.querySelectorAll("[data-hospital-finder]");
    for (var i = 0; i < finders.length; i++) {
      if (finders[i].querySelector("#id_country") && finders[i].querySelector("#id_hospital_query")) {
        new HospitalCombobox(finders[i]);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
