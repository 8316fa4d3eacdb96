// Starts GOV.UK Frontend's components. Loaded as a module from a file (not inline) so that the
// Content-Security-Policy needs no 'unsafe-inline'.
import { initAll } from './govuk-frontend/govuk-frontend.min.js'

initAll()
