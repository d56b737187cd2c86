() => {
  // Runs once when the page loads. Everything here works by delegation, so it
  // does not matter when Gradio (re)renders a panel.
  if (window.__pqPage) return;
  window.__pqPage = true;
  const LOCALE = 'zh-CN';
  const PHONE = '(max-width: 768px)';
  // panel clicked in -> [panel whose select event fires, context panel it fills]
  const OWNERS = [
    ['#pq-chat', 'pq-sources', 'pq-context'],
    ['#pq-results', 'pq-results', 'pq-search-context'],
    ['#pq-picked', 'pq-picked', null],
  ];

  // ---- Chinese whatever the browser's language: Gradio's own strings too
  const chinese = async () => {
    const url = performance.getEntriesByType('resource').map((e) => e.name)
      .find((n) => /\/assets\/core-[\w-]+\.js(\?|$)/.test(n));
    try {
      if (url) (await import(url)).changeLocale?.(LOCALE);
    } catch (e) { /* the page stays usable in Gradio's language */ }
    document.documentElement.lang = LOCALE;
  };
  chinese();
  // Gradio's container hides overflow, which makes it the scroll box of the
  // sticky side columns (so they never stick); clip cuts the same without that.
  const container = document.querySelector('.gradio-container');
  if (container) container.style.overflow = 'clip';

  const fire = (panelId, value) => {
    const trigger = (window.__pqTriggers || {})[panelId];
    if (trigger) trigger('select', {index: value, value: value});
  };

  // ---- a context shown where the reader looks
  // the sheet's state sits on the tabs, inside the element Gradio scopes page.css to
  const sheetHolder = () => document.getElementById('pq-tabs') || document.body;
  const closeSheet = () => { delete sheetHolder().dataset.pqSheet; };
  const show = (panel, ctx) => {
    if (window.matchMedia(PHONE).matches) {
      sheetHolder().dataset.pqSheet = panel.id;  // page.css: a sheet over the lower screen
    } else {
      // the side column is sticky: scroll only if the panel is not in view already,
      // so the page does not jump away from the result just clicked
      const r = panel.getBoundingClientRect();
      if (r.top < 0 || r.top > window.innerHeight - 120) panel.scrollIntoView({block: 'nearest'});
    }
    const box = ctx.querySelector('.pq-text');
    const mark = ctx.querySelector('mark.pq-quote') || ctx.querySelector('mark.pq-passage');
    if (box && mark) {
      box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - 24;
    }
    ctx.querySelector('.pq-close')?.focus({preventScroll: true});
  };
  const reveal = (panelId, ref) => {
    const started = Date.now();
    const step = () => {
      const panel = document.getElementById(panelId);
      const ctx = panel && [...panel.querySelectorAll('.pq-context[data-pq-for]')]
        .find((e) => e.dataset.pqFor === ref);
      if (ctx) return show(panel, ctx);
      if (Date.now() - started < 20000) setTimeout(step, 40);
    };
    step();
  };

  const gotoTab = (label) => {
    closeSheet();
    const tab = [...document.querySelectorAll('[role="tab"]')]
      .find((b) => b.textContent.trim() === label);
    if (tab) tab.click();
    const target = {'文档管理': 'pq-upload-box', '段落检索': 'pq-picked'}[label];
    setTimeout(() => document.getElementById(target)?.scrollIntoView({block: 'start'}), 150);
  };

  document.addEventListener('click', (e) => {
    const t = e.target;
    if (!(t instanceof Element)) return;
    const go = t.closest('[data-pq-goto], a[href="#pq-goto-documents"]');
    if (go) {
      e.preventDefault();
      return gotoTab(go.dataset.pqGoto || '文档管理');
    }
    if (t.closest('[data-pq-close]')) return closeSheet();
    const owner = OWNERS.find(([sel]) => t.closest(sel));
    if (!owner) return;
    const [, panelId, contextId] = owner;
    const pick = t.closest('[data-pq-pick]');
    if (pick) {
      const add = pick.type === 'checkbox' && pick.checked;
      fire(panelId, (add ? '+' : '-') + pick.dataset.pqPick);
      return;
    }
    if (t.closest('label.pq-pick')) return;  // the checkbox's own label
    const link = t.closest('a[href^="#pq-"], [data-pq-ref]');
    if (!link || !contextId) return;
    e.preventDefault();
    e.stopPropagation();
    const ref = link.dataset.pqRef || link.getAttribute('href').slice(4);
    fire(panelId, ref);
    reveal(contextId, ref);
  }, true);
  // A file over the size limit is refused here, in Chinese, before Gradio's
  // English pop-up and its 错误 drop zone; the server checks again.
  const refuseBig = (e, files) => {
    const note = document.getElementById('pq-upload-check-msg');
    const max = Number(note?.dataset.pqMaxMb || 0);
    const big = [...(files || [])].filter((f) => max && f.size > max * 1024 * 1024);
    if (!big.length) {
      if (note) note.textContent = '';
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    if (e.target instanceof HTMLInputElement) e.target.value = '';
    note.replaceChildren(...big.map((f) => {
      const line = document.createElement('p');
      line.className = 'pq-bad';
      line.textContent = `✗ 未加入：${f.name}：超过 ${max} MB 的上限，请去掉该文件后重新选择。`;
      return line;
    }));
  };
  document.addEventListener('change', (e) => {
    const t = e.target;
    if (t instanceof HTMLInputElement && t.type === 'file' && t.closest('#pq-files')) {
      refuseBig(e, t.files);
    }
  }, true);
  document.addEventListener('drop', (e) => {
    if (e.target instanceof Element && e.target.closest('#pq-files')) {
      refuseBig(e, e.dataTransfer?.files);
    }
  }, true);

  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && sheetHolder().dataset.pqSheet) closeSheet();
  });

  // Gradio writes a few screen-reader names in English whatever the locale.
  const NAMES = [
    [/^number input for (.+)$/, '$1（输入数字）'],
    [/^range slider for (.+)$/, '$1（滑块）'],
    [/^Reset to default value$/, '恢复默认值'],
    [/^Click to upload or drop files$/, '点击上传或拖放文件'],
    [/^Clear( chat| conversation)?$/i, '清空'],
    [/^Remove( file)?$/i, '移除'],
    [/^Delete$/i, '删除'],
    [/^Copy( message| to clipboard)?$/i, '复制'],
    [/^Copied!?$/i, '已复制'],
    [/^Download$/i, '下载'],
    [/^Close$/i, '关闭'],
    [/^Scroll down$/i, '滚动到底部'],
    [/^Fullscreen$/i, '全屏'],
    [/^Exit fullscreen( mode)?$/i, '退出全屏'],
    [/^Dropdown$/i, '下拉选择'],
  ];
  // and a screen reader's status line, when its event started before the page was Chinese
  const STATUS = {'Loading': '加载中', 'Complete': '完成', 'Error': '错误'};
  const chineseName = (el, attr) => {
    const old = el.getAttribute(attr);
    if (!old || /[\u4e00-\u9fff]/.test(old) && !/^(number input|range slider) for/.test(old)) return;
    for (const [en, zh] of NAMES) {
      if (en.test(old)) { el.setAttribute(attr, old.replace(en, zh)); return; }
    }
  };

  // ---- after every render: local times, ticked boxes, names in Chinese
  let synced = null;
  let syncedBoxes = -1;
  const tidy = () => {
    for (const el of document.querySelectorAll('time[data-pq-local]')) {
      // idempotent: Gradio may patch the old element in place with server text
      const when = new Date(el.getAttribute('datetime'));
      if (isNaN(when)) continue;
      const shown = when.toLocaleString(LOCALE, {year: 'numeric', month: 'long',
        day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false});
      if (el.textContent !== shown) el.textContent = shown;
      if (el.title !== '本地时间') el.title = '本地时间';
    }
    const list = document.querySelector('#pq-picked [data-pq-picked]');
    const listed = list ? list.dataset.pqPicked : null;
    // only when the list changed (or new cards came): a box just ticked waits for the server
    const boxes = document.querySelectorAll('input[data-pq-chunk]').length;
    if (list && (listed !== synced || boxes !== syncedBoxes)) {
      synced = listed;
      syncedBoxes = boxes;
      const ids = new Set(listed.split(' ').filter(Boolean));
      for (const box of document.querySelectorAll('input[data-pq-chunk]')) {
        box.checked = ids.has(box.dataset.pqChunk);
      }
    }
    for (const input of document.querySelectorAll('input[type="file"]:not([aria-label="选择要上传的文件"])')) {
      input.setAttribute('aria-label', '选择要上传的文件');
    }
    for (const a of document.querySelectorAll('#pq-chatbot a[href^="#pq-"]:not([aria-label])')) {
      const n = a.getAttribute('href').split('-').pop();
      a.setAttribute('aria-label', /^\d+$/.test(n) ? `来源 ${n}：查看上下文` : '前往“文档管理”上传文件');
    }
    for (const el of document.querySelectorAll('.sr-only[role="status"]')) {
      const text = el.textContent.trim();
      if (STATUS[text]) el.textContent = STATUS[text];
    }
    for (const el of document.querySelectorAll('[aria-label], [title]')) {
      chineseName(el, 'aria-label');
      chineseName(el, 'title');
    }
    const footer = document.querySelector('footer');
    if (footer) {  // Gradio's footer: a Chinese name, no separator before its only link
      if (footer.getAttribute('aria-label') !== '页脚') footer.setAttribute('aria-label', '页脚');
      const shown = [...footer.children].filter((e) => getComputedStyle(e).display !== 'none');
      if (shown[0]?.classList.contains('divider')) shown[0].style.display = 'none';
    }
    if (document.documentElement.lang !== LOCALE) document.documentElement.lang = LOCALE;
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; tidy(); });
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
  tidy();
}
