/* /conferences/request/: the "Find a colleague or a hospital" box becomes a combobox (the
   WAI-ARIA 1.2 pattern, list autocomplete) fed by /conferences/request/invitees/; choosing a
   person or a hospital adds a ticked checkbox to the invitees the form posts. Without
   JavaScript the same form works with the "Find" button. Served by the site itself. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;

  function personLabel(person) {
    var text = person.name;
    if (person.hospital) { text += ", " + person.hospital; }
    if (person.country) { text += " (" + person.country + ")"; }
    return text;
  }

  function hospitalLabel(hospital) {
    var text = hospital.name;
    if (hospital.city) { text += ", " + hospital.city; }
    return text + " (" + hospital.country + ")";
  }

  function InviteePicker(picker) {
    this.picker = picker;
    this.input = picker.querySelector("#id_invitee_query");
    this.findButton = picker.querySelector("[data-find-button]");
    this.url = picker.getAttribute("data-search-url");
    this.results = [];
    this.active = -1;
    this.timer = null;
    this.controller = null;
    this.build();
    this.bind();
  }

  InviteePicker.prototype.build = function () {
    this.listbox = document.createElement("ul");
    this.listbox.id = "invitee-listbox";
    this.listbox.className = "combobox-listbox";
    this.listbox.setAttribute("role", "listbox");
    this.listbox.setAttribute("aria-label", "Colleagues and hospitals found");
    this.listbox.hidden = true;
    this.status = document.createElement("p");
    this.status.id = "invitee-search-status";
    this.status.className = "form-hint combobox-status";
    this.status.setAttribute("role", "status");
    this.input.insertAdjacentElement("afterend", this.listbox);
    this.listbox.insertAdjacentElement("afterend", this.status);
    this.input.setAttribute("role", "combobox");
    this.input.setAttribute("aria-autocomplete", "list");
    this.input.setAttribute("aria-expanded", "false");
    this.input.setAttribute("aria-controls", this.listbox.id);
    if (this.findButton) { this.findButton.hidden = true; }
  };

  InviteePicker.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("input", function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.search(false); }, DEBOUNCE_MS);
    });
    this.input.addEventListener("keydown", function (event) { self.onKey(event); });
    this.input.addEventListener("blur", function () { self.close(); });
    this.listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    this.listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { self.choose(Number(option.getAttribute("data-index"))); }
    });
  };

  InviteePicker.prototype.isOpen = function () {
    return this.input.getAttribute("aria-expanded") === "true";
  };

  InviteePicker.prototype.open = function () {
    if (this.results.length) {
      this.listbox.hidden = false;
      this.input.setAttribute("aria-expanded", "true");
    }
  };

  InviteePicker.prototype.close = function () {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.setActive(-1);
  };

  InviteePicker.prototype.setActive = function (index) {
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

  InviteePicker.prototype.onKey = function (event) {
    var count = this.results.length;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!this.isOpen()) {
          this.search(true).then(function (self) { if (self) { self.setActive(0); } });
        } else if (count) {
          this.setActive((this.active + 1) % count);
        }
        break;
      case "ArrowUp":
        event.preventDefault();
        if (this.isOpen() && count) {
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
        }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  };

  /* Resolves to this picker once a list is shown, or null. */
  InviteePicker.prototype.search = function (openNow) {
    var self = this;
    var query = this.input.value.trim();
    if (!query) {
      this.close();
      this.status.textContent = "";
      return Promise.resolve(null);
    }
    if (this.controller) { this.controller.abort(); }
    this.controller = new AbortController();
    return fetch(this.url + "?" + new URLSearchParams({ q: query }).toString(), {
      signal: this.controller.signal,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        self.show(data);
        if (openNow || document.activeElement === self.input) { self.open(); }
        return self.results.length ? self : null;
      })
      .catch(function (error) {
        if (error.name === "AbortError") { return null; }
        self.close();
        self.status.textContent = "The search is not answering. Press “Find” to search without it.";
        if (self.findButton) { self.findButton.hidden = false; }
        return null;
      });
  };

  InviteePicker.prototype.isChosen = function (kind, id) {
    return Boolean(this.picker.querySelector(
      "[data-chosen='" + kind + "'] input[value='" + String(Number(id)) + "']"
    ));
  };

  InviteePicker.prototype.show = function (data) {
    var self = this;
    this.results = [];
    (data.people || []).forEach(function (person) {
      if (!self.isChosen("people", person.id)) {
        self.results.push({ kind: "people", id: person.id, label: personLabel(person) });
      }
    });
    (data.hospitals || []).forEach(function (hospital) {
      if (!self.isChosen("hospitals", hospital.id)) {
        self.results.push({
          kind: "hospitals",
          id: hospital.id,
          label: hospitalLabel(hospital) + ": its contact persons",
        });
      }
    });
    this.listbox.textContent = "";
    this.results.forEach(function (result, i) {
      var option = document.createElement("li");
      option.id = "invitee-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(i));
      option.textContent = result.label;
      self.listbox.appendChild(option);
    });
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    var more = (data.total_people || 0) + (data.total_hospitals || 0) >
      (data.people || []).length + (data.hospitals || []).length;
    if (!this.results.length) {
      this.status.textContent = "Nobody found (or already chosen). Check the spelling, or type less.";
      this.close();
    } else {
      this.status.textContent = this.results.length + " found" +
        (more ? "; type more to narrow the list." : ". Use the arrow keys and Enter to choose.");
    }
  };

  InviteePicker.prototype.choose = function (index) {
    var result = this.results[index];
    if (!result) { return; }
    var box = this.picker.querySelector("[data-chosen='" + result.kind + "']");
    var empty = box.querySelector("[data-empty]");
    if (empty) { empty.remove(); }
    var id = (result.kind === "people" ? "chosen-person-" : "chosen-hospital-") + result.id;
    var choice = document.createElement("div");
    choice.className = "form-choice";
    var checkbox = document.createElement("input");
    checkbox.type = "checkbox";
    checkbox.name = result.kind;
    checkbox.value = String(result.id);
    checkbox.id = id;
    checkbox.checked = true;
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = result.label;
    choice.appendChild(checkbox);
    choice.appendChild(document.createTextNode(" "));
    choice.appendChild(label);
    box.appendChild(choice);
    this.input.value = "";
    this.results = [];
    this.listbox.textContent = "";
    this.close();
    this.status.textContent = "Added " + result.label + ". Search again to add someone else.";
  };

  function start() {
    if (!window.fetch || !window.URLSearchParams || !window.AbortController) { return; }
    var pickers = document.querySelectorAll("[data-invitee-picker]");
    for (var i = 0; i < pickers.length; i++) {
      if (pickers[i].querySelector("#id_invitee_query")) { new InviteePicker(pickers[i]); }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
