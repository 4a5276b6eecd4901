// Herald UI: the only script. Asks before destructive form posts (forms with data-confirm).
document.addEventListener('submit', function (ev) {
  var form = ev.target;
  var msg = form.getAttribute && form.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
document.addEventListener('click', function (ev) {
  var a = ev.target.closest && ev.target.closest('a[data-back]');
  if (a) { ev.preventDefault(); history.back(); }
});
