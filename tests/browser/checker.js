// Appended to a copy of a kubesim page by check_pages.sh: writes into the
// DOM (a pre element, id kubesim-check) every table wider than its card, every
// card wider than itself, and every chart with no drawn line.
addEventListener('load', () => {
  const bad = [];
  const inner = e => {
    const s = getComputedStyle(e);
    return e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  };
  const nameOf = e => e.id || e.className || e.tagName;
  // A table fits when it, or the horizontal scroller it sits in, is no
  // wider than its card's content box.
  document.querySelectorAll('table').forEach((t, i) => {
    const card = t.closest('figure, section, header');
    const box = t.parentElement.classList.contains('scroll') ? t.parentElement : t;
    const w = box.getBoundingClientRect().width;
    if (card && w > inner(card) + 1)
      bad.push('table ' + i + ' overflows its card ' + nameOf(card) + ': ' + Math.round(w) +
               ' > ' + Math.round(inner(card)));
  });
  document.querySelectorAll('section, figure, header, main').forEach(c => {
    if (c.scrollWidth > c.clientWidth + 1)
      bad.push('card ' + nameOf(c) + ' overflows: ' + c.scrollWidth + ' > ' + c.clientWidth);
  });
  let charts = 0;
  document.querySelectorAll('svg').forEach((s, i) => {
    charts++;
    const drawn = [...s.querySelectorAll('path, polyline, circle')].some(p =>
      p.tagName !== 'path' || /[0-9.]+[ ,]+[0-9.]+/.test(p.getAttribute('d') || ''));
    const box = s.getBoundingClientRect();
    if (!drawn || box.width < 50 || box.height < 50)
      bad.push('chart ' + i + ' is empty: ' + (s.getAttribute('aria-label') || ''));
  });
  const p = document.createElement('pre');
  p.id = 'kubesim-check';
  p.textContent = 'CHARTS ' + charts + '\n' + (bad.length ? bad.map(b => 'BAD ' + b).join('\n') : 'OK') + '\n';
  document.body.appendChild(p);
});
