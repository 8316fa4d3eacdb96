// Body map: shows the front/back outline and lets a click on a region tick that region's
// checkbox (and reveal its note). Without JavaScript the outline stays hidden and the checkbox
// list below it is the whole, complete control. Loaded from a file: the CSP allows no inline JS.

const MARKED = '#d4351c'
const CLEAR = '#ffffff'

function checkboxFor (key) {
  return document.querySelector(`input[name="body_regions"][value="${CSS.escape(key)}"]`)
}

function paint (root) {
  for (const shape of root.querySelectorAll('[data-region]')) {
    const box = checkboxFor(shape.dataset.region)
    shape.setAttribute('fill', box && box.checked ? MARKED : CLEAR)
  }
}

function start (root) {
  root.hidden = false
  root.addEventListener('click', (event) => {
    const shape = event.target.closest('[data-region]')
    if (!shape) return
    const box = checkboxFor(shape.dataset.region)
    if (!box) return
    // A real click on the checkbox: GOV.UK Frontend reveals (or hides) the region's note.
    box.click()
    if (box.checked) {
      const note = document.getElementById(`note_${shape.dataset.region}`)
      if (note) note.focus()
    }
    paint(root)
  })
  document.addEventListener('change', (event) => {
    if (event.target && event.target.name === 'body_regions') paint(root)
  })
  paint(root)
}

for (const root of document.querySelectorAll('[data-module="body-map"]')) start(root)
