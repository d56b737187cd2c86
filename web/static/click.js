const scopeSel = %s;
const key = '__pq_' + (scopeSel || element.id);
window[key + '_trigger'] = trigger;
const root = scopeSel ? document : element;
if (!(scopeSel && window[key + '_bound'])) {
  window[key + '_bound'] = true;
  const fire = (e) => {
    const t = e.target.closest('a[href^="#pq-"], [data-pq-ref]');
    if (!t || (scopeSel && !t.closest(scopeSel))) return;
    if (e.type === 'keydown' && e.key !== 'Enter') return;
    e.preventDefault(); e.stopPropagation();
    const ref = t.getAttribute('data-pq-ref') || t.getAttribute('href').slice(4);
    window[key + '_trigger']('select', {index: ref, value: ref});
  };
  root.addEventListener('click', fire, true);
  root.addEventListener('keydown', fire, true);
}
