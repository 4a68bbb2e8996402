// Ławka's progressive enhancement. Every page works without this file; it only marks
// that scripts run, and later features import their live modules from here.
document.documentElement.classList.add("js");
