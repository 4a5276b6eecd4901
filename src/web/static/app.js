// Herald UI: the only script. Asks before destructive form posts (forms with data-confirm);
// "Go back" links (a[data-back], whose href is a plain fallback) go back in history.
document.addEventListener('submit', function (ev) {
  var form = ev.target;
  var msg = form.getAttribute && form.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
document.addEventListener('click', function (ev) {
  var a = ev.target.closest && ev.target.closest('a[data-back]');
  if (a) { ev.preventDefault(); history.back(); }
});
