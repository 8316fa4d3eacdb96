// Autosave for the concern flow and corrections: what the user types is sent to the server (a
// JSON post, with the page's CSRF token in a header) a moment after they stop typing, and when
// they leave the page. The server keeps it encrypted in their draft, so a long account survives
// a closed tab, a lost connection or an expired session.
//
// These are background requests: the server does not count them as activity, so autosave
// never keeps an idle session alive. Loaded from a file: the CSP allows no inline JavaScript.

const DELAY_MS = 1500
const SKIP_TYPES = ['password', 'file', 'submit', 'button', 'reset', 'hidden']

function collect (form) {
  const fields = {}
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.name === 'csrf_token' || el.name === 'action') continue
    const type = (el.type || '').toLowerCase()
    if (SKIP_TYPES.includes(type)) continue
    if (!(el.name in fields)) fields[el.name] = []
    if (type === 'checkbox' || type === 'radio') {
      if (el.checked) fields[el.name].push(el.value)
    } else {
      fields[el.name].push(el.value)
    }
  }
  return fields
}

function time () {
  const now = new Date()
  return now.toLocaleTimeString('en-GB', { hour: 'numeric', minute: '2-digit' })
}

function start (form) {
  const url = form.dataset.autosaveUrl
  const step = form.dataset.autosaveStep
  const token = form.dataset.csrfToken
  const status = document.querySelector('[data-autosave-status]')
  if (!url || !step) return
  let timer = null
  let last = JSON.stringify({ step, fields: collect(form) })
  let signedOut = false

  function say (text) {
    if (status) status.textContent = text
  }

  async function save (leaving) {
    timer = null
    if (signedOut) return
    const fields = collect(form)
    const body = JSON.stringify({ step, fields })
    if (body === last) return
    try {
      const response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        keepalive: Boolean(leaving),
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': token },
        body
      })
      if (response.status === 401) {
        signedOut = true
        say('You have been signed out. What you typed has been kept: sign in again to carry on.')
        return
      }
      if (!response.ok) throw new Error('not saved')
      last = body
      say(`Draft saved at ${time()}`)
    } catch (e) {
      if (!leaving) say('Your draft could not be saved just now. It will be saved when you continue.')
    }
  }

  function later () {
    if (timer) window.clearTimeout(timer)
    timer = window.setTimeout(() => save(false), DELAY_MS)
  }

  form.addEventListener('input', later)
  form.addEventListener('change', later)
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') save(true)
  })
  window.addEventListener('pagehide', () => save(true))
  // Do not autosave over the step's own post.
  form.addEventListener('submit', () => { signedOut = true; if (timer) window.clearTimeout(timer) })
}

for (const form of document.querySelectorAll('form[data-module="concern-autosave"]')) start(form)
