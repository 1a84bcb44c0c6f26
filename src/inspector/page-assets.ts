/**
 * The page's files, served as they are (no build step, no template): the HTML has no inline script
 * or style, so the Content-Security-Policy can allow only files of the page's own origin. The
 * script builds every element with textContent, never HTML, because delivery bodies and headers
 * come from whoever can reach the webhook URL.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>sendtalk-verify</title>
<link rel="icon" href="icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="style.css">
<script src="app.js" defer></script>
</head>
<body>
<main>
<header>
<h1>sendtalk-verify</h1>
<p id="mode" class="muted">Connecting…</p>
</header>
<section class="card" aria-labelledby="state-heading">
<h2 id="state-heading">State</h2>
<p id="status" class="status" data-status="starting" role="status" aria-live="polite">Starting…</p>
<p id="note"></p>
<p id="countdown"></p>
<p id="connection" class="muted" role="alert"></p>
</section>
<section id="verification" class="card" aria-labelledby="verification-heading" hidden>
<h2 id="verification-heading"></h2>
<img id="qr" alt="QR code of the WhatsApp link below" width="296" height="296">
<dl>
<dt>Link</dt><dd><a id="link" rel="noreferrer noopener"></a></dd>
<dt>Message</dt><dd id="message"></dd>
<dt>ID</dt><dd id="verification-id"></dd>
<dt>Phone</dt><dd id="phone"></dd>
</dl>
<p id="instruction" class="muted"></p>
</section>
<section class="card" aria-labelledby="webhook-heading">
<h2 id="webhook-heading">Webhook</h2>
<dl>
<dt>URL</dt><dd id="webhook-url">…</dd>
<dt id="tunnel-label" hidden>Tunnel</dt><dd id="tunnel" hidden></dd>
<dt>Deliveries</dt><dd id="counts">none yet</dd>
</dl>
<ol id="deliveries" class="deliveries" aria-label="Deliveries, newest first"></ol>
<p id="hidden" class="muted" hidden></p>
</section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `*{box-sizing:border-box}
:root{--text:#1b1b1b;--muted:#4a5260;--page:#f4f5f7;--card:#fff;--line:#d0d4da;--link:#0b4fa8;--pill:#e8eaee;--good:#0b5a26;--good-bg:#dcf3e3;--bad:#8a1111;--bad-bg:#fbe3e3;--wait:#5c4200;--wait-bg:#fff1c9}
/* The dark theme changes only these colours: the QR code keeps its own white square (see #qr). */
@media (prefers-color-scheme:dark){:root{--text:#e6e8eb;--muted:#aab2bd;--page:#121417;--card:#1c1f24;--line:#3a414b;--link:#8ab4ff;--pill:#2c3139;--good:#8fe0a8;--good-bg:#143d24;--bad:#ffaaaa;--bad-bg:#4a1a1a;--wait:#ffe08a;--wait-bg:#4a3b0c}}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--text);background:var(--page)}
main{max-width:42rem;margin:0 auto;padding:1rem}
h1{font-size:1.25rem;margin:0}
h2{font-size:1.05rem;margin:0 0 .5rem}
h3{font-size:.9rem;margin:.5rem 0 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem;margin:1rem 0}
.muted{color:var(--muted)}
.status{display:inline-block;font-weight:600;padding:.2rem .6rem;border-radius:1rem;background:var(--pill);color:var(--text);margin:0}
.status[data-status=verified]{background:var(--good-bg);color:var(--good)}
.status[data-status=not-verified],.status[data-status=timeout],.status[data-status=expired],.status[data-status=failed]{background:var(--bad-bg);color:var(--bad)}
.status[data-status=waiting],.status[data-status=listening]{background:var(--wait-bg);color:var(--wait)}
/* Phone readers want dark modules on a light square with a quiet zone, whatever the theme: the SVG
   draws its quiet zone in white, and the white behind it shows while it loads. */
#qr{display:block;width:min(100%,296px);height:auto;margin:0 auto 1rem;image-rendering:pixelated;background:#fff;color-scheme:light}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .75rem;margin:0}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
a{color:var(--link)}
a:focus-visible,summary:focus-visible{outline:3px solid var(--link);outline-offset:2px}
.deliveries{list-style:none;padding:0;margin:1rem 0 0}
.deliveries li{border-top:1px solid var(--line);padding:.5rem 0}
/* A path or verdict of any length wraps inside the card rather than widening it. */
summary{cursor:pointer;overflow-wrap:anywhere}
.verdict{font-weight:600}
.accepted .verdict{color:var(--good)}
.refused .verdict{color:var(--bad)}
.reason-line,.user-agent,.ua-warning{display:block}
.ua-warning{color:var(--wait)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--page);padding:.5rem;border-radius:.25rem;font-size:.875rem;margin:.25rem 0}
@media (max-width:30rem){main{padding:.5rem}.card{padding:.75rem}dl{grid-template-columns:1fr}dt{margin-top:.25rem}}
`;

export const PAGE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b5a26"/><path d="M4 8.5l2.5 2.5L12 5.5" stroke="#fff" stroke-width="2" fill="none"/></svg>
`;

export const PAGE_JS = `'use strict';
(function () {
  var LABELS = {
    starting: 'Starting…',
    waiting: 'Waiting for the verified webhook',
    created: 'Created (not waiting for the webhook)',
    verified: 'Verified',
    'not-verified': 'Not verified',
    timeout: 'Timed out',
    expired: 'Expired',
    listening: 'Listening for deliveries',
    stopped: 'Stopped',
    failed: 'Failed'
  };
  var NOTES = {
    timeout: 'No verified webhook came in time.',
    expired: 'The verification expired before the verified webhook came.',
    'not-verified': 'The webhook said the verification did not succeed.'
  };
  var state = null;
  var skew = 0;
  var timer = null;
  var qrFor = null;
  // The page keeps what the server keeps (the snapshot says how many): older deliveries are counted, not shown.
  var keep = 200;
  var shown = Object.create(null);
  var shownCount = 0;

  function el(id) { return document.getElementById(id); }
  function text(id, value) { el(id).textContent = value == null ? '' : String(value); }
  function make(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content != null) node.textContent = String(content);
    return node;
  }

  function render(s) {
    state = s;
    skew = s.now ? s.now - Date.now() : 0;
    text('mode', s.mode === 'create' ? 'create: a WhatsApp verification' + (s.sandbox ? ' (sandbox)' : '') : 'listen: webhook deliveries');
    var status = el('status');
    status.dataset.status = s.status;
    status.textContent = LABELS[s.status] || s.status;
    document.title = (LABELS[s.status] || s.status) + ' · sendtalk-verify';
    text('note', s.note || NOTES[s.status] || '');
    text('webhook-url', s.webhookUrl || '…');
    el('tunnel-label').hidden = el('tunnel').hidden = !s.tunnel;
    text('tunnel', s.tunnel || '');
    text('counts', s.accepted + ' accepted, ' + s.refused + ' refused');
    var v = s.verification;
    el('verification').hidden = !v;
    if (v) {
      if (qrFor !== v.id) {
        qrFor = v.id;
        el('qr').src = 'qr.svg?id=' + encodeURIComponent(v.id);
      }
      var link = el('link');
      link.textContent = v.link;
      link.href = /^https:\\/\\//.test(v.link) ? v.link : '#';
      text('message', v.message || '');
      text('verification-id', v.id);
      text('phone', v.phone);
      var instruction = instructionFor(s);
      text('verification-heading', instruction[0]);
      text('instruction', instruction[1]);
      el('instruction').hidden = !instruction[1];
    }
    if (timer) { clearInterval(timer); timer = null; }
    if (s.deadline && !s.ended) { tick(); timer = setInterval(tick, 1000); }
    else text('countdown', '');
    showHidden();
    if (s.ended) {
      source.close();
      text('connection', 'The command has ended: this page no longer updates.');
    }
  }

  // The card asks the user to scan only while that can still verify something; once the flow is
  // over (the page stays open after the command ends) it says what became of the link instead.
  function instructionFor(s) {
    if (!s.ended || s.status === 'created') return ['Scan with the phone, or open the link on it', 'Send the message unchanged: the verification code is in it.'];
    if (s.status === 'verified') return ['Verified: nothing left to scan', ''];
    return ['Not waiting any more: run the command again for a new link', ''];
  }

  function tick() {
    var left = Math.max(0, Math.round((state.deadline - (Date.now() + skew)) / 1000));
    var m = Math.floor(left / 60);
    var sec = left % 60;
    text('countdown', 'Time left: ' + m + ':' + (sec < 10 ? '0' : '') + sec);
  }

  function size(bytes) {
    return bytes < 1024 ? bytes + ' bytes' : (bytes / 1024).toFixed(1) + ' KiB';
  }

  function showHidden() {
    var hidden = state ? state.accepted + state.refused - shownCount : 0;
    var note = el('hidden');
    note.hidden = hidden <= 0;
    note.textContent = hidden > 0 ? hidden.toLocaleString('en-US') + ' earlier deliver' + (hidden === 1 ? 'y' : 'ies') + ' not shown' : '';
  }

  // A delivery is shown once, by its number, however often it is sent: a page that reconnects gets
  // the server's snapshot again, and only what it had missed is added.
  function addDelivery(d) {
    if (shown[d.seq]) return;
    var item = make('li', d.accepted ? 'accepted' : 'refused');
    item.dataset.seq = String(d.seq);
    var details = make('details');
    var summary = make('summary');
    var time = new Date(d.receivedAt).toLocaleTimeString();
    summary.appendChild(make('span', null, '#' + d.seq + ' ' + time + ' ' + d.method + ' ' + d.path + ' → ' + d.status + ' '));
    summary.appendChild(make('span', 'verdict', d.verdict));
    // Why, once: in the summary, so it reads the same whether the delivery is open or not.
    if (d.detail) summary.appendChild(make('span', 'reason-line', 'Why: ' + d.detail));
    summary.appendChild(make('span', 'user-agent muted', 'User-Agent: ' + (d.userAgent == null ? '(none)' : d.userAgent)));
    if (d.warning) summary.appendChild(make('span', 'ua-warning', d.warning));
    details.appendChild(summary);
    var facts = [];
    if (d.verificationId) facts.push('id ' + d.verificationId);
    if (d.phone) facts.push('phone ' + d.phone);
    if (d.forward) facts.push(d.forward);
    if (facts.length) details.appendChild(make('p', 'muted', facts.join(' · ')));
    details.appendChild(make('h3', null, 'Headers'));
    details.appendChild(make('pre', 'headers', d.headers.map(function (h) { return h[0] + ': ' + h[1]; }).join('\\n')));
    details.appendChild(make('h3', null, 'Body'));
    if (d.bodyUnread) details.appendChild(make('p', 'muted body-unread', d.bodyUnread));
    else if (d.body === '') details.appendChild(make('p', 'muted body-empty', 'Empty.'));
    else details.appendChild(make('pre', 'body', d.body + (d.bodyTruncated ? '\\n…' : '')));
    if (d.bodyTruncated) details.appendChild(make('p', 'muted body-truncated', 'Truncated: ' + size(d.bodyBytes) + ' came; the start is shown.'));
    item.appendChild(details);
    var list = el('deliveries');
    list.insertBefore(item, list.firstChild);
    shown[d.seq] = item;
    shownCount++;
    while (shownCount > keep && list.lastChild) {
      delete shown[list.lastChild.dataset.seq];
      list.removeChild(list.lastChild);
      shownCount--;
    }
    showHidden();
  }

  var source = new EventSource('events');
  source.addEventListener('snapshot', function (e) {
    var snapshot = JSON.parse(e.data);
    keep = snapshot.keep;
    snapshot.deliveries.forEach(addDelivery);
    render(snapshot.state);
  });
  source.addEventListener('state', function (e) { render(JSON.parse(e.data)); });
  source.addEventListener('delivery', function (e) { addDelivery(JSON.parse(e.data)); });
  source.onopen = function () { if (!state || !state.ended) text('connection', ''); };
  source.onerror = function () {
    if (!state || !state.ended) text('connection', 'Not connected: is the command still running? Retrying…');
  };
})();
`;
