// Preloaded into the local OpenID Connect provider for the browser journeys (node --require):
// its clock moves with the portal's. The journeys step the portal's clock forward 30 seconds for
// each authenticator code (a code works once); without this the provider's id_tokens would look
// issued in the past and expired to the portal. The offset, in milliseconds, is read from the
// file named by OIDC_CLOCK_OFFSET_FILE, which the tests rewrite as their clock moves.
'use strict';

const fs = require('node:fs');

const file = process.env.OIDC_CLOCK_OFFSET_FILE;
const RealDate = Date;

function offset() {
  try {
    return Number(fs.readFileSync(file, 'utf8')) || 0;
  } catch {
    return 0;
  }
}

class MovedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset());
    else super(...args);
  }

  static now() {
    return RealDate.now() + offset();
  }
}

globalThis.Date = MovedDate;
