// "Hide screen": a pupil has walked up to the desk. One click (or Shift+Escape) blanks the page at
// once; it comes back only when the user asks. Without JavaScript the control is a link to a
// neutral page with a way back, so it works either way.
const cover = document.getElementById('portal-screen-cover')
const controls = document.querySelectorAll('[data-portal-hide-screen]')
const showButton = document.getElementById('portal-show-screen')
let savedTitle = document.title

function hide () {
  if (!cover) return
  savedTitle = document.title
  document.title = 'Safeguard Portal'
  document.body.classList.add('portal-screen-hidden')
  cover.hidden = false
  showButton.focus()
}

function show () {
  document.body.classList.remove('portal-screen-hidden')
  cover.hidden = true
  document.title = savedTitle
}

controls.forEach((control) => {
  control.addEventListener('click', (event) => {
    event.preventDefault()
    hide()
  })
})

if (showButton) showButton.addEventListener('click', show)

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && event.shiftKey && controls.length) hide()
})
