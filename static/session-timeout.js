// Session-timeout warning, following the HMRC and DWP patterns (GOV.UK has no component yet).
//
// - Two minutes before the session ends, a modal dialog says so, with a countdown.
// - "Stay signed in" (or Escape) sends a POST that restarts the server-side idle timer.
// - Before warning, the script asks the server how long is left (a background request that
//   never extends the session), so a user busy in another tab is not warned here.
// - When time runs out, what the user had typed into forms on the page is kept in this tab's
//   sessionStorage, the session is ended on the server, and the timed-out page says so. After
//   signing in again as the same user, the same page puts it back. It is deleted when the tab
//   closes, on sign-out, and after 12 hours.
// Loaded from a file (not inline) so the Content-Security-Policy needs no 'unsafe-inline'.

const root = document.querySelector('[data-module="portal-session-timeout"]')
const KEPT_PREFIX = 'portal-kept:'
const KEPT_MAX_AGE_MS = 12 * 60 * 60 * 1000

function keptKey (path) {
  return KEPT_PREFIX + path
}

function clearKept () {
  try {
    for (let i = window.sessionStorage.length - 1; i >= 0; i--) {
      const key = window.sessionStorage.key(i)
      if (key && key.startsWith(KEPT_PREFIX)) window.sessionStorage.removeItem(key)
    }
  } catch (e) { /* storage unavailable: nothing was kept */ }
}

function keptFields (form) {
  const fields = []
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.name === 'csrf_token') continue
    const type = (el.type || '').toLowerCase()
    if (['password', 'hidden', 'file', 'submit', 'button', 'reset'].includes(type)) continue
    if (type === 'checkbox' || type === 'radio') {
      fields.push({ name: el.name, value: el.value, checked: el.checked })
    } else if (el.tagName === 'SELECT' && el.multiple) {
      fields.push({ name: el.name, values: Array.from(el.selectedOptions).map(o => o.value) })
    } else {
      fields.push({ name: el.name, value: el.value })
    }
  }
  return fields
}

function keepTyping (user) {
  const forms = Array.from(document.querySelectorAll('main form[method="post"], main form[method="POST"]'))
  const data = forms.map(keptFields)
  const typed = data.some(fields => fields.some(f => (f.checked === true) || (f.value && f.checked === undefined) || (f.values && f.values.length)))
  if (!typed) return false
  try {
    window.sessionStorage.setItem(keptKey(window.location.pathname), JSON.stringify({ user, at: Date.now(), forms: data }))
    return true
  } catch (e) {
    return false
  }
}

function restoreTyping (user) {
  let saved
  try {
    const raw = window.sessionStorage.getItem(keptKey(window.location.pathname))
    if (!raw) return
    window.sessionStorage.removeItem(keptKey(window.location.pathname))
    saved = JSON.parse(raw)
  } catch (e) { return }
  if (!saved || saved.user !== user || Date.now() - saved.at > KEPT_MAX_AGE_MS) return
  const forms = Array.from(document.querySelectorAll('main form[method="post"], main form[method="POST"]'))
  let restored = false
  saved.forms.forEach((fields, index) => {
    const form = forms[index]
    if (!form) return
    for (const f of fields) {
      const els = Array.from(form.elements).filter(el => el.name === f.name)
      for (const el of els) {
        const type = (el.type || '').toLowerCase()
        if (type === 'checkbox' || type === 'radio') {
          if (el.value === f.value) { el.checked = f.checked; restored = true }
        } else if (el.tagName === 'SELECT' && el.multiple && f.values) {
          for (const option of el.options) option.selected = f.values.includes(option.value)
          restored = true
        } else if (f.value !== undefined && !el.value) {
          el.value = f.value
          restored = true
        }
      }
    }
  })
  if (restored) showRestoredBanner()
}

function showRestoredBanner () {
  const main = document.querySelector('main')
  if (!main) return
  const banner = document.createElement('div')
  banner.className = 'govuk-notification-banner'
  banner.setAttribute('role', 'region')
  banner.setAttribute('aria-labelledby', 'portal-restored-title')
  const header = document.createElement('div')
  header.className = 'govuk-notification-banner__header'
  const title = document.createElement('h2')
  title.className = 'govuk-notification-banner__title'
  title.id = 'portal-restored-title'
  title.textContent = 'Important'
  header.appendChild(title)
  const content = document.createElement('div')
  content.className = 'govuk-notification-banner__content'
  const text = document.createElement('p')
  text.className = 'govuk-notification-banner__heading'
  text.textContent = 'We put back what you had typed before you were signed out. Check it before you continue.'
  content.appendChild(text)
  banner.appendChild(header)
  banner.appendChild(content)
  main.insertBefore(banner, main.firstChild)
}

function minutesAndSeconds (seconds) {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60)
    return minutes + (minutes === 1 ? ' minute' : ' minutes')
  }
  return seconds + (seconds === 1 ? ' second' : ' seconds')
}

function start () {
  const user = root.dataset.user
  const warningSeconds = parseInt(root.dataset.warningSeconds, 10) || 120
  const dialog = document.getElementById('portal-timeout-dialog')
  const countdown = dialog.querySelector('[data-timeout-countdown]')
  const live = dialog.querySelector('[data-timeout-live]')
  const absoluteText = dialog.querySelector('[data-timeout-absolute]')
  const keepButton = dialog.querySelector('[data-timeout-keep]')
  const signOutButton = dialog.querySelector('[data-timeout-sign-out]')
  const form = document.getElementById('portal-timeout-form')
  let deadline = Date.now() + (parseInt(root.dataset.expiresIn, 10) || 0) * 1000
  let timer = null
  let ticker = null
  let lastAnnounced = null

  restoreTyping(user)
  document.querySelectorAll('form[action$="/sign-out"]').forEach(f => {
    if (f !== form) f.addEventListener('submit', clearKept)
  })

  function schedule () {
    window.clearTimeout(timer)
    const wait = Math.max(0, deadline - Date.now() - warningSeconds * 1000)
    timer = window.setTimeout(check, wait)
  }

  async function status () {
    const response = await window.fetch(root.dataset.statusUrl, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' }
    })
    if (response.status === 401) return { signed_in: false }
    if (!response.ok) throw new Error('status ' + response.status)
    return response.json()
  }

  async function check () {
    let result
    try {
      result = await status()
    } catch (e) {
      result = null // network trouble: warn on the time we know
    }
    if (result && !result.signed_in) return timeOut()
    if (result) deadline = Date.now() + result.expires_in * 1000
    if (result && result.expires_in > warningSeconds + 5) return schedule()
    openDialog(result ? result.can_extend : true)
  }

  function openDialog (canExtend) {
    keepButton.hidden = !canExtend
    absoluteText.hidden = canExtend
    if (!dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal()
      else dialog.setAttribute('open', '')
    }
    dialog.querySelector('#portal-timeout-heading').focus()
    lastAnnounced = null
    tick()
    window.clearInterval(ticker)
    ticker = window.setInterval(tick, 1000)
  }

  function closeDialog () {
    window.clearInterval(ticker)
    live.textContent = ''
    if (dialog.open) {
      if (typeof dialog.close === 'function') dialog.close()
      else dialog.removeAttribute('open')
    }
  }

  function tick () {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000))
    if (left <= 0) return timeOut()
    countdown.textContent = minutesAndSeconds(left)
    // Screen readers hear the time every 20 seconds, not every second (as HMRC does).
    const bucket = Math.ceil(left / 20)
    if (bucket !== lastAnnounced) {
      lastAnnounced = bucket
      live.textContent = 'For your security, we will sign you out in ' + minutesAndSeconds(left) + '.'
    }
  }

  async function keepAlive () {
    try {
      const response = await window.fetch(root.dataset.keepAliveUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-CSRFToken': root.dataset.csrfToken }
      })
      if (response.status === 401) return timeOut()
      const result = await response.json()
      deadline = Date.now() + result.expires_in * 1000
      closeDialog()
      schedule()
    } catch (e) {
      closeDialog()
      schedule()
    }
  }

  function timeOut () {
    window.clearTimeout(timer)
    window.clearInterval(ticker)
    const kept = keepTyping(user)
    form.elements.next.value = window.location.pathname + window.location.search
    form.elements.kept.value = kept ? '1' : ''
    form.submit()
  }

  keepButton.addEventListener('click', keepAlive)
  signOutButton.addEventListener('click', () => {
    clearKept()
    form.elements.reason.value = 'user'
    form.submit()
  })
  // Escape closes a dialog: treat it as "Stay signed in", as HMRC's pattern does.
  dialog.addEventListener('cancel', event => {
    event.preventDefault()
    keepAlive()
  })
  schedule()
}

if (root) start()
