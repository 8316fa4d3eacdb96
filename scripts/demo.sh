#!/usr/bin/env bash
# `make demo`'s last step: the case-system simulator, one connector worker, the mail and jobs
# workers and the portal, together.
# Northshire (938) and Southmoor (939) are pointed at the simulator with its development secrets.
# Stopping the portal (Ctrl-C) stops the simulator and the workers too.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASK="${FLASK:-.venv/bin/flask --app portal}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-5000}"
CASESIM_PORT="${CASESIM_PORT:-5100}"
# Links in emails point at the portal's own address: on another port, that port (unless the
# operator set PORTAL_BASE_URL themselves).
export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://$HOST:$PORT}"
# The connector may reach only the hosts its operator lists: here, the simulator (docs/connector.md).
export PORTAL_CONNECTOR_ALLOWED_HOSTS="${PORTAL_CONNECTOR_ALLOWED_HOSTS:-127.0.0.1:$CASESIM_PORT}"
# Single sign-on: a local OpenID Connect provider (tests/oidc/provider) with demo identities for
# Oakfield and Hillcrest, allowed as an issuer (README: Single sign-on).
OIDC_PORT="${OIDC_PORT:-5200}"
export PORTAL_OIDC_ALLOWED_ISSUERS="${PORTAL_OIDC_ALLOWED_ISSUERS:-http://127.0.0.1:$OIDC_PORT}"

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

$FLASK casesim run --host 127.0.0.1 --port "$CASESIM_PORT" &
pids+=($!)

for la in 938 939; do
  .venv/bin/python -c "from casesim.config import DEV_SECRETS; print(DEV_SECRETS['$la'][0])" \
    | $FLASK connector set-endpoint "$la" --url "http://127.0.0.1:$CASESIM_PORT/la/$la" --overlap-hours 0
done

if command -v node >/dev/null 2>&1; then
  [ -f tests/oidc/provider/node_modules/oidc-provider/package.json ] \
    || (cd tests/oidc/provider && npm ci --no-audit --no-fund --silent)
  (cd tests/oidc/provider && OIDC_PORT="$OIDC_PORT" \
    OIDC_CLIENTS="[{\"client_id\":\"portal\",\"client_secret\":\"demo-client-secret\",\"redirect_uris\":[\"$PORTAL_BASE_URL/sign-in/organisation/callback\"]}]" \
    exec node server.js >/dev/null 2>&1) &
  pids+=($!)
  echo "Demo single sign-on provider: http://127.0.0.1:$OIDC_PORT (set it up as Oakfield's DSL: README, Single sign-on)"
else
  echo "Node.js not found: the demo single sign-on provider is not started"
fi

$FLASK connector run --poll-interval 0.5 --pull-interval 5 &
pids+=($!)

# Emails are sent right after the change they tell of commits; this worker retries any that the
# mail server refused (in development they are written to instance/mail/ as .eml files). Before
# each pass it also routes the Operation Encompass notices sent since the last one and chases,
# at 08:30, the ones still unread (docs/encompass.md).
$FLASK mail send --loop --interval 10 &
pids+=($!)

# Court bundles (the chronology's PDF) are made in the background by this worker, each in a child
# process of its own; the page shows their progress and a Download button when ready.
$FLASK jobs work --loop &
pids+=($!)

echo "Safeguard Portal: http://$HOST:$PORT (demo accounts are listed in README.md)"
echo "Case-system simulator: http://127.0.0.1:$CASESIM_PORT (flask --app portal casesim --help)"
# In the background and waited for, so that a TERM to this script runs the trap at once.
$FLASK run --host "$HOST" --port "$PORT" &
portal=$!
pids+=($portal)
wait "$portal"
