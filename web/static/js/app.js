// Ławka's progressive enhancement. Every page works without this file.
import { start } from "./live.js";
import "./poll.js";
import "./proposal.js";
import "./comments.js";
import "./notify.js";
import "./debate.js";
import "./consultation.js";
import "./promise.js";
import "./drafting.js";

document.documentElement.classList.add("js");

// A form that came back with errors: move focus to the summary, so screen-reader and
// keyboard users start from the list of problems (each links to its field).
const summary = document.querySelector("[data-error-summary]");
if (summary) summary.focus();

start();
