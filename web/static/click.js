// A clickable panel hands its `trigger` to page.js, which turns clicks on
// [n] markers, cards, checkboxes and buttons into this panel's `select` event.
const owner = element.closest('[id^="pq-"]') || element;
window.__pqTriggers = window.__pqTriggers || {};
window.__pqTriggers[owner.id] = trigger;
